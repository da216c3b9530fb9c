package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/cns"
	cnstypes "github.com/vmware/govmomi/cns/types"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

const inspectUsage = `usage: vcsim inspect -url URL [-k] [-username U -password P] WHAT [ARGS]

Reads the simulator's state through govmomi, independently of vk, and prints JSON.
  about | sessions | vms | datastores | hosts | folders | roles | permissions
  cns-snapshots                      every CNS snapshot (CnsQuerySnapshots), sorted by volume then description
  privileges USER PATH...            privileges USER holds on each entity (FetchUserPrivilegeOnEntities)
  set-extra-config VM KEY VALUE      ReconfigVM_Task with one extraConfig option
  power-off VM | power-on VM
  add-role ROLE PRIV[,PRIV...]      AddAuthorizationRole
  remove-role ROLE                   RemoveAuthorizationRole (its permissions go with it)
  set-permission PATH PRINCIPAL ROLE [propagate|no-propagate]
  remove-permission PATH PRINCIPAL [group]
  set-role-privileges ROLE PRIV[,PRIV...]
VM is a name or an inventory path.`

// inspector reads and changes the simulator through an ordinary SOAP session.
type inspector struct {
	ctx   context.Context
	c     *vim25.Client
	paths map[types.ManagedObjectReference]string
}

func runInspect(args []string) error {
	fs := flag.NewFlagSet("vcsim inspect", flag.ContinueOnError)
	rawURL := fs.String("url", os.Getenv("GOVC_URL"), "simulator URL (https://host:port/sdk)")
	insecure := fs.Bool("k", false, "skip TLS verification")
	username := fs.String("username", "", "user (default: from -url, else administrator@vsphere.local)")
	password := fs.String("password", "", "password (default: from -url, else Passw0rd!)")
	fs.Usage = func() { fmt.Fprintln(os.Stderr, inspectUsage) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("missing WHAT")
	}
	u, err := url.Parse(*rawURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("-url %q: want https://host:port/sdk", *rawURL)
	}
	user, pass := "administrator@vsphere.local", "Passw0rd!"
	if u.User != nil {
		user = u.User.Username()
		if p, ok := u.User.Password(); ok {
			pass = p
		}
	}
	if *username != "" {
		user = *username
	}
	if *password != "" {
		pass = *password
	}
	u.User = url.UserPassword(user, pass)

	ctx := context.Background()
	client, err := govmomi.NewClient(ctx, u, *insecure)
	if err != nil {
		return err
	}
	defer func() { _ = client.Logout(ctx) }()
	in := &inspector{ctx: ctx, c: client.Client}
	if err := in.loadPaths(); err != nil {
		return err
	}
	result, err := in.run(fs.Arg(0), fs.Args()[1:])
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(result)
}

func (in *inspector) run(what string, args []string) (interface{}, error) {
	need := func(n int) error {
		if len(args) < n {
			return fmt.Errorf("%s needs %d argument(s)\n%s", what, n, inspectUsage)
		}
		return nil
	}
	switch what {
	case "about":
		return in.about(), nil
	case "cns-snapshots":
		return in.cnsSnapshots()
	case "sessions":
		return in.sessions()
	case "vms":
		return in.vms()
	case "datastores":
		return in.datastores()
	case "hosts":
		return in.hosts()
	case "folders":
		return in.folders()
	case "roles":
		return in.roles()
	case "permissions":
		return in.permissions()
	case "privileges":
		if err := need(2); err != nil {
			return nil, err
		}
		return in.privileges(args[0], args[1:])
	case "set-extra-config":
		if err := need(3); err != nil {
			return nil, err
		}
		return in.setExtraConfig(args[0], args[1], args[2])
	case "power-off", "power-on":
		if err := need(1); err != nil {
			return nil, err
		}
		return in.power(args[0], what == "power-on")
	case "add-role":
		if err := need(2); err != nil {
			return nil, err
		}
		am := object.NewAuthorizationManager(in.c)
		id, err := am.AddRole(in.ctx, args[0], splitList(args[1]))
		return map[string]int32{"id": id}, err
	case "remove-role":
		if err := need(1); err != nil {
			return nil, err
		}
		return in.removeRole(args[0])
	case "set-permission":
		if err := need(3); err != nil {
			return nil, err
		}
		return in.setPermission(args[0], args[1], args[2], len(args) < 4 || args[3] != "no-propagate")
	case "remove-permission":
		if err := need(2); err != nil {
			return nil, err
		}
		return in.removePermission(args[0], args[1], len(args) > 2 && args[2] == "group")
	case "set-role-privileges":
		if err := need(2); err != nil {
			return nil, err
		}
		return in.setRolePrivileges(args[0], splitList(args[1]))
	}
	return nil, fmt.Errorf("unknown WHAT %q\n%s", what, inspectUsage)
}

