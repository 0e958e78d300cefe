package e2e

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/rehearsal"
)

// TestKillMidRestoreThenResume kills `datalayer rehearse restore` with
// SIGKILL while the restored instance is being created, runs `datalayer
// resume`, and checks the restore finishes with no AWS operation issued
// twice: the simulator's log of mutating requests (kept in the state
// directory across both processes) and the journal agree.
func TestKillMidRestoreThenResume(t *testing.T) {
	bin := binary(t)
	state := t.TempDir()
	env := append(os.Environ(), "DATALAYER_STATE_DIR="+state, "NO_COLOR=1")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	first := exec.CommandContext(ctx, bin, "rehearse", "restore", "--plain", "--yes", "--method", "console", "--lost", "isolated", "--speed", "30")
	first.Env = env
	first.Stdin = strings.NewReader("")
	out, err := first.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	first.Stderr = first.Stdout
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	var seen []string
	killed := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		seen = append(seen, line)
		// The restore was issued and AWS is creating the new instance.
		if strings.Contains(line, "instance app5ec7032-restored: creating") || strings.Contains(line, "▶ wait-restored") {
			if err := first.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
			break
		}
	}
	_ = first.Wait()
	if !killed {
		t.Fatalf("never reached the restore; output:\n%s", strings.Join(seen, "\n"))
	}

	runs, err := engine.ListRuns(state)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs after the kill: %+v, %v", runs, err)
	}
	if runs[0].Finished {
		t.Fatal("the killed run is recorded as finished")
	}
	before, err := rehearsal.ReadRequestLog(rehearsal.WorldDir(state, runs[0].Info.RunID))
	if err != nil {
		t.Fatal(err)
	}
	if before["RestoreDBInstanceFromDBSnapshot"] != 1 {
		t.Fatalf("the kill came before the restore reached AWS: %v", before)
	}

	second := exec.CommandContext(ctx, bin, "resume", "--plain", "--yes")
	second.Env = env
	second.Stdin = strings.NewReader("")
	b, err := second.CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, b)
	}
	if !strings.Contains(string(b), "run done") {
		t.Fatalf("resume did not finish the run:\n%s", b)
	}

	counts, err := rehearsal.ReadRequestLog(rehearsal.WorldDir(state, runs[0].Info.RunID))
	if err != nil {
		t.Fatal(err)
	}
	// Three modifies: the settings the restore could not take, two renames.
	for action, want := range map[string]int{"CreateDBSnapshot": 1, "RestoreDBInstanceFromDBSnapshot": 1, "ModifyDBInstance": 3} {
		if counts[action] != want {
			t.Errorf("%s reached AWS %d times, want %d (all: %v)", action, counts[action], want, counts)
		}
	}
	evs, err := engine.ReadJournalFile(runs[0].Path)
	if err != nil {
		t.Fatalf("journal: %v", err)
	}
	issued := map[string]int{}
	finished := 0
	for _, e := range evs {
		switch e.Type {
		case engine.EventIssued:
			issued[e.Name]++
		case engine.EventRunFinished:
			finished++
		}
	}
	if issued["restore"] != 1 || issued["create-snapshot"] != 1 {
		t.Errorf("journal issued counts %v: the restore and the snapshot must be issued once", issued)
	}
	if finished != 1 {
		t.Errorf("journal has %d run-finished events, want 1", finished)
	}
}
