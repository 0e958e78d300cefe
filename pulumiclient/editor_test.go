package pulumiclient

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestProgramChangeCommittedAfterInterruption: a session interrupted
// between writing the upgrade into the program and committing it leaves the
// commit to the next one, which finds the program already says so.
func TestProgramChangeCommittedAfterInterruption(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"index.ts", "Pulumi.yaml"} {
		b, err := os.ReadFile(filepath.Join("fixture", "data", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"} {
		t.Setenv(k, "t")
	}
	for _, k := range []string{"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"} {
		t.Setenv(k, "t@example.com")
	}
	git := func(args ...string) string {
		out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
		return string(out)
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-qm", "init")
	u := MajorUpgrade{EngineVersion: "17.7", Family: "postgres17", GroupName: "postgres17-force-ssl-off",
		Parameters: []ParameterDecl{{Name: "rds.force_ssl", Value: "0", ApplyMethod: "immediate"}}}

	first := NewProgramEditor(dir)
	diff, err := first.ProposeMajorUpgrade(u)
	if err != nil || diff == "" {
		t.Fatalf("propose: %q %v", diff, err)
	}
	if git("status", "--porcelain") != "" {
		t.Fatal("proposing wrote the program")
	}
	if err := first.WriteProposed(); err != nil {
		t.Fatal(err)
	}
	// Interrupted here. The next session:
	next := NewProgramEditor(dir)
	diff, err = next.ProposeMajorUpgrade(u)
	if err != nil || diff != "" {
		t.Fatalf("second propose: %q %v, want nothing to change", diff, err)
	}
	c, err := next.Commit(t.Context(), "chore(data): upgrade postgres to 17.7 [skip pizza]")
	if err != nil || c == "" {
		t.Fatalf("commit after the interruption: %q %v", c, err)
	}
	if msg := git("log", "-1", "--format=%s"); !strings.Contains(msg, "[skip pizza]") {
		t.Errorf("commit message %q", msg)
	}
	if st := git("status", "--porcelain"); st != "" {
		t.Errorf("left uncommitted: %s", st)
	}
	// Nothing left to commit: no empty commit, no error.
	if c, err := NewProgramEditor(dir).Commit(t.Context(), "again"); err != nil || c != "" {
		t.Errorf("commit with nothing pending = %q %v", c, err)
	}
}
