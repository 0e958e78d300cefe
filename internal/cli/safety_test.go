package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A journal damaged in the middle still reports every readable record,
// and names the damage on stderr.
func TestReportOfDamagedJournal(t *testing.T) {
	dir := t.TempDir()
	journal := strings.Join([]string{
		`{"seq":1,"time":"2026-11-25T03:00:00Z","type":"run-started","text":"started","runinfo":{"run":"r1","runbook":"restore","stack":"staging","rehearsal":true}}`,
		`{"seq":2,"time":"2026-11-25T03:00:01Z","type":"step-started","step":"identity","text":"Check who we are acting as"}`,
		`{"seq":3,"time":"2026-11-25T03:00:02Z","type":"output","step":"identity","text":"acc####`,
		`{"seq":4,"time":"2026-11-25T03:00:09Z","type":"step-finished","step":"identity","elapsed":8000000000}`,
		`{"seq":5,"time":"2026-11-25T03:00:10Z","type":"step-started","step":"after-the-damage","text":"A step after the damage"}`,
	}, "\n") + "\n"
	if err := os.MkdirAll(filepath.Join(dir, "runs"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "runs", "r1.jsonl"), []byte(journal), 0o600); err != nil {
		t.Fatal(err)
	}
	r := execute(t, context.Background(), map[string]string{"DATALAYER_STATE_DIR": dir}, "report", "r1")
	if r.code != ExitOK {
		t.Fatalf("report: exit %d, %q", r.code, r.errOut)
	}
	if !strings.Contains(r.out, "after-the-damage") {
		t.Errorf("the report drops the records after the damaged line:\n%s", r.out)
	}
	if !strings.Contains(r.errOut, "line 3 is damaged") {
		t.Errorf("stderr does not name the damaged line: %q", r.errOut)
	}
}
