// Package simprovider is datalayer's simulated AWS provider for Pulumi: a
// resource provider plugin that serves package "aws" with the real
// provider's type tokens (aws:rds/instance:Instance,
// aws:rds/parameterGroup:ParameterGroup), input and output names, and its
// create, diff, update, read and delete behaviour, backed by the RDS API of
// the endpoint AWS_ENDPOINT_URL_RDS (or AWS_ENDPOINT_URL) names: datalayer's
// RDS simulator.
//
// The datalayer binary serves it when it is started as pulumi-resource-aws
// (a symbolic link in a plugin directory, see WritePluginDir), so a real
// pulumi CLI can run a rehearsal or a test against the simulator with
// exactly the code of the production path. It is built on
// github.com/pulumi/pulumi/sdk/v3 alone: the gRPC ResourceProvider service,
// plugin.MarshalProperties and the SDK's serving helpers.
//
// It refuses to start without an endpoint override and refuses any
// *.amazonaws.com endpoint: it never talks to real AWS.
package simprovider
