// Command datalayer is an interactive runbook for a Pulumi-managed AWS RDS
// Postgres database: deploy, major-version upgrade and restore from snapshot.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/datalayer-tool/datalayer/internal/cli"
	"github.com/datalayer-tool/datalayer/internal/quietinit"
	"github.com/datalayer-tool/datalayer/pulumiclient/simprovider"
)

func main() {
	quietinit.Restore() // first: see the package's comment
	// Pulumi starts its "aws" provider plugin through a link named
	// pulumi-resource-aws in a plugin directory datalayer writes: serve the
	// simulated provider instead of the command line.
	if simprovider.InvokedAsPlugin(os.Args[0]) {
		os.Exit(simprovider.Main(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	os.Exit(run())
}

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal the run winds down and keeps its journal; a
	// second one gets the default behaviour and ends the process at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
	return cli.Execute(ctx, os.Args[1:], cli.Stdio())
}
