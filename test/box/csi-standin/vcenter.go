package main

// The stand-in's vCenter side: one session with the configured user, the
// version check the driver makes, the node VMs and the datastores they
// share, storage policies and topology tags.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/cns"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/pbm"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vapi/tags"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type vcenter struct {
	host        string
	cfg         *virtualCenter
	client      *vim25.Client
	cns         *cns.Client
	datacenters []*object.Datacenter
}

// The driver's minimum: vCenter 6.7 Update 3.
var minVersion = [3]int{6, 7, 3}

func connect(ctx context.Context, host string, vc *virtualCenter) (*vcenter, error) {
	u := &url.URL{Scheme: "https", Host: host + ":" + vc.Port, Path: "/sdk"}
	sc := soap.NewClient(u, vc.InsecureFlag)
	if vc.CAFile != "" {
		if err := sc.SetRootCAs(vc.CAFile); err != nil {
			return nil, fmt.Errorf("failed to connect to vCenter using CA file: %q: %v", vc.CAFile, err)
		}
	}
	if vc.Thumbprint != "" {
		sc.SetThumbprint(u.Host, vc.Thumbprint)
	}
	client, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return nil, fmt.Errorf("failed to connect to vCenter. err: %v", err)
	}
	if err := session.NewManager(client).Login(ctx, url.UserPassword(vc.User, vc.Password)); err != nil {
		return nil, fmt.Errorf("failed to login to vc. err: %v", err)
	}
	about := client.ServiceContent.About
	if !atLeast(about.ApiVersion, minVersion) {
		return nil, fmt.Errorf("checkAPI failed for vcenter API version: %s for vCenter %s, err=the minimum supported vCenter is 6.7.3",
			about.ApiVersion, host)
	}
	c, err := cns.NewClient(ctx, client)
	if err != nil {
		return nil, fmt.Errorf("failed to create CNS client: %v", err)
	}
	v := &vcenter{host: host, cfg: vc, client: client, cns: c}
	finder := find.NewFinder(client, false)
	for _, name := range splitList(vc.Datacenters) {
		dc, err := finder.Datacenter(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("failed to find datacenter %q in vCenter %q: %v", name, host, err)
		}
		v.datacenters = append(v.datacenters, dc)
	}
	logf("connected to vCenter %s (%s, API %s) as %s", host, about.FullName, about.ApiVersion, vc.User)
	return v, nil
}

func atLeast(version string, min [3]int) bool {
	parts := strings.Split(version, ".")
	for i := 0; i < 3; i++ {
		n := 0
		if i < len(parts) {
			n, _ = strconv.Atoi(parts[i])
		}
		if n != min[i] {
			return n > min[i]
		}
	}
	return true
}

// vmByUUID finds a VM by its BIOS UUID (a node's systemUUID) in the configured datacenters.
func (v *vcenter) vmByUUID(ctx context.Context, uuid string) (*object.VirtualMachine, error) {
	si := object.NewSearchIndex(v.client)
	for _, dc := range v.datacenters {
		ref, err := si.FindByUuid(ctx, dc, uuid, true, types.NewBool(false))
		if err != nil {
			return nil, err
		}
		if ref != nil {
			return object.NewVirtualMachine(v.client, ref.Reference()), nil
		}
	}
	return nil, fmt.Errorf("no VM with UUID %q in datacenters %s", uuid, v.cfg.Datacenters)
}

// hostsOf returns the hosts the VMs run on.
func (v *vcenter) hostsOf(ctx context.Context, vms []*object.VirtualMachine) ([]types.ManagedObjectReference, error) {
	seen := map[types.ManagedObjectReference]bool{}
	var hosts []types.ManagedObjectReference
	for _, vm := range vms {
		var o mo.VirtualMachine
		if err := vm.Properties(ctx, vm.Reference(), []string{"runtime.host"}, &o); err != nil {
			return nil, err
		}
		if o.Runtime.Host != nil && !seen[*o.Runtime.Host] {
			seen[*o.Runtime.Host] = true
			hosts = append(hosts, *o.Runtime.Host)
		}
	}
	return hosts, nil
}

// sharedDatastores returns the datastores mounted on every one of the hosts.
func (v *vcenter) sharedDatastores(ctx context.Context, hosts []types.ManagedObjectReference) ([]mo.Datastore, error) {
	if len(hosts) == 0 {
		return nil, errors.New("no shared datastores found among given NodeVMs")
	}
	pc := property.DefaultCollector(v.client)
	var hs []mo.HostSystem
	if err := pc.Retrieve(ctx, hosts, []string{"datastore"}, &hs); err != nil {
		return nil, err
	}
	count := map[types.ManagedObjectReference]int{}
	for _, h := range hs {
		for _, ds := range h.Datastore {
			count[ds]++
		}
	}
	var refs []types.ManagedObjectReference
	for ds, n := range count {
		if n == len(hs) {
			refs = append(refs, ds)
		}
	}
	if len(refs) == 0 {
		return nil, errors.New("no shared datastores found among given NodeVMs")
	}
	var dss []mo.Datastore
	if err := pc.Retrieve(ctx, refs, []string{"name", "info", "summary"}, &dss); err != nil {
		return nil, err
	}
	return dss, nil
}

