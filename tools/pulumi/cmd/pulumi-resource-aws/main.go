// Command pulumi-resource-aws is a TEST-ONLY Pulumi resource provider that
// stands in for the real AWS provider in datalayer's integration tests.
//
// It runs as package "aws" and implements aws:rds/instance:Instance and
// aws:rds/parameterGroup:ParameterGroup with the real provider's type tokens
// and input and output names, backed by the RDS API of whatever endpoint
// AWS_ENDPOINT_URL_RDS (or AWS_ENDPOINT_URL) names — datalayer's RDS
// simulator. It refuses to start without such an override, so it can never
// talk to real AWS. Build it with tools/pulumi/build.sh and give it to Pulumi
// by path (Project.Plugins); never put it on a PATH a user shares.
package main

import (
	"context"
	"fmt"
	"os"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Name is the Pulumi package name this plugin serves.
const Name = "aws"

// Version is the version the plugin reports; the major matches the
// @pulumi/aws the fixture programs are written against.
const Version = "7.35.0"

func main() {
	if _, err := endpointFromEnv(os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-aws (datalayer test provider):", err)
		os.Exit(1)
	}
	prov, err := newProvider()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-aws:", err)
		os.Exit(1)
	}
	if err := p.RunProvider(context.Background(), Name, Version, prov); err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-aws:", err)
		os.Exit(1)
	}
}

// newProvider assembles the provider from its resources.
func newProvider() (p.Provider, error) {
	prov, err := infer.NewProviderBuilder().
		WithDisplayName("AWS (datalayer test provider)").
		WithDescription("Test-only stand-in for the AWS provider, backed by the datalayer RDS simulator.").
		WithConfig(infer.Config(&Config{})).
		WithResources(
			infer.Resource(&Instance{}),
			infer.Resource(&ParameterGroup{}),
		).
		Build()
	if err != nil {
		return p.Provider{}, fmt.Errorf("build provider: %w", err)
	}
	return prov, nil
}
