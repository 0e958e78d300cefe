package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binPath is the datalayer binary every test of the package runs: built
// once, in TestMain, from the module root.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "datalayer-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "datalayer")
	cmd := exec.Command("go", "build", "-o", binPath, ".")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build: %v\n%s", err, out)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// binary returns the datalayer binary built for this test run.
func binary(t *testing.T) string {
	t.Helper()
	if binPath == "" {
		t.Fatal("e2e: the datalayer binary was not built (TestMain did not run)")
	}
	return binPath
}
