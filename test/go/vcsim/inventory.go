package main

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// inventory holds what shapeInventory created outside the model, to clean up.
type inventory struct {
	dirs []string
}

func (inv *inventory) cleanup() {
	for _, d := range inv.dirs {
		_ = os.RemoveAll(d)
	}
}

// shapeInventory adds what the stock model lacks: NFS datastores, the VM
// folder with its VMs, and the datastore summary fields vCenter fills in.
func shapeInventory(model *simulator.Model, o *options) (*inventory, error) {
	ctx := context.Background()
	inv := &inventory{}
	// In-process client: calls go straight to the simulator, no HTTP, no login.
	c, err := vim25.NewClient(ctx, model.Service)
	if err != nil {
		return nil, err
	}
	if err := inv.createNFS(ctx, c, o); err != nil {
		inv.cleanup()
		return nil, err
	}
	shapeDatastores()
	if o.folder != "" {
		reg.AddHandler(guests)
		if err := createFolderVMs(ctx, c, o); err != nil {
			inv.cleanup()
			return nil, err
		}
	}
	return inv, nil
}

// entityPath is the inventory path of a simulator object, e.g. /DC0/vm/k8s.
func entityPath(ref types.ManagedObjectReference) string {
	var parts []string
	for {
		e, ok := reg.Get(ref).(mo.Entity)
		if !ok || e.Entity().Parent == nil {
			break // the root folder has no name in a path
		}
		parts = append([]string{e.Entity().Name}, parts...)
		ref = *e.Entity().Parent
	}
	return "/" + strings.Join(parts, "/")
}

func entityName(ref types.ManagedObjectReference) string {
	if e, ok := reg.Get(ref).(mo.Entity); ok {
		return e.Entity().Name
	}
	return ref.Value
}

// clusters returns the clusters of every datacenter sorted by path.
func clusters() []*simulator.ClusterComputeResource {
	var out []*simulator.ClusterComputeResource
	for _, e := range reg.All("ClusterComputeResource") {
		out = append(out, e.(*simulator.ClusterComputeResource))
	}
	sort.Slice(out, func(i, j int) bool { return entityPath(out[i].Self) < entityPath(out[j].Self) })
	return out
}

func sortedByName(refs []types.ManagedObjectReference) []types.ManagedObjectReference {
	out := append([]types.ManagedObjectReference(nil), refs...)
	sort.Slice(out, func(i, j int) bool { return entityName(out[i]) < entityName(out[j]) })
	return out
}

// createNFS mounts NFS_N on every host of every cluster and PartialNFS_N on
// the first host of the first cluster only.
func (inv *inventory) createNFS(ctx context.Context, c *vim25.Client, o *options) error {
	if o.nfs == 0 && o.dsPartial == 0 && o.clusterNFS == 0 {
		return nil
	}
	root, err := os.MkdirTemp("", "vcsim-nfs-")
	if err != nil {
		return err
	}
	inv.dirs = append(inv.dirs, root)
	mount := func(host types.ManagedObjectReference, name, dcName string, n int) error {
		// The simulator names a NAS datastore after the base of its local path
		// and keeps its files there, so that directory must exist.
		local := filepath.Join(root, dcName, name)
		if err := os.MkdirAll(local, 0o755); err != nil {
			return err
		}
		dss, err := object.NewHostSystem(c, host).ConfigManager().DatastoreSystem(ctx)
		if err != nil {
			return err
		}
		_, err = dss.CreateNasDatastore(ctx, types.HostNasVolumeSpec{
			RemoteHost: fmt.Sprintf("nfs-%d.example.com", n),
			RemotePath: "/export/" + strings.ToLower(name),
			LocalPath:  local,
			AccessMode: string(types.HostMountModeReadWrite),
			Type:       string(types.HostFileSystemVolumeFileSystemTypeNFS),
		})
		if err != nil {
			return fmt.Errorf("mounting %s on %s: %w", name, entityName(host), err)
		}
		return nil
	}
	all := clusters()
	for i := 0; i < o.nfs; i++ {
		for _, cl := range all {
			dcName := strings.Split(entityPath(cl.Self), "/")[1]
			for _, h := range sortedByName(cl.Host) {
				if err := mount(h, fmt.Sprintf("NFS_%d", i), dcName, i); err != nil {
					return err
				}
			}
		}
	}
	for i := 0; i < o.clusterNFS; i++ {
		for ci, cl := range all {
			dcName := strings.Split(entityPath(cl.Self), "/")[1]
			for _, h := range sortedByName(cl.Host) {
				if err := mount(h, fmt.Sprintf("%s_NFS_%d", entityName(cl.Self), i), dcName, 200+100*ci+i); err != nil {
					return err
				}
			}
		}
	}
	for i := 0; i < o.dsPartial; i++ {
		first := all[0]
		dcName := strings.Split(entityPath(first.Self), "/")[1]
		if err := mount(sortedByName(first.Host)[0], fmt.Sprintf("PartialNFS_%d", i), dcName, 100+i); err != nil {
			return err
		}
	}
	return nil
}

