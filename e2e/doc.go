// Package e2e drives the built datalayer binary the way a person would: in
// a real terminal (tmux), typing answers and reading the screen, or with
// --plain, answering on stdin.
//
// The production-path tests (prod_test.go and the TestProd* tests) run
// deploy, upgrade and restore --stack staging exactly as the on-call
// engineer does: a git repository with infrastructure/data and
// infrastructure/application (Pulumi YAML programs), the real pulumi CLI
// and YAML host from tools/pulumi, datalayer's simulated AWS provider
// served by the same binary, a local file backend, and `datalayer sim` as
// AWS in a process of its own, whose request log proves what AWS was asked
// to do and by whom. End states are read back with the AWS CLI
// (/usr/bin/aws) and the pulumi CLI. Nothing is skipped: a missing tool
// fails the test with how to get it.
package e2e
