//go:build tools

// Package tools pins the main package of the pulumi CLI, so that build.sh
// can build it from the Go module proxy as a dependency of this module (the
// CLI's own go.mod replaces sdk/v3 with a relative path, so it cannot be
// installed directly). The YAML language host lives in ./yaml, a module of
// its own, because it needs an older pkg/v3.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
