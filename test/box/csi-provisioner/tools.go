//go:build tools

// The command the box builds from this module; this file keeps it in go.mod.
package tools

import _ "github.com/kubernetes-csi/external-provisioner/v5/cmd/csi-provisioner"
