package rehearsal

import (
	"os"
	"testing"

	"github.com/datalayer-tool/datalayer/internal/pulumitest"
	"github.com/datalayer-tool/datalayer/pulumiclient/simprovider"
)

// TestMain serves the simulated AWS provider when a real-engine rehearsal
// starts this test binary as pulumi-resource-aws (the datalayer binary
// does the same in main.go), so the tests need no second build.
func TestMain(m *testing.M) {
	if simprovider.InvokedAsPlugin(os.Args[0]) {
		os.Exit(simprovider.Main(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	os.Exit(pulumitest.Main(m))
}
