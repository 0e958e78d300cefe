// Package runbooks holds the content the engine runs: the deploy, upgrade
// and restore runbooks, registered in one place (registry in run.go), with
// the AWS and Pulumi clients they use (Deps), the waits on AWS and the
// adapters that turn the clients' samples and progress into the engine's
// payloads.
package runbooks