// shapeDatastores fills in what vCenter reports and the simulator leaves
// out: the model's local datastores stand in for VMFS ones (the simulator
// types them OTHER), a used/free split, summary.multipleHostAccess, and each
// host mount's path.
// Since govmomi v0.28 a datastore mounted by several hosts is one object
// listing every host, so nothing else needs repairing.
func shapeDatastores() {
	for _, e := range reg.All("Datastore") {
		ds := e.(*simulator.Datastore)
		url := ds.Info.GetDatastoreInfo().Url
		for i := range ds.Host {
			if ds.Host[i].MountInfo.Path == "" {
				ds.Host[i].MountInfo.Path = url
			}
		}
		// The simulator reports 1 TB per mounting host, all free; report the
		// size and free space of the directory's file system, as a real
		// datastore has some space in use.
		var st syscall.Statfs_t
		if err := syscall.Statfs(url, &st); err == nil {
			ds.Summary.Capacity = int64(st.Blocks) * st.Bsize
			ds.Summary.FreeSpace = int64(st.Bavail) * st.Bsize
			info := ds.Info.GetDatastoreInfo()
			info.FreeSpace, info.MaxFileSize = ds.Summary.FreeSpace, ds.Summary.Capacity
		}
		if ds.Summary.Type == string(types.HostFileSystemVolumeFileSystemTypeOTHER) {
			ds.Summary.Type = "VMFS"
		}
		ds.Summary.MultipleHostAccess = types.NewBool(len(ds.Host) > 1)
	}
}

// vmPlan is one VM createFolderVMs makes.
type vmPlan struct {
	name       string
	folder     *object.Folder
	enableUUID bool
	poweredOn  bool
	template   bool
	// ip is the IPv4 address its guest reports ("" for templates, which
	// have no guest identity).
	ip string
	// hardware is its virtual hardware version (vmx-NN).
	hardware string
}