// loadPaths reads name and parent of every entity in one round trip and
// builds their inventory paths.
func (in *inspector) loadPaths() error {
	var entities []mo.ManagedEntity
	if err := in.retrieve([]string{"ManagedEntity"}, []string{"name", "parent"}, &entities); err != nil {
		return err
	}
	byRef := map[types.ManagedObjectReference]mo.ManagedEntity{}
	for _, e := range entities {
		byRef[e.Self] = e
	}
	in.paths = map[types.ManagedObjectReference]string{}
	var pathOf func(types.ManagedObjectReference) string
	pathOf = func(ref types.ManagedObjectReference) string {
		if p, ok := in.paths[ref]; ok {
			return p
		}
		e, ok := byRef[ref]
		if !ok || e.Parent == nil {
			return "" // the root folder
		}
		p := pathOf(*e.Parent) + "/" + e.Name
		in.paths[ref] = p
		return p
	}
	for ref := range byRef {
		pathOf(ref)
	}
	in.paths[in.c.ServiceContent.RootFolder] = "/"
	return nil
}

func (in *inspector) retrieve(kinds, props []string, dst interface{}) error {
	m := view.NewManager(in.c)
	v, err := m.CreateContainerView(in.ctx, in.c.ServiceContent.RootFolder, kinds, true)
	if err != nil {
		return err
	}
	defer func() { _ = v.Destroy(in.ctx) }()
	return v.Retrieve(in.ctx, kinds, props, dst)
}

func (in *inspector) byPath(p string) (types.ManagedObjectReference, error) {
	for ref, path := range in.paths {
		if path == p {
			return ref, nil
		}
	}
	return types.ManagedObjectReference{}, fmt.Errorf("no entity at %q", p)
}

func (in *inspector) names(refs []types.ManagedObjectReference) []string {
	out := []string{}
	for _, r := range refs {
		p := in.paths[r]
		out = append(out, p[strings.LastIndex(p, "/")+1:])
	}
	sort.Strings(out)
	return out
}

type vmInfo struct {
	Name       string  `json:"name"`
	Path       string  `json:"path"`
	Ref        string  `json:"ref"`
	PowerState string  `json:"powerState"`
	Template   bool    `json:"template"`
	UUID       string  `json:"uuid"`
	EnableUUID *string `json:"enableUUID"`
	Host       string  `json:"host"`
	// BiosUUID is config.uuid, the UUID the CPI looks nodes up by (same as UUID).
	BiosUUID        string `json:"biosUuid"`
	HardwareVersion string `json:"hardwareVersion"`
	// HostName, IPAddress, IPs and ToolsRunningStatus are the guest as VMware
	// Tools report it: guest.hostName, guest.ipAddress, the addresses on
	// guest.net, guest.toolsRunningStatus.
	HostName           string   `json:"hostName"`
	IPAddress          string   `json:"ipAddress"`
	IPs                []string `json:"ips"`
	Networks           []string `json:"networks"`
	ToolsRunningStatus string   `json:"toolsRunningStatus"`
	// ExtraConfig holds every extraConfig option, the last value of a key winning.
	ExtraConfig map[string]string `json:"extraConfig"`
	// DuplicateKeys lists extraConfig keys present more than once (a real
	// vCenter never has any; a regression in the launcher's fix would).
	DuplicateKeys []string `json:"duplicateKeys,omitempty"`
}

