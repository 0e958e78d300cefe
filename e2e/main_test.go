package e2e

import (
	"os"
	"testing"

	"github.com/datalayer-tool/datalayer/internal/pulumitest"
)

// TestMain runs the package's tests through pulumitest.Main: one datalayer
// binary, built once for every test here (it is also the simulated AWS
// provider's plugin), removed at the end.
func TestMain(m *testing.M) { os.Exit(pulumitest.Main(m)) }

// binary returns the datalayer binary built for this test run.
func binary(t *testing.T) string {
	t.Helper()
	return pulumitest.Binary(t)
}
