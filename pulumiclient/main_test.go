package pulumiclient

import (
	"os"
	"testing"

	"github.com/datalayer-tool/datalayer/internal/pulumitest"
)

// TestMain removes the datalayer binary the integration tests build for
// the simulated AWS provider.
func TestMain(m *testing.M) { os.Exit(pulumitest.Main(m)) }
