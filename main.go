// Command datalayer is an interactive runbook for a Pulumi-managed AWS RDS
// Postgres database: deploy, major-version upgrade and restore from snapshot.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "datalayer: not wired yet")
	os.Exit(1)
}
