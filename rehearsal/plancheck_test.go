package rehearsal

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// editProgram replaces old with new in the data program's index.ts.
func editProgram(t *testing.T, w *World, old, new string) {
	t.Helper()
	path := filepath.Join(w.Workspace.DataDir, "index.ts")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("index.ts has no %q", old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A Pulumi restore whose replacement carries another change of the program
// (here skipFinalSnapshot turned on) stops before the gate naming it: the
// restore is the snapshot, nothing else. It used to pass the plan check,
// which only counted the three replacement operations. (A new
// finalSnapshotIdentifier alone rides along: it is the final-snapshot
// guard's own fix.)
func TestRestorePlanWithAnotherChangeStopsBeforeTheGate(t *testing.T) {
	r := runHeadlessIn(t, engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}, nil, func(w *World) {
		editProgram(t, w, `skipFinalSnapshot: false`, `skipFinalSnapshot: true`)
	})
	msg, failed := r.failed("preview")
	if !failed || !strings.Contains(msg, "also changes skipFinalSnapshot") || !strings.Contains(msg, "Nothing was changed") {
		t.Fatalf("the preview did not stop on the extra change: %q %v\n%s", msg, r.err, r.text())
	}
	if r.finished("gate") || r.finished("up") {
		t.Fatal("the run went past the gate")
	}
	n, err := r.world.MutatingRequests()
	if err != nil {
		t.Fatal(err)
	}
	if n["RestoreDBInstanceFromDBSnapshot"] != 0 || n["DeleteDBInstance"] != 0 {
		t.Fatalf("AWS was changed: %v", n)
	}
}

// A deploy whose plan replaces the database says so loudly, and its gate
// asks for the instance's name, not the stack's: typing the stack's name,
// enough for an ordinary update, backs out and nothing is replaced.
func TestDeployThatReplacesTheInstanceIsNamedLoudly(t *testing.T) {
	r := runHeadlessIn(t, engine.Options{Runbook: "deploy", Yes: true, Answers: map[string]string{"gate/confirm": "staging"}}, nil, func(w *World) {
		snaps, err := w.AWS.Snapshots(context.Background(), "app5ec7032")
		if err != nil || len(snaps) == 0 {
			t.Fatalf("no snapshot: %v", err)
		}
		if _, err := pulumiclient.NewProgramEditor(w.Workspace.DataDir).SetSnapshotIdentifier(snaps[0].ID); err != nil {
			t.Fatal(err)
		}
	})
	if !strings.Contains(r.text(), "this plan REPLACES aws:rds/instance:Instance app (because of snapshotIdentifier)") {
		t.Errorf("the replacement was not named loudly\n%s", r.text())
	}
	msg, failed := r.failed("gate")
	if !failed || !strings.Contains(msg, `"staging" where "app5ec7032" was needed`) {
		t.Fatalf("the gate did not ask for the instance's name: %q %v\n%s", msg, r.err, r.text())
	}
	if n, _ := r.world.MutatingRequests(); n["RestoreDBInstanceFromDBSnapshot"] != 0 {
		t.Fatalf("the instance was replaced: %v", n)
	}
}
