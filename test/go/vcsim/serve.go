package main

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/vmware/govmomi/cns/simulator" // CNS volumes on /vsanHealth
	_ "github.com/vmware/govmomi/pbm/simulator" // storage policies on /pbm
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/esx"
	_ "github.com/vmware/govmomi/vapi/simulator" // vAPI REST (/rest, /api): sessions, tagging
	"github.com/vmware/govmomi/vim25/types"
	_ "github.com/vmware/govmomi/vsan/simulator" // vSAN health and cluster config on /vsanHealth
)

// vcenterAbout is the ServiceContent's AboutInfo: a vCenter 8.0 Update 3
// (GA build), rather than the simulator's default 6.5.
var vcenterAbout = struct{ version, apiVersion, build string }{"8.0.3", "8.0.3.0", "24022515"}

// hardwareVersion is the virtual hardware of every VM the launcher creates:
// the default of a new VM on vSphere 8.0 U2 and later (CSI needs vmx-15 or newer).
const hardwareVersion = "vmx-21"

// reg is the simulator's object registry and simCtx its context, set once
// the model is created.
var (
	reg    *simulator.Registry
	simCtx *simulator.Context
)

// options is the inventory and server shape chosen on the command line.
type options struct {
	listen, username, password string
	tls, exitOnStdinEOF        bool

	dc, cluster, host, standaloneHost, ds, nfs, dsPartial, clusterNFS, vm int
	// spreadClusters places the folder VMs round-robin over every cluster
	// of the datacenter instead of the first one only.
	spreadClusters bool

	folder          string
	folderVMs       int
	subfolders      []string
	subfolderVMs    int
	vmNames         []string
	templates       int
	presetUUID      int
	poweredOff      int
	failReconfigure string
	denyReconfigure string
	users           []string
	// logins are further accounts that can log in (principal -> password),
	// as the drivers' accounts an admin created on a real vCenter.
	logins map[string]string
	// loginFile, when set, holds principal=password lines read at every
	// login: a test rewrites it to change an account's password, as an
	// admin does in SSO (sessions already open stay, as in vCenter).
	loginFile string
	// vcenterVersion is "X.Y.Z" (AboutInfo version X.Y.Z, apiVersion
	// X.Y.Z.0) or "stock", the simulator's own 6.5.
	vcenterVersion string
	// esxiVersion is every host's product version "X.Y.Z", or "stock".
	esxiVersion string
	// vmHardware maps VM name globs to a virtual hardware version (vmx-NN).
	vmHardware map[string]string
}

func parseServeFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("vcsim", flag.ContinueOnError)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "address to listen on (port 0 picks a free one)")
	fs.StringVar(&o.username, "username", "administrator@vsphere.local", "the only user that can log in")
	fs.StringVar(&o.password, "password", "Passw0rd!", "its password")
	fs.BoolVar(&o.tls, "tls", true, "serve https with a fresh self-signed certificate (false: plain http)")
	fs.BoolVar(&o.exitOnStdinEOF, "exit-on-stdin-eof", false, "exit when stdin closes (the parent process went away)")
	fs.IntVar(&o.dc, "dc", 1, "datacenters")
	fs.IntVar(&o.cluster, "cluster", 1, "clusters per datacenter")
	fs.IntVar(&o.host, "host", 3, "hosts per cluster")
	fs.IntVar(&o.standaloneHost, "standalone-host", 0, "standalone hosts per datacenter")
	fs.IntVar(&o.ds, "ds", 1, "local (VMFS-like) datastores LocalDS_N, mounted on every host")
	fs.IntVar(&o.nfs, "nfs", 0, "NFS datastores NFS_N, mounted on every host of every cluster")
	fs.IntVar(&o.dsPartial, "ds-partial", 0, "NFS datastores PartialNFS_N, mounted on only the first host of the first cluster")
	fs.IntVar(&o.clusterNFS, "cluster-nfs", 0, "NFS datastores <cluster>_NFS_N per cluster, each mounted on the hosts of its own cluster only")
	fs.BoolVar(&o.spreadClusters, "spread-clusters", false, "place the folder VMs round-robin over all clusters of the datacenter (default: the first cluster)")
	fs.IntVar(&o.vm, "vm", 0, "the model's own VMs per host / resource pool")
	fs.StringVar(&o.folder, "folder", "", "VM folder to create, e.g. /DC0/vm/k8s")
	fs.IntVar(&o.folderVMs, "folder-vms", 0, "VMs k8s-node-0001.. to create in -folder")
	subfolders := fs.String("subfolders", "", "comma-separated folders relative to -folder, e.g. a,b/c")
	fs.IntVar(&o.subfolderVMs, "subfolder-vms", 0, "VMs to create in each subfolder (named <sub-path>-node-0001)")
	vmNames := fs.String("vm-names", "", "comma-separated extra VM names to create in -folder")
	fs.IntVar(&o.templates, "templates", 0, "templates <folder>-template-01.. to create in -folder")
	fs.IntVar(&o.presetUUID, "preset-uuid", 0, "the first N folder VMs already have disk.enableUUID=TRUE")
	fs.IntVar(&o.poweredOff, "powered-off", 0, "the N folder VMs after the preset ones are powered off (the rest are on)")
	fs.StringVar(&o.failReconfigure, "fail-reconfigure", "", "glob of VM names whose ReconfigVM_Task fails with a vCenter fault")
	fs.StringVar(&o.denyReconfigure, "deny-reconfigure", "", "glob of VM names whose ReconfigVM_Task is refused with NoPermission (VirtualMachine.Config.AdvancedConfig)")
	users := fs.String("users", "", "comma-separated extra principals (user@domain) known to the UserDirectory")
	o.logins = map[string]string{}
	fs.Func("login", "another account that can log in, as principal=password (repeatable; the principal is known to the UserDirectory)", func(v string) error {
		principal, password, ok := strings.Cut(v, "=")
		if !ok || !strings.Contains(principal, "@") || password == "" {
			return fmt.Errorf("want user@domain=password")
		}
		o.logins[principal] = password
		return nil
	})
	fs.StringVar(&o.vcenterVersion, "vcenter-version", vcenterAbout.version, `vCenter version X.Y.Z ("7.0.3" is 7.0 U3), or "stock" for the simulator's own 6.5`)
	fs.StringVar(&o.esxiVersion, "esxi-version", "stock", "every host's ESXi version X.Y.Z (\"6.7.3\" is 6.7 U3), or \"stock\" for the simulator's own 8.0.2")
	o.vmHardware = map[string]string{}
	fs.Func("vm-hardware", "virtual hardware of the folder VMs whose name matches, as glob=vmx-NN (repeatable)", func(v string) error {
		glob, version, ok := strings.Cut(v, "=")
		if !ok || !strings.HasPrefix(version, "vmx-") {
			return fmt.Errorf("want glob=vmx-NN")
		}
		o.vmHardware[glob] = version
		return nil
	})
	fs.StringVar(&o.loginFile, "login-file", "", "file of principal=password lines, read at every login; overrides -login (for password changes while running)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.subfolders = splitList(*subfolders)
	o.vmNames = splitList(*vmNames)
	o.users = splitList(*users)
	for p := range o.logins {
		o.users = append(o.users, p)
	}
	if o.vcenterVersion != "stock" && !isVersion(o.vcenterVersion) {
		return nil, fmt.Errorf("-vcenter-version %q: want X.Y.Z or stock", o.vcenterVersion)
	}
	if o.esxiVersion != "stock" && !isVersion(o.esxiVersion) {
		return nil, fmt.Errorf("-esxi-version %q: want X.Y.Z or stock", o.esxiVersion)
	}
	if o.dc < 1 || o.cluster < 0 || o.host < 0 || o.ds < 0 {
		return nil, fmt.Errorf("-dc must be >= 1 and -cluster/-host/-ds >= 0")
	}
	if (o.dsPartial > 0 || o.nfs > 0) && (o.cluster < 1 || o.host < 1) {
		return nil, fmt.Errorf("-nfs and -ds-partial need at least one cluster with one host")
	}
	if o.folder == "" && (o.folderVMs > 0 || len(o.subfolders) > 0 || len(o.vmNames) > 0 || o.templates > 0) {
		return nil, fmt.Errorf("-folder-vms, -subfolders, -vm-names and -templates need -folder")
	}
	if o.folderVMs+len(o.vmNames)+o.templates+len(o.subfolders)*o.subfolderVMs > 0 && o.cluster < 1 && o.standaloneHost < 1 {
		return nil, fmt.Errorf("folder VMs need a host: set -cluster/-host or -standalone-host")
	}
	if o.folderVMs > 0 && o.ds < 1 {
		return nil, fmt.Errorf("folder VMs need -ds >= 1")
	}
	return o, nil
}

func isVersion(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			return false
		}
	}
	return true
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ready is the one JSON line printed on stdout once the simulator serves.
type ready struct {
	URL            string `json:"url"`
	Host           string `json:"host"`
	Username       string `json:"username"`
	Password       string `json:"password"`
	TLS            bool   `json:"tls"`
	Thumbprint     string `json:"thumbprint,omitempty"`
	ThumbprintSHA1 string `json:"thumbprintSha1,omitempty"`
	CAFile         string `json:"caFile,omitempty"`
	PID            int    `json:"pid"`
	StartupMillis  int64  `json:"startupMs"`
}

