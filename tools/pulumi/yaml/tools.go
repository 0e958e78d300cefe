//go:build tools

// Package yaml pins the main package of the Pulumi YAML language host. It is
// a module of its own because pulumi-yaml v1.25.0 needs the pulumi pkg/v3 it
// was released with, not the one the CLI is built from.
package yaml

import (
	_ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
)
