package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// tui runs datalayer in the full-screen UI, in a 120×40 tmux pane of its
// own tmux server, with the world's environment, in the repository root;
// it answers every prompt as a person following the recommendations would
// (keys sent with send-keys), except the decisions choose answers
// otherwise, and returns the final screen and every distinct screen seen
// on the way.
func (p *prod) tui(limit time.Duration, choose chooser, args ...string) (final string, frames []string) {
	t := p.t
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed; scripts/test.sh installs it (apt-get install tmux)")
	}
	var script strings.Builder
	script.WriteString("#!/bin/sh\n")
	keys := make([]string, 0, len(p.env))
	for k := range p.env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&script, "export %s=%s\n", k, shellQuote(p.env[k]))
	}
	fmt.Fprintf(&script, "cd %s\n%s", shellQuote(p.root), shellQuote(p.bin))
	for _, a := range args {
		script.WriteString(" " + shellQuote(a))
	}
	script.WriteString("\necho\necho \"datalayer exited with status $?\"\nsleep 600\n")
	path := filepath.Join(p.home, fmt.Sprintf("tui-%d.sh", time.Now().UnixNano()))
	if err := os.WriteFile(path, []byte(script.String()), 0o700); err != nil {
		t.Fatal(err)
	}
	x := &tmux{t: t, socket: fmt.Sprintf("dl-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()), target: "run"}
	t.Cleanup(func() { _, _ = x.cmd("kill-server") })
	x.must("new-session", "-d", "-s", "run", "-x", "120", "-y", "40", "sh", path)

	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	seen := map[string]bool{}
	final, answered := drive(ctx, t, x, func(s string) {
		if !seen[s] {
			seen[s] = true
			frames = append(frames, s)
		}
	}, choose)
	t.Logf("answered %d prompts; final screen:\n%s", answered, final)
	if !strings.Contains(final, "Run finished") {
		t.Errorf("the final screen does not say the run finished")
	}
	x.typeText("", "q")
	deadline := time.Now().Add(30 * time.Second)
	for {
		s := x.screen()
		if m := exitRE.FindStringSubmatch(s); m != nil {
			if m[1] != "0" {
				t.Errorf("datalayer exited with status %s:\n%s", m[1], s)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("datalayer did not exit after q:\n%s", s)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return final, frames
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// snapshotRestore answers the restore wizard's choice between a point in
// time and a snapshot as a person who wants the snapshot restore would:
// the wizard recommends the point in time when it loses less, so the
// cursor is moved to the snapshot. asked records that the choice was
// offered (and so made by keys, not by a default).
func snapshotRestore(asked *bool) chooser {
	return func(s string) string {
		if strings.Contains(s, "Restore to which point?") {
			*asked = true
			return "The newest snapshot"
		}
		return ""
	}
}

// TestProdFlowsInTUI runs each runbook of the production path in the
// full-screen UI, keys sent as a person would, and checks the same end
// state as the --plain runs, and that no frame ever shows a secret.
func TestProdFlowsInTUI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		prep  func(p *prod)
		check func(p *prod, screens string, original awsInstance)
		// snapshot restores from a snapshot where the wizard recommends a
		// point in time.
		snapshot bool
	}{
		{
			name: "deploy a change",
			args: []string{"deploy", "--stack", "staging"},
			prep: func(p *prod) { p.bumpRetention() },
			check: func(p *prod, screens string, _ awsInstance) {
				var r struct {
					DBInstances []struct{ BackupRetentionPeriod int }
				}
				mustJSON(p.t, p.aws("rds", "describe-db-instances", "--db-instance-identifier", p.Instance), &r)
				if len(r.DBInstances) != 1 || r.DBInstances[0].BackupRetentionPeriod != 7 {
					p.t.Errorf("backup retention after the deploy: %+v", r)
				}
				p.noSecrets("a frame of the UI", screens, p.secrets())
			},
		},
		{
			name:     "restore through Pulumi",
			args:     []string{"restore", "--stack", "staging", "--method", "pulumi", "--lost", "whole"},
			snapshot: true,
			check: func(p *prod, screens string, _ awsInstance) {
				p.checkPulumiRestore(screens)
			},
		},
		{
			name:     "restore console-style",
			args:     []string{"restore", "--stack", "staging", "--method", "console", "--lost", "isolated"},
			snapshot: true,
			check: func(p *prod, screens string, original awsInstance) {
				p.checkConsoleRestore(screens, original)
			},
		},
		{
			name: "upgrade",
			args: []string{"upgrade", "--stack", "staging"},
			check: func(p *prod, screens string, original awsInstance) {
				p.checkUpgrade(screens, p.upgradeTarget(original.EngineVersion))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newProd(t, prodOptions{Deployed: true, StackProfile: true})
			if tt.prep != nil {
				tt.prep(p)
			}
			original, _ := p.instance(p.Instance)
			var choose chooser
			asked := false
			if tt.snapshot {
				choose = snapshotRestore(&asked)
			}
			_, frames := p.tui(10*time.Minute, choose, tt.args...)
			if tt.snapshot && !asked {
				t.Errorf("the wizard never offered the choice between a point in time and a snapshot")
			}
			tt.check(p, strings.Join(frames, "\n"), original)
		})
	}
}