func (in *inspector) vms() ([]vmInfo, error) {
	var vms []mo.VirtualMachine
	props := []string{"name", "runtime.powerState", "runtime.host", "config.template", "config.uuid", "config.version",
		"config.extraConfig", "guest.hostName", "guest.ipAddress", "guest.net", "guest.toolsRunningStatus"}
	if err := in.retrieve([]string{"VirtualMachine"}, props, &vms); err != nil {
		return nil, err
	}
	out := []vmInfo{}
	for _, vm := range vms {
		v := vmInfo{Name: vm.Name, Path: in.paths[vm.Self], Ref: vm.Self.Value, PowerState: string(vm.Runtime.PowerState),
			ExtraConfig: map[string]string{}, IPs: []string{}, Networks: []string{}}
		if g := vm.Guest; g != nil {
			v.HostName, v.IPAddress, v.ToolsRunningStatus = g.HostName, g.IpAddress, g.ToolsRunningStatus
			for _, n := range g.Net {
				v.IPs = append(v.IPs, n.IpAddress...)
				v.Networks = append(v.Networks, n.Network)
			}
		}
		if vm.Runtime.Host != nil {
			v.Host = in.names([]types.ManagedObjectReference{*vm.Runtime.Host})[0]
		}
		if vm.Config != nil {
			v.Template = vm.Config.Template
			v.UUID = vm.Config.Uuid
			v.BiosUUID = vm.Config.Uuid
			v.HardwareVersion = vm.Config.Version
			seen := map[string]int{}
			for _, o := range vm.Config.ExtraConfig {
				ov := o.GetOptionValue()
				v.ExtraConfig[ov.Key] = fmt.Sprint(ov.Value)
				if seen[ov.Key]++; seen[ov.Key] == 2 {
					v.DuplicateKeys = append(v.DuplicateKeys, ov.Key)
				}
				if ov.Key == "disk.enableUUID" {
					s := fmt.Sprint(ov.Value)
					v.EnableUUID = &s
				}
			}
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

type datastoreInfo struct {
	Name       string   `json:"name"`
	Path       string   `json:"path"`
	Ref        string   `json:"ref"`
	Type       string   `json:"type"`
	URL        string   `json:"url"`
	Capacity   int64    `json:"capacity"`
	Free       int64    `json:"free"`
	RemoteHost string   `json:"remoteHost,omitempty"`
	RemotePath string   `json:"remotePath,omitempty"`
	Hosts      []string `json:"hosts"`
}

func (in *inspector) datastores() ([]datastoreInfo, error) {
	var dss []mo.Datastore
	if err := in.retrieve([]string{"Datastore"}, []string{"name", "summary", "info", "host"}, &dss); err != nil {
		return nil, err
	}
	out := []datastoreInfo{}
	for _, ds := range dss {
		d := datastoreInfo{
			Name: ds.Name, Path: in.paths[ds.Self], Ref: ds.Self.Value, Type: ds.Summary.Type,
			URL: ds.Summary.Url, Capacity: ds.Summary.Capacity, Free: ds.Summary.FreeSpace,
		}
		if nas, ok := ds.Info.(*types.NasDatastoreInfo); ok && nas.Nas != nil {
			d.RemoteHost, d.RemotePath = nas.Nas.RemoteHost, nas.Nas.RemotePath
		}
		var hosts []types.ManagedObjectReference
		for _, m := range ds.Host {
			hosts = append(hosts, m.Key)
		}
		d.Hosts = in.names(hosts)
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

type hostInfo struct {
	Name       string   `json:"name"`
	Path       string   `json:"path"`
	Ref        string   `json:"ref"`
	Cluster    string   `json:"cluster"`
	Datastores []string `json:"datastores"`
	// APIVersion is config.product.apiVersion, e.g. "8.0.2.0".
	APIVersion string `json:"apiVersion"`
}

func (in *inspector) hosts() ([]hostInfo, error) {
	var hosts []mo.HostSystem
	if err := in.retrieve([]string{"HostSystem"}, []string{"name", "parent", "datastore", "config.product"}, &hosts); err != nil {
		return nil, err
	}
	out := []hostInfo{}
	for _, h := range hosts {
		hi := hostInfo{Name: h.Name, Path: in.paths[h.Self], Ref: h.Self.Value, Datastores: in.names(h.Datastore)}
		if h.Config != nil {
			hi.APIVersion = h.Config.Product.ApiVersion
		}
		if h.Parent != nil && h.Parent.Type == "ClusterComputeResource" {
			hi.Cluster = in.paths[*h.Parent]
		}
		out = append(out, hi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

type folderInfo struct {
	Path      string   `json:"path"`
	Ref       string   `json:"ref"`
	ChildType []string `json:"childType"`
	Children  int      `json:"children"`
}

func (in *inspector) folders() ([]folderInfo, error) {
	var folders []mo.Folder
	if err := in.retrieve([]string{"Folder"}, []string{"childType", "childEntity"}, &folders); err != nil {
		return nil, err
	}
	out := []folderInfo{}
	for _, f := range folders {
		out = append(out, folderInfo{Path: in.paths[f.Self], Ref: f.Self.Value, ChildType: f.ChildType, Children: len(f.ChildEntity)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

type roleInfo struct {
	Name       string   `json:"name"`
	ID         int32    `json:"id"`
	System     bool     `json:"system"`
	Privileges []string `json:"privileges"`
}

func (in *inspector) authManager() (*object.AuthorizationManager, []types.AuthorizationRole, error) {
	am := object.NewAuthorizationManager(in.c)
	roles, err := am.RoleList(in.ctx)
	return am, roles, err
}

func (in *inspector) roles() ([]roleInfo, error) {
	_, roles, err := in.authManager()
	if err != nil {
		return nil, err
	}
	out := []roleInfo{}
	for _, r := range roles {
		privs := append([]string{}, r.Privilege...)
		sort.Strings(privs)
		out = append(out, roleInfo{Name: r.Name, ID: r.RoleId, System: r.System, Privileges: privs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

type permissionInfo struct {
	Entity    string `json:"entity"`
	EntityRef string `json:"entityRef"`
	Principal string `json:"principal"`
	Group     bool   `json:"group"`
	RoleID    int32  `json:"roleId"`
	Role      string `json:"role"`
	Propagate bool   `json:"propagate"`
}

func (in *inspector) permissions() ([]permissionInfo, error) {
	am, roles, err := in.authManager()
	if err != nil {
		return nil, err
	}
	perms, err := am.RetrieveAllPermissions(in.ctx)
	if err != nil {
		return nil, err
	}
	roleName := map[int32]string{}
	for _, r := range roles {
		roleName[r.RoleId] = r.Name
	}
	out := []permissionInfo{}
	for _, p := range perms {
		pi := permissionInfo{Principal: p.Principal, Group: p.Group, RoleID: p.RoleId, Role: roleName[p.RoleId], Propagate: p.Propagate}
		if p.Entity != nil {
			pi.Entity, pi.EntityRef = in.paths[*p.Entity], p.Entity.Value
		}
		out = append(out, pi)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Entity != out[j].Entity {
			return out[i].Entity < out[j].Entity
		}
		return out[i].Principal < out[j].Principal
	})
	return out, nil
}

func (in *inspector) privileges(user string, paths []string) (map[string][]string, error) {
	var refs []types.ManagedObjectReference
	for _, p := range paths {
		ref, err := in.byPath(p)
		if err != nil {
			return nil, err
		}
		refs = append(refs, ref)
	}
	am := object.NewAuthorizationManager(in.c)
	res, err := am.FetchUserPrivilegeOnEntities(in.ctx, refs, user)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, r := range res {
		privs := append([]string{}, r.Privileges...)
		sort.Strings(privs)
		out[in.paths[r.Entity]] = privs
	}
	return out, nil
}

func (in *inspector) findVM(nameOrPath string) (*object.VirtualMachine, error) {
	var found []types.ManagedObjectReference
	for ref, p := range in.paths {
		if ref.Type != "VirtualMachine" {
			continue
		}
		if p == nameOrPath || p[strings.LastIndex(p, "/")+1:] == nameOrPath {
			found = append(found, ref)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no VM %q", nameOrPath)
	case 1:
		return object.NewVirtualMachine(in.c, found[0]), nil
	}
	return nil, fmt.Errorf("%d VMs named %q: use the inventory path", len(found), nameOrPath)
}

type done struct {
	OK bool `json:"ok"`
}

func (in *inspector) setExtraConfig(vmName, key, value string) (interface{}, error) {
	vm, err := in.findVM(vmName)
	if err != nil {
		return nil, err
	}
	task, err := vm.Reconfigure(in.ctx, types.VirtualMachineConfigSpec{
		ExtraConfig: []types.BaseOptionValue{&types.OptionValue{Key: key, Value: value}},
	})
	if err != nil {
		return nil, err
	}
	return done{true}, task.Wait(in.ctx)
}

func (in *inspector) power(vmName string, on bool) (interface{}, error) {
	vm, err := in.findVM(vmName)
	if err != nil {
		return nil, err
	}
	var task *object.Task
	if on {
		task, err = vm.PowerOn(in.ctx)
	} else {
		task, err = vm.PowerOff(in.ctx)
	}
	if err != nil {
		return nil, err
	}
	return done{true}, task.Wait(in.ctx)
}

func (in *inspector) removePermission(path, principal string, group bool) (interface{}, error) {
	ref, err := in.byPath(path)
	if err != nil {
		return nil, err
	}
	am := object.NewAuthorizationManager(in.c)
	return done{true}, am.RemoveEntityPermission(in.ctx, ref, principal, group)
}

func (in *inspector) setRolePrivileges(name string, privs []string) (interface{}, error) {
	am, roles, err := in.authManager()
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		if r.Name == name {
			return done{true}, am.UpdateRole(in.ctx, r.RoleId, r.Name, privs)
		}
	}
	return nil, fmt.Errorf("no role %q", name)
}

func (in *inspector) about() map[string]string {
	a := in.c.ServiceContent.About
	return map[string]string{
		"name": a.Name, "fullName": a.FullName, "vendor": a.Vendor, "version": a.Version, "build": a.Build,
		"osType": a.OsType, "productLineId": a.ProductLineId, "apiType": a.ApiType, "apiVersion": a.ApiVersion,
		"instanceUuid": a.InstanceUuid,
	}
}

type sessionInfo struct {
	Key            string `json:"key"`
	UserName       string `json:"userName"`
	LoginTime      string `json:"loginTime"`
	LastActiveTime string `json:"lastActiveTime"`
}

// sessions lists the simulator's sessions except inspect's own.
func (in *inspector) sessions() ([]sessionInfo, error) {
	var sm mo.SessionManager
	pc := property.DefaultCollector(in.c)
	if err := pc.RetrieveOne(in.ctx, *in.c.ServiceContent.SessionManager, []string{"sessionList", "currentSession"}, &sm); err != nil {
		return nil, err
	}
	out := []sessionInfo{}
	for _, s := range sm.SessionList {
		if sm.CurrentSession != nil && s.Key == sm.CurrentSession.Key {
			continue
		}
		out = append(out, sessionInfo{Key: s.Key, UserName: s.UserName,
			LoginTime: s.LoginTime.UTC().Format(time.RFC3339), LastActiveTime: s.LastActiveTime.UTC().Format(time.RFC3339)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LoginTime < out[j].LoginTime })
	return out, nil
}

func (in *inspector) roleID(name string) (*object.AuthorizationManager, int32, error) {
	am, roles, err := in.authManager()
	if err != nil {
		return nil, 0, err
	}
	for _, r := range roles {
		if r.Name == name {
			return am, r.RoleId, nil
		}
	}
	return nil, 0, fmt.Errorf("no role %q", name)
}

func (in *inspector) removeRole(name string) (interface{}, error) {
	am, id, err := in.roleID(name)
	if err != nil {
		return nil, err
	}
	return done{true}, am.RemoveRole(in.ctx, id, false)
}

func (in *inspector) setPermission(path, principal, role string, propagate bool) (interface{}, error) {
	ref, err := in.byPath(path)
	if err != nil {
		return nil, err
	}
	am, id, err := in.roleID(role)
	if err != nil {
		return nil, err
	}
	return done{true}, am.SetEntityPermissions(in.ctx, ref, []types.Permission{{
		Principal: principal, RoleId: id, Propagate: propagate,
	}})
}

type cnsSnapshot struct {
	VolumeID    string `json:"volumeId"`
	SnapshotID  string `json:"snapshotId"`
	Description string `json:"description"`
}

// cnsSnapshots lists every CNS snapshot the simulator holds.
func (in *inspector) cnsSnapshots() ([]cnsSnapshot, error) {
	c, err := cns.NewClient(in.ctx, in.c)
	if err != nil {
		return nil, err
	}
	task, err := c.QuerySnapshots(in.ctx, cnstypes.CnsSnapshotQueryFilter{})
	if err != nil {
		return nil, err
	}
	info, err := cns.GetTaskInfo(in.ctx, task)
	if err != nil {
		return nil, err
	}
	res, err := cns.GetQuerySnapshotsTaskResult(in.ctx, info)
	if err != nil {
		return nil, err
	}
	out := []cnsSnapshot{}
	for _, e := range res.Entries {
		if e.Error != nil {
			return nil, fmt.Errorf("CnsQuerySnapshots: %s", e.Error.LocalizedMessage)
		}
		out = append(out, cnsSnapshot{e.Snapshot.VolumeId.Id, e.Snapshot.SnapshotId.Id, e.Snapshot.Description})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].VolumeID != out[j].VolumeID {
			return out[i].VolumeID < out[j].VolumeID
		}
		return out[i].Description < out[j].Description
	})
	return out, nil
}
