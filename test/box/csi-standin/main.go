// csi-standin stands in for the vSphere CSI driver's controller
// (sigs.k8s.io/vsphere-csi-driver/v3 vsphere-csi with X_CSI_MODE=controller)
// in vk's test box: the driver's module cannot be fetched here, so this
// program takes its place behind the real kubernetes-csi sidecars. It reads
// the same csi-vsphere.conf, logs in to vCenter with its user (a wrong
// password ends the process with the login fault), refuses vCenter below
// 6.7U3 and creates, deletes, attaches and detaches CNS volumes, and takes,
// deletes and restores CNS snapshots (snapshot.go), through govmomi's CNS
// client. See test/README.md.
//
//	csi-standin                  serve CSI on $CSI_ENDPOINT (the driver's env)
//	csi-standin topology UUID    print the topology segment of the VM (JSON)
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "csi-standin (stand-in for the vSphere CSI driver controller): "+format+"\n", args...)
}

func fail(err error) {
	logf("%v", err)
	os.Exit(1)
}

func configPath() string {
	if p := os.Getenv("VSPHERE_CSI_CONFIG"); p != "" {
		return p
	}
	return "/etc/cloud/csi-vsphere.conf"
}

func main() {
	// The driver's flags (--fss-name, --fss-namespace, ...) are accepted and
	// not used: the stand-in has no feature states.
	var args []string
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			args = append(args, a)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg, err := readConfig(configPath())
	if err != nil {
		fail(err)
	}
	host, vcCfg := cfg.vcenter()
	vc, err := connect(ctx, host, vcCfg)
	if err != nil {
		fail(err)
	}

	if len(args) == 2 && args[0] == "topology" {
		vm, err := vc.vmByUUID(ctx, args[1])
		if err != nil {
			fail(err)
		}
		seg, err := vc.segmentOf(ctx, vm, cfg.topologyCategories())
		if err != nil {
			fail(err)
		}
		_ = json.NewEncoder(os.Stdout).Encode(seg)
		return
	}
	if mode := os.Getenv("X_CSI_MODE"); mode != "controller" {
		fail(fmt.Errorf("X_CSI_MODE=%q: the stand-in runs the controller only", mode))
	}
	k, err := newKube()
	if err != nil {
		fail(err)
	}
	endpoint := os.Getenv("CSI_ENDPOINT")
	path := strings.TrimPrefix(endpoint, "unix://")
	if path == endpoint || path == "" {
		fail(fmt.Errorf("CSI_ENDPOINT=%q: expected unix://<path>", endpoint))
	}
	_ = os.Remove(path)
	lis, err := net.Listen("unix", path)
	if err != nil {
		fail(err)
	}
	d := &driver{cfg: cfg, vc: vc, kube: k}
	srv := grpc.NewServer()
	csi.RegisterIdentityServer(srv, d)
	csi.RegisterControllerServer(srv, d)
	go func() {
		<-ctx.Done()
		srv.GracefulStop()
	}()
	logf("serving CSI controller %s on %s for cluster %q", driverName, endpoint, cfg.Global.ClusterID)
	if err := srv.Serve(lis); err != nil {
		fail(err)
	}
}
