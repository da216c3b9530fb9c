package main

import (
	"bytes"
	"fmt"
	"io/ioutil"
	"net/http"
	"path"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// extraConfigFix puts vCenter's extraConfig semantics back in front of the
// simulator: 0.24.2 appends every option a ReconfigVM_Task sets, so setting
// disk.enableUUID twice leaves two entries. After the simulator handled the
// call, the last value of each key wins and an empty value removes the key,
// as on a real vCenter.
func extraConfigFix(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/sdk" {
			next.ServeHTTP(w, r)
			return
		}
		body, err := ioutil.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.Body = ioutil.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
		if !bytes.Contains(body, []byte("ReconfigVM_Task")) {
			return
		}
		method, err := simulator.UnmarshalBody(types.TypeFunc(), body)
		if err != nil || method.Name != "ReconfigVM_Task" {
			return
		}
		obj := simulator.Map.Get(method.This)
		vm := asVM(obj)
		if vm == nil {
			return
		}
		simulator.Map.WithLock(obj, func() {
			vm.Config.ExtraConfig = dedupeOptions(vm.Config.ExtraConfig)
		})
	})
}

func asVM(obj interface{}) *simulator.VirtualMachine {
	switch vm := obj.(type) {
	case *simulator.VirtualMachine:
		return vm
	case *faultyVM:
		return &vm.VirtualMachine
	}
	return nil
}

func dedupeOptions(opts []types.BaseOptionValue) []types.BaseOptionValue {
	last := map[string]int{}
	for i, o := range opts {
		last[o.GetOptionValue().Key] = i
	}
	var out []types.BaseOptionValue
	for i, o := range opts {
		v := o.GetOptionValue()
		if last[v.Key] != i {
			continue
		}
		if s, ok := v.Value.(string); ok && s == "" {
			continue
		}
		out = append(out, o)
	}
	return out
}

// faultyVM stands in the simulator's registry for a VM whose reconfigure must
// fail (-fail-reconfigure: the task ends in a GenericVmConfigFault) or be
// refused (-deny-reconfigure: NoPermission on VirtualMachine.Config.AdvancedConfig).
// Everything else — properties, power operations, tasks — is the embedded
// simulator VM. Caveat: simulator code that type-asserts *VirtualMachine
// (CNS AttachVolume, snapshots, Destroy) does not work on these VMs.
type faultyVM struct {
	simulator.VirtualMachine

	deny bool
}

func (vm *faultyVM) ReconfigVMTask(ctx *simulator.Context, req *types.ReconfigVM_Task) soap.HasFault {
	if vm.deny {
		return &methods.ReconfigVM_TaskBody{Fault_: simulator.Fault("Permission to perform this operation was denied.",
			&types.NoPermission{Object: vm.Self, PrivilegeId: "VirtualMachine.Config.AdvancedConfig"})}
	}
	msg := fmt.Sprintf("An error occurred while saving the configuration file of virtual machine '%s': Device or resource busy", vm.Name)
	fault := &types.GenericVmConfigFault{Reason: msg}
	task := simulator.CreateTask(&vm.VirtualMachine, "reconfigVm", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, fault
	})
	ref := task.Run()
	// Task.Run sets the localized message to the Go type name; vCenter sends
	// the sentence users see.
	simulator.Map.Update(task, []types.PropertyChange{{
		Name: "info.error",
		Val:  types.LocalizedMethodFault{Fault: fault, LocalizedMessage: msg},
	}})
	return &methods.ReconfigVM_TaskBody{Res: &types.ReconfigVM_TaskResponse{Returnval: ref}}
}

// installFaultyVMs swaps the VMs matching -fail-reconfigure / -deny-reconfigure
// (comma-separated globs on the VM name) for faultyVM wrappers.
func installFaultyVMs(o *options) (int, error) {
	n := 0
	for _, e := range simulator.Map.All("VirtualMachine") {
		vm, ok := e.(*simulator.VirtualMachine)
		if !ok {
			continue
		}
		deny, err := matchesAny(o.denyReconfigure, vm.Name)
		if err != nil {
			return 0, fmt.Errorf("-deny-reconfigure: %w", err)
		}
		fail, err := matchesAny(o.failReconfigure, vm.Name)
		if err != nil {
			return 0, fmt.Errorf("-fail-reconfigure: %w", err)
		}
		if deny || fail {
			simulator.Map.Put(&faultyVM{VirtualMachine: *vm, deny: deny})
			n++
		}
	}
	return n, nil
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
