package runview

import (
	"os"
	"testing"

	"github.com/datalayer-tool/datalayer/internal/pulumitest"
)

// TestMain removes the datalayer binary (it serves Pulumi's test provider)
// that TestPulumiStreamsFromTheCLI builds.
func TestMain(m *testing.M) { os.Exit(pulumitest.Main(m)) }
