// A stock govmomi simulator (v0.38 or later, which answers keyed property
// paths such as config.extraConfig["disk.enableUUID"], as vCenter does) with
// -vms VMs in /DC0/vm, for bench/prepare-vms --vcsim. The test launcher
// (test/go/vcsim) builds with Debian's govmomi 0.24, which does not.
//
//	cd bench/vcsim-keyed && go build   # fetches govmomi through the Go module proxy
//
// Prints {"url","username","password"} on one line, like the launcher, and
// exits when stdin closes.
package main

import (
	"encoding/json"
	"flag"
	"io"
	"os"

	"github.com/vmware/govmomi/simulator"
)

func main() {
	vms := flag.Int("vms", 1000, "VMs in /DC0/vm")
	flag.Parse()

	model := simulator.VPX()
	model.Datacenter = 1
	model.Cluster = 1
	model.ClusterHost = 1
	model.Host = 0
	model.Machine = *vms
	defer model.Remove()
	if err := model.Create(); err != nil {
		panic(err)
	}
	server := model.Service.NewServer()
	defer server.Close()

	user := server.URL.User
	password, _ := user.Password()
	url := *server.URL
	url.User = nil
	_ = json.NewEncoder(os.Stdout).Encode(map[string]string{
		"url": url.String(), "username": user.Username(), "password": password,
	})
	_, _ = io.Copy(io.Discard, os.Stdin)
}
