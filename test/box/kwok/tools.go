//go:build tools

// The command the box builds from this module; this file keeps it in go.mod.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
