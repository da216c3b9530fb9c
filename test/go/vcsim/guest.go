package main

import (
	"fmt"
	"net/netip"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// The node VMs' guests report addresses from nodeNet, from 10.0.1.1 upwards.
const (
	nodeNet    = "10.0.0.0/16"
	maxNodeIPs = 65534 - 256
)

// nodeIP is the address of the n-th node VM (0-based).
func nodeIP(n int) string {
	v := 256 + 1 + n
	return fmt.Sprintf("10.0.%d.%d", v>>8, v&255)
}

// toolsVersion is VMware Tools 12.4.0 in vSphere's encoding
// (major<<10 | minor<<5 | patch).
const toolsVersion = 12<<10 | 4<<5

// guestIdentity is what VMware Tools in a node VM's guest report.
type guestIdentity struct {
	hostName string
	ip       string
	// network is the NIC's port group name (the simulator leaves
	// guest.net[].network empty for a distributed port group).
	network string
}

// guestTools plays VMware Tools for the node VMs: while a VM is powered on
// its guest reports the hostname (the VM's name), its IPv4 address in
// guest.ipAddress and on its NIC in guest.net, and tools running; when it
// powers off, tools stop and the addresses go away, as on vCenter. The
// simulator itself leaves the guest empty with tools not installed, so the
// vSphere CPI would find no node addresses.
//
// It is a Registry handler: it sees every property update and reacts to the
// runtime.powerState changes of the VMs it knows.
type guestTools struct {
	mu  sync.Mutex
	vms map[types.ManagedObjectReference]guestIdentity
}

var guests = &guestTools{vms: map[types.ManagedObjectReference]guestIdentity{}}

func (g *guestTools) add(vm types.ManagedObjectReference, id guestIdentity) {
	g.mu.Lock()
	g.vms[vm] = id
	g.mu.Unlock()
}

func (g *guestTools) identity(vm types.ManagedObjectReference) (guestIdentity, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	id, ok := g.vms[vm]
	return id, ok
}

// report sets the VM's guest as Tools report it now, outside a power change
// (the node VMs created powered off).
func (g *guestTools) report(ctx *simulator.Context, ref types.ManagedObjectReference, running bool) {
	id, ok := g.identity(ref)
	vm, isVM := asVM(ctx.Map.Get(ref))
	if !ok || !isVM {
		return
	}
	ctx.WithLock(vm, func() {
		guest, summary := guestInfo(vm.Guest, id, running)
		ctx.Update(vm, []types.PropertyChange{{Name: "guest", Val: guest}, {Name: "summary.guest", Val: summary}})
	})
}

func (g *guestTools) Reference() types.ManagedObjectReference {
	return types.ManagedObjectReference{Type: "vkGuestTools", Value: "guest-tools"}
}

func (g *guestTools) PutObject(*simulator.Context, mo.Reference) {}

func (g *guestTools) RemoveObject(*simulator.Context, types.ManagedObjectReference) {}

func (g *guestTools) UpdateObject(ctx *simulator.Context, obj mo.Reference, changes []types.PropertyChange) {
	ref := obj.Reference()
	if ref.Type != "VirtualMachine" {
		return
	}
	id, ok := g.identity(ref)
	if !ok {
		return
	}
	for _, c := range changes {
		if c.Name != "runtime.powerState" {
			continue
		}
		vm, ok := asVM(ctx.Map.Get(ref))
		if !ok {
			return
		}
		state, _ := c.Val.(types.VirtualMachinePowerState)
		guest, summary := guestInfo(vm.Guest, id, state == types.VirtualMachinePowerStatePoweredOn)
		ctx.Update(vm, []types.PropertyChange{
			{Name: "guest", Val: guest},
			{Name: "summary.guest", Val: summary},
		})
		return
	}
}

// guestInfo is the guest as Tools report it, keeping the NICs' network and
// MAC from the simulator's own guest.net.
func guestInfo(cur *types.GuestInfo, id guestIdentity, running bool) (*types.GuestInfo, *types.VirtualMachineGuestSummary) {
	g := &types.GuestInfo{
		GuestId:            string(types.VirtualMachineGuestOsIdentifierUbuntu64Guest),
		GuestFullName:      "Ubuntu Linux (64-bit)",
		GuestFamily:        string(types.VirtualMachineGuestOsFamilyLinuxGuest),
		HostName:           id.hostName,
		ToolsVersion:       fmt.Sprint(toolsVersion),
		ToolsVersionStatus: string(types.VirtualMachineToolsVersionStatusGuestToolsCurrent),
		// ToolsVersionStatus2 is what clients read since vSphere 5.0.
		ToolsVersionStatus2: string(types.VirtualMachineToolsVersionStatusGuestToolsCurrent),
		ToolsStatus:         types.VirtualMachineToolsStatusToolsNotRunning,
		ToolsRunningStatus:  string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning),
		GuestState:          string(types.VirtualMachineGuestStateNotRunning),
	}
	if cur != nil {
		for _, n := range cur.Net {
			if n.Network == "" {
				n.Network = id.network
			}
			g.Net = append(g.Net, types.GuestNicInfo{
				Network: n.Network, MacAddress: n.MacAddress, Connected: n.Connected, DeviceConfigId: n.DeviceConfigId,
			})
		}
	}
	if running {
		g.ToolsStatus = types.VirtualMachineToolsStatusToolsOk
		g.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
		g.GuestState = string(types.VirtualMachineGuestStateRunning)
		g.IpAddress = id.ip
		if len(g.Net) > 0 {
			prefix := netip.MustParsePrefix(nodeNet)
			g.Net[0].IpAddress = []string{id.ip}
			g.Net[0].IpConfig = &types.NetIpConfigInfo{IpAddress: []types.NetIpConfigInfoIpAddress{{
				IpAddress:    id.ip,
				PrefixLength: int32(prefix.Bits()),
				State:        string(types.NetIpConfigInfoIpAddressStatusPreferred),
			}}}
		}
	}
	s := &types.VirtualMachineGuestSummary{
		GuestId:             g.GuestId,
		GuestFullName:       g.GuestFullName,
		ToolsStatus:         g.ToolsStatus,
		ToolsVersionStatus:  g.ToolsVersionStatus,
		ToolsVersionStatus2: g.ToolsVersionStatus2,
		ToolsRunningStatus:  g.ToolsRunningStatus,
		HostName:            g.HostName,
		IpAddress:           g.IpAddress,
	}
	return g, s
}
