//go:build !windows

package pulumiclient

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeCLI is a stand-in for the pulumi CLI: it says it started, keeps
// printing (as `pulumi up` prints progress), and records how it ended: an
// interrupt it handled, or the end of its work. A write to a broken pipe
// would kill it before it records anything.
const fakeCLI = `#!/bin/sh
trap 'echo interrupted > "$FAKE_MARK"; exit 130' INT
echo started > "$FAKE_MARK.started"
i=0
while [ $i -lt 30 ]; do echo "updating $i"; echo "progress $i" >&2; sleep 0.1; i=$((i+1)); done
echo finished > "$FAKE_MARK"
`

// TestHelperCLIParent is not a test: TestCLIFinishesWhenDatalayerDies runs
// the test binary as a stand-in datalayer that starts the fake CLI and
// waits, to be killed.
func TestHelperCLIParent(t *testing.T) {
	script := os.Getenv("FAKE_CLI")
	if script == "" {
		return
	}
	c := &cliCommand{path: script, grace: time.Minute}
	_, _, _, _ = c.Run(context.Background(), filepath.Dir(script), nil, nil, nil, nil, "up")
	t.Fatal("the fake CLI ended while its parent was alive")
}

// TestCLIFinishesWhenDatalayerDies: when datalayer is killed (SIGKILL)
// while the pulumi CLI runs, the CLI finishes its work cleanly. Its output
// used to go to a pipe whose reader died with datalayer, which killed it at
// its next line, half-way through an update (stack locked, pending
// operations). It is not signalled either: Linux's parent-death signal
// would reach it once per dying thread of the Go parent, and pulumi's
// second SIGINT terminates it at once.
func TestCLIFinishesWhenDatalayerDies(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "pulumi")
	if err := os.WriteFile(script, []byte(fakeCLI), 0o755); err != nil {
		t.Fatal(err)
	}
	mark := filepath.Join(dir, "mark")
	parent := exec.Command(os.Args[0], "-test.run=^TestHelperCLIParent$", "-test.count=1")
	parent.Env = append(os.Environ(), "FAKE_CLI="+script, "FAKE_MARK="+mark)
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = parent.Process.Kill(); _ = parent.Wait() }()
	waitFile(t, mark+".started", 30*time.Second)
	time.Sleep(300 * time.Millisecond) // a few lines of output first
	if err := parent.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = parent.Wait()
	got := waitFile(t, mark, 20*time.Second)
	if strings.TrimSpace(got) != "finished" {
		t.Fatalf("the CLI ended %q after datalayer died, want finished", got)
	}
}

// TestCLIOutputFromFiles: the CLI's stdout and stderr come back whole
// through the files it writes, and the process observer learns its pid.
func TestCLIOutputFromFiles(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "pulumi")
	body := "#!/bin/sh\necho \"args: $*\"\necho warning >&2\nexit 3\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	var seen []ProcessStarted
	ctx := WithProcessObserver(context.Background(), func(ps ProcessStarted) { seen = append(seen, ps) })
	c := &cliCommand{path: script, grace: time.Second}
	stdout, stderr, code, err := c.Run(ctx, dir, nil, nil, nil, nil, "stack", "ls")
	if err == nil || code != 3 || stdout != "args: --non-interactive stack ls\n" || stderr != "warning\n" {
		t.Errorf("Run = %q, %q, %d, %v", stdout, stderr, code, err)
	}
	if len(seen) != 1 || seen[0].PID <= 0 || strings.Join(seen[0].Args, " ") != "--non-interactive stack ls" {
		t.Errorf("observed %+v", seen)
	}
}

func waitFile(t *testing.T, path string, limit time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %s", path, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