func runServe(args []string) error {
	started := time.Now()
	o, err := parseServeFlags(args)
	if err != nil {
		return err
	}
	prepareAuthorization(o) // must run before the model builds its AuthorizationManager

	model := simulator.VPX()
	if o.vcenterVersion != "stock" {
		about := &model.ServiceContent.About
		about.Version = o.vcenterVersion
		about.ApiVersion = o.vcenterVersion + ".0"
		about.Build = vcenterAbout.build
		about.FullName = fmt.Sprintf("%s %s build-%s", about.Name, about.Version, about.Build)
		about.LicenseProductVersion = strings.Join(strings.Split(o.vcenterVersion, ".")[:2], ".")
	}
	if o.esxiVersion != "stock" {
		// Every host copies this template (and its summary points at it).
		p := &esx.HostConfigInfo.Product
		p.ApiVersion = o.esxiVersion + ".0"
		p.FullName = fmt.Sprintf("VMware ESXi %s build-%s", o.esxiVersion, p.Build)
		// The simulator derives each host's newest hardware from
		// product.version and knows only its own list (no 6.7.3, no 8.0.3):
		// outside it, version keeps the release's X.Y.0, as real hosts
		// before their update level showed in apiVersion.
		p.Version = o.esxiVersion
		if _, err := types.ParseESXiVersion(p.Version); err != nil {
			parts := strings.Split(o.esxiVersion, ".")
			p.Version = parts[0] + "." + parts[1] + ".0"
		}
	}
	esx.HardwareVersion = hardwareVersion // the stock model's own VMs (-vm)
	model.Datacenter = o.dc
	model.Cluster = o.cluster
	model.ClusterHost = o.host
	model.Host = o.standaloneHost
	model.Datastore = o.ds
	model.Machine = o.vm
	model.Portgroup = 1
	if err := model.Create(); err != nil {
		return fmt.Errorf("creating the model: %w", err)
	}
	defer model.Remove()
	reg, simCtx = model.Map(), model.Service.Context

	inv, err := shapeInventory(model, o)
	if err != nil {
		return err
	}
	defer inv.cleanup()
	installAuthorization(o)
	if err := installFaultyVMs(o); err != nil {
		return err
	}

	listen := &url.URL{Host: o.listen, User: url.UserPassword(o.username, o.password)}
	model.Service.Listen = listen
	// The stock simulator accepts exactly the Listen user; the further
	// accounts of -login log in with their own passwords.
	reg.SessionManager().ValidLogin = func(req *types.Login) bool {
		if samePrincipal(req.UserName, o.username) {
			return req.Password == o.password
		}
		for p, pw := range currentLogins(o) {
			if samePrincipal(req.UserName, p) {
				return req.Password == pw
			}
		}
		return false
	}
	model.Service.RegisterEndpoints = true
	var cert *selfSigned
	if o.tls {
		if cert, err = newSelfSigned(); err != nil {
			return err
		}
		model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert.pair}}
	}
	server := model.Service.NewServer()
	defer server.Close()
	// In front of the simulator's mux before the first client can connect.
	server.Config.Handler = cnsQueryFilterType(server.Config.Handler)

	u := *server.URL
	u.User = nil
	out := ready{
		URL:           u.String(),
		Host:          u.Host,
		Username:      o.username,
		Password:      o.password,
		TLS:           o.tls,
		PID:           os.Getpid(),
		StartupMillis: time.Since(started).Milliseconds(),
	}
	if cert != nil {
		out.Thumbprint = fingerprint(sha256.New(), cert.der)
		out.ThumbprintSHA1 = fingerprint(sha1.New(), cert.der)
		f, err := os.CreateTemp("", "vcsim-ca-*.pem")
		if err != nil {
			return err
		}
		_, _ = f.Write(cert.pem)
		_ = f.Close()
		out.CAFile = f.Name()
		defer os.Remove(f.Name())
	}
	line, _ := json.Marshal(out)
	fmt.Println(string(line))

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	if o.exitOnStdinEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop <- syscall.SIGTERM
		}()
	}
	<-stop
	return nil
}

// currentLogins is -login overridden by the lines of -login-file, read now.
func currentLogins(o *options) map[string]string {
	if o.loginFile == "" {
		return o.logins
	}
	out := map[string]string{}
	for p, pw := range o.logins {
		out[p] = pw
	}
	data, err := os.ReadFile(o.loginFile)
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(data), "\n") {
		if principal, password, ok := strings.Cut(strings.TrimRight(line, "\r"), "="); ok && principal != "" {
			out[principal] = password
		}
	}
	return out
}
