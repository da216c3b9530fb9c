package main

import (
	"fmt"
	"path"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// faultyVM handles ReconfigVM_Task for a VM whose reconfigure must fail
// (-fail-reconfigure: the task ends in a GenericVmConfigFault) or be refused
// (-deny-reconfigure: NoPermission on VirtualMachine.Config.AdvancedConfig).
// It replaces the VM in the registry and embeds the simulator's VM, so
// properties, power operations and tasks work as usual. Caveat: simulator
// code that type-asserts *simulator.VirtualMachine (CNS AttachVolume,
// snapshots, Destroy) does not work on these VMs. (Registry.Handler cannot
// route just this method: a logged-in session's lookup overrides it.)
type faultyVM struct {
	*simulator.VirtualMachine

	deny bool
}

func (vm *faultyVM) ReconfigVMTask(ctx *simulator.Context, req *types.ReconfigVM_Task) soap.HasFault {
	if vm.deny {
		return &methods.ReconfigVM_TaskBody{Fault_: simulator.Fault("Permission to perform this operation was denied.",
			&types.NoPermission{Object: &vm.Self, PrivilegeId: "VirtualMachine.Config.AdvancedConfig"})}
	}
	msg := fmt.Sprintf("An error occurred while saving the configuration file of virtual machine '%s': Device or resource busy", vm.Name)
	fault := &types.GenericVmConfigFault{Reason: msg}
	task := simulator.CreateTask(vm.VirtualMachine, "reconfigVm", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, fault
	})
	ref := task.Run(ctx)
	// The task's error carries the Go type name as its localized message;
	// vCenter sends the sentence users see.
	task.Wait()
	ctx.Map.AtomicUpdate(ctx, task, []types.PropertyChange{{
		Name: "info.error",
		Val:  types.LocalizedMethodFault{Fault: fault, LocalizedMessage: msg},
	}})
	return &methods.ReconfigVM_TaskBody{Res: &types.ReconfigVM_TaskResponse{Returnval: ref}}
}

// installFaultyVMs swaps the VMs matching -fail-reconfigure / -deny-reconfigure
// (comma-separated globs on the VM name) for faultyVM wrappers.
func installFaultyVMs(o *options) error {
	for _, e := range reg.All("VirtualMachine") {
		vm, ok := e.(*simulator.VirtualMachine)
		if !ok {
			continue
		}
		deny, err := matchesAny(o.denyReconfigure, vm.Name)
		if err != nil {
			return fmt.Errorf("-deny-reconfigure: %w", err)
		}
		fail, err := matchesAny(o.failReconfigure, vm.Name)
		if err != nil {
			return fmt.Errorf("-fail-reconfigure: %w", err)
		}
		if deny || fail {
			reg.Put(&faultyVM{VirtualMachine: vm, deny: deny})
		}
	}
	return nil
}

// asVM is the simulator VM behind a registry object (a faultyVM wraps one).
func asVM(obj mo.Reference) (*simulator.VirtualMachine, bool) {
	switch vm := obj.(type) {
	case *simulator.VirtualMachine:
		return vm, true
	case *faultyVM:
		return vm.VirtualMachine, true
	}
	return nil, false
}

func matchesAny(globs, name string) (bool, error) {
	for _, g := range splitList(globs) {
		ok, err := path.Match(g, name)
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}