// createFolderVMs creates -folder (and -subfolders) and fills them.
func createFolderVMs(ctx context.Context, c *vim25.Client, o *options) error {
	parts := strings.Split(strings.Trim(o.folder, "/"), "/")
	if len(parts) < 2 || parts[1] != "vm" {
		return fmt.Errorf("-folder %q: want /<datacenter>/vm[/<folder>...]", o.folder)
	}
	var dc *simulator.Datacenter
	for _, e := range reg.All("Datacenter") {
		if e.Entity().Name == parts[0] {
			dc = e.(*simulator.Datacenter)
		}
	}
	if dc == nil {
		return fmt.Errorf("-folder %q: no datacenter %q", o.folder, parts[0])
	}
	base, err := ensureFolder(ctx, c, object.NewFolder(c, dc.VmFolder), parts[2:])
	if err != nil {
		return err
	}
	prefix := "vm"
	if len(parts) > 2 {
		prefix = parts[len(parts)-1]
	}

	var plans []vmPlan
	width := 4
	if n := len(fmt.Sprint(o.folderVMs)); n > width {
		width = n
	}
	for i := 0; i < o.folderVMs; i++ {
		plans = append(plans, vmPlan{
			name:       fmt.Sprintf("%s-node-%0*d", prefix, width, i+1),
			folder:     base,
			enableUUID: i < o.presetUUID,
			poweredOn:  i < o.presetUUID || i >= o.presetUUID+o.poweredOff,
		})
	}
	for _, name := range o.vmNames {
		plans = append(plans, vmPlan{name: name, folder: base, poweredOn: true})
	}
	for i := 0; i < o.templates; i++ {
		plans = append(plans, vmPlan{name: fmt.Sprintf("%s-template-%02d", prefix, i+1), folder: base, template: true})
	}
	for _, sub := range o.subfolders {
		f, err := ensureFolder(ctx, c, base, strings.Split(strings.Trim(sub, "/"), "/"))
		if err != nil {
			return err
		}
		for i := 0; i < o.subfolderVMs; i++ {
			plans = append(plans, vmPlan{
				name:      fmt.Sprintf("%s-node-%04d", strings.ReplaceAll(strings.Trim(sub, "/"), "/", "-"), i+1),
				folder:    f,
				poweredOn: true,
			})
		}
	}

	n := 0
	for i := range plans {
		if !plans[i].template {
			plans[i].ip = nodeIP(n)
			n++
		}
	}
	if n > maxNodeIPs {
		return fmt.Errorf("at most %d node VMs fit in %s", maxNodeIPs, nodeNet)
	}

	places, err := placement(dc, o.spreadClusters)
	if err != nil {
		return err
	}
	nic, err := vmNIC(ctx, c, dc)
	if err != nil {
		return err
	}
	for i := range plans {
		plans[i].hardware = hardwareVersion
		for glob, version := range o.vmHardware {
			if ok, _ := path.Match(glob, plans[i].name); ok {
				plans[i].hardware = version
			}
		}
	}
	return runBounded(len(plans), 4, func(i int) error {
		pl := places[i%len(places)]
		n := i / len(places)
		host := pl.hosts[n%len(pl.hosts)]
		return createVM(ctx, c, plans[i], pl.pool, host, vmDatastore(host), nic)
	})
}

func mustHost(ref types.ManagedObjectReference) *simulator.HostSystem {
	return reg.Get(ref).(*simulator.HostSystem)
}

// vmDatastore is where a node VM's files go: the host's first local
// datastore (LocalDS_N, on every host), else its first datastore by name.
func vmDatastore(host types.ManagedObjectReference) string {
	all := sortedByName(mustHost(host).Datastore)
	for _, ds := range all {
		if strings.HasPrefix(entityName(ds), "LocalDS_") {
			return entityName(ds)
		}
	}
	return entityName(all[0])
}

// place is a resource pool and the hosts VMs placed in it run on.
type place struct {
	pool  *object.ResourcePool
	hosts []types.ManagedObjectReference
}

