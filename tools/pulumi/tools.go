//go:build tools

// Package tools pins the main packages of the pulumi CLI and of the YAML
// language host, so that build.sh can build them from the Go module proxy
// as dependencies of this module.
package tools

import (
	_ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