// allDatastoreURLs lists the URL of every datastore of the configured datacenters.
func (v *vcenter) datastoreExists(ctx context.Context, dsURL string) (bool, error) {
	for _, dc := range v.datacenters {
		finder := find.NewFinder(v.client, false).SetDatacenter(dc)
		list, err := finder.DatastoreList(ctx, "*")
		if err != nil {
			continue
		}
		refs := make([]types.ManagedObjectReference, len(list))
		for i, d := range list {
			refs[i] = d.Reference()
		}
		var dss []mo.Datastore
		if err := property.DefaultCollector(v.client).Retrieve(ctx, refs, []string{"summary"}, &dss); err != nil {
			return false, err
		}
		for _, d := range dss {
			if strings.TrimSpace(d.Summary.Url) == strings.TrimSpace(dsURL) {
				return true, nil
			}
		}
	}
	return false, nil
}

func (v *vcenter) policyID(ctx context.Context, name string) (string, error) {
	pc, err := pbm.NewClient(ctx, v.client)
	if err != nil {
		return "", err
	}
	id, err := pc.ProfileIDByName(ctx, name)
	if err != nil {
		return "", fmt.Errorf("failed to get StoragePolicyID from StoragePolicyName %s with err: %v", name, err)
	}
	return id, nil
}

// hostsInSegment returns the hosts under every object tagged with each of
// the segment's values (key = topology.csi.vmware.com/<category>).
func (v *vcenter) hostsInSegment(ctx context.Context, segment map[string]string) ([]types.ManagedObjectReference, error) {
	rc := rest.NewClient(v.client)
	if err := rc.Login(ctx, url.UserPassword(v.cfg.User, v.cfg.Password)); err != nil {
		return nil, fmt.Errorf("failed to log in to the vAPI endpoint: %v", err)
	}
	defer func() { _ = rc.Logout(ctx) }()
	tm := tags.NewManager(rc)
	var result map[types.ManagedObjectReference]bool
	for key, value := range segment {
		category := strings.TrimPrefix(key, topologyPrefix)
		tag, err := tm.GetTagForCategory(ctx, value, category)
		if err != nil {
			return nil, fmt.Errorf("no tag %q in category %q: %v", value, category, err)
		}
		objs, err := tm.ListAttachedObjects(ctx, tag.ID)
		if err != nil {
			return nil, err
		}
		hosts := map[types.ManagedObjectReference]bool{}
		for _, o := range objs {
			for _, h := range v.hostsUnder(ctx, o.Reference()) {
				hosts[h] = true
			}
		}
		if result == nil {
			result = hosts
		} else {
			for h := range result {
				if !hosts[h] {
					delete(result, h)
				}
			}
		}
	}
	var out []types.ManagedObjectReference
	for h := range result {
		out = append(out, h)
	}
	return out, nil
}

func (v *vcenter) hostsUnder(ctx context.Context, ref types.ManagedObjectReference) []types.ManagedObjectReference {
	if ref.Type == "HostSystem" {
		return []types.ManagedObjectReference{ref}
	}
	m := viewManager(v.client)
	view, err := m.CreateContainerView(ctx, ref, []string{"HostSystem"}, true)
	if err != nil {
		return nil
	}
	defer func() { _ = view.Destroy(ctx) }()
	refs, err := view.Find(ctx, []string{"HostSystem"}, nil)
	if err != nil {
		return nil
	}
	return refs
}

// segmentOf returns the VM's topology: for each category, the tag on the
// VM's host or one of its ancestors.
func (v *vcenter) segmentOf(ctx context.Context, vm *object.VirtualMachine, categories []string) (map[string]string, error) {
	hosts, err := v.hostsOf(ctx, []*object.VirtualMachine{vm})
	if err != nil || len(hosts) == 0 {
		return nil, fmt.Errorf("no host for VM %s: %v", vm.Reference(), err)
	}
	rc := rest.NewClient(v.client)
	if err := rc.Login(ctx, url.UserPassword(v.cfg.User, v.cfg.Password)); err != nil {
		return nil, fmt.Errorf("failed to log in to the vAPI endpoint: %v", err)
	}
	defer func() { _ = rc.Logout(ctx) }()
	tm := tags.NewManager(rc)
	segment := map[string]string{}
	for _, category := range categories {
		list, err := tm.GetTagsForCategory(ctx, category)
		if err != nil {
			return nil, fmt.Errorf("topology category %q: %v", category, err)
		}
		for _, tag := range list {
			objs, err := tm.ListAttachedObjects(ctx, tag.ID)
			if err != nil {
				return nil, err
			}
			for _, o := range objs {
				for _, h := range v.hostsUnder(ctx, o.Reference()) {
					if h == hosts[0] {
						segment[topologyPrefix+category] = tag.Name
					}
				}
			}
		}
	}
	return segment, nil
}
