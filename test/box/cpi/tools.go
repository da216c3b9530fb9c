//go:build tools

// The command the box builds from this module; this file keeps it in go.mod.
package tools

import _ "k8s.io/cloud-provider-vsphere/cmd/vsphere-cloud-controller-manager"