// placement picks the first cluster of the datacenter (or its first
// standalone host) for the folder VMs; with spread, every cluster in name
// order.
func placement(dc *simulator.Datacenter, spread bool) ([]place, error) {
	dcPath := entityPath(dc.Self) + "/"
	var out []place
	for _, cl := range clusters() {
		if strings.HasPrefix(entityPath(cl.Self), dcPath) && len(cl.Host) > 0 {
			out = append(out, place{object.NewResourcePool(nil, *cl.ResourcePool), sortedByName(cl.Host)})
			if !spread {
				return out, nil
			}
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	for _, e := range reg.All("ComputeResource") {
		cr := e.(*mo.ComputeResource)
		if strings.HasPrefix(entityPath(cr.Self), dcPath) && len(cr.Host) > 0 {
			return []place{{object.NewResourcePool(nil, *cr.ResourcePool), cr.Host}}, nil
		}
	}
	return nil, fmt.Errorf("datacenter %s has no host to place VMs on", dc.Name)
}

func ensureFolder(ctx context.Context, c *vim25.Client, parent *object.Folder, names []string) (*object.Folder, error) {
	for _, name := range names {
		if name == "" {
			continue
		}
		f := reg.Get(parent.Reference()).(*simulator.Folder)
		if existing := reg.FindByName(name, f.ChildEntity); existing != nil {
			parent = object.NewFolder(c, existing.Reference())
			continue
		}
		child, err := parent.CreateFolder(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("creating folder %s: %w", name, err)
		}
		parent = child
	}
	return parent, nil
}

// vmNIC is the backing of the folder VMs' one network card: the
// datacenter's distributed port group (as the stock model's VMs use), else
// its standard "VM Network".
func vmNIC(ctx context.Context, c *vim25.Client, dc *simulator.Datacenter) (*vmNetwork, error) {
	var fallback *vmNetwork
	for _, ref := range sortedByName(dc.Network) {
		name := entityName(ref)
		var net object.NetworkReference
		switch {
		case ref.Type == "DistributedVirtualPortgroup" && !strings.Contains(name, "DVUplinks"):
			net = object.NewDistributedVirtualPortgroup(c, ref)
		case ref.Type == "Network" && fallback == nil:
			net = object.NewNetwork(c, ref)
		default:
			continue
		}
		backing, err := net.EthernetCardBackingInfo(ctx)
		if err != nil {
			return nil, err
		}
		n := &vmNetwork{name: name, backing: backing}
		if ref.Type == "DistributedVirtualPortgroup" {
			return n, nil
		}
		fallback = n
	}
	if fallback == nil {
		return nil, fmt.Errorf("datacenter %s has no network for the VMs", dc.Name)
	}
	return fallback, nil
}

// vmNetwork is the network of the folder VMs' NIC.
type vmNetwork struct {
	name    string
	backing types.BaseVirtualDeviceBackingInfo
}

func createVM(ctx context.Context, c *vim25.Client, p vmPlan, pool *object.ResourcePool, host types.ManagedObjectReference, ds string, nic *vmNetwork) error {
	var devices object.VirtualDeviceList
	scsi, _ := devices.CreateSCSIController("pvscsi")
	devices = append(devices, scsi)
	eth, err := devices.CreateEthernetCard("vmxnet3", nic.backing)
	if err != nil {
		return err
	}
	devices = append(devices, eth)
	spec := types.VirtualMachineConfigSpec{
		Name:     p.name,
		GuestId:  string(types.VirtualMachineGuestOsIdentifierUbuntu64Guest),
		NumCPUs:  2,
		MemoryMB: 4096,
		Version:  p.hardware,
		Files:    &types.VirtualMachineFileInfo{VmPathName: "[" + ds + "]"},
	}
	spec.DeviceChange, _ = devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
	if p.enableUUID {
		spec.ExtraConfig = []types.BaseOptionValue{&types.OptionValue{Key: "disk.enableUUID", Value: "TRUE"}}
	}
	task, err := p.folder.CreateVM(ctx, spec, object.NewResourcePool(c, pool.Reference()), object.NewHostSystem(c, host))
	if err != nil {
		return err
	}
	info, err := task.WaitForResult(ctx, nil)
	if err != nil {
		return fmt.Errorf("creating VM %q: %w", p.name, err)
	}
	vm := object.NewVirtualMachine(c, info.Result.(types.ManagedObjectReference))
	if p.ip != "" {
		guests.add(vm.Reference(), guestIdentity{hostName: p.name, ip: p.ip, network: nic.name})
	}
	switch {
	case p.template:
		return vm.MarkAsTemplate(ctx)
	case !p.poweredOn:
		guests.report(simCtx, vm.Reference(), false)
	case p.poweredOn:
		t, err := vm.PowerOn(ctx)
		if err != nil {
			return err
		}
		return t.Wait(ctx)
	}
	return nil
}

// runBounded runs f(0..n-1) on at most `workers` goroutines; first error wins.
func runBounded(n, workers int, f func(int) error) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return firstErr
}
