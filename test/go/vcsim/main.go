// Command vcsim is vk's test launcher around govmomi's vCenter simulator
// (the govmomi release in go.mod). It shapes the inventory the way vk's
// tests need it (clusters, VMFS-like and NFS datastores, a folder of node VMs
// that report guest info, driver principals and privileges), wraps the few
// places where the simulator still departs from a real vCenter in ways vk
// depends on, and prints one JSON line describing how to connect.
//
//	vcsim [flags]                 start a simulator (see -h)
//	vcsim inspect -url URL WHAT   read its state back through govmomi
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "inspect" {
		if err := runInspect(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "vcsim inspect:", err)
			os.Exit(1)
		}
		return
	}
	if err := runServe(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "vcsim:", err)
		os.Exit(1)
	}
}
