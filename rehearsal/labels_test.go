package rehearsal

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/runbooks"
)

// TestSnapshotPickerWording: with one snapshot whose creation time is
// ahead of our clock (AWS's clock and ours disagree), the picker says "1
// snapshot" and "just taken", not "1 snapshots" and "just now old" (seen on
// the production path).
func TestSnapshotPickerWording(t *testing.T) {
	one := func(w *World) {
		now := w.Clock.Now()
		w.Sim.Mutate(func(world *rdssim.World) {
			var keep *rdssim.Snapshot
			for _, sn := range world.Snapshots {
				if sn.InstanceID == "app5ec7032" && sn.Status == "available" {
					keep = sn
				}
			}
			if keep == nil {
				t.Fatal("the default world has no available snapshot of app5ec7032")
			}
			keep.Created = now.Add(10 * time.Minute) // the run reaches the picker within a few simulated minutes
			world.Snapshots = []*rdssim.Snapshot{keep}
		})
	}
	r := runHeadlessIn(t, engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "console", "lost": "whole"}}, nil, one)
	var p *engine.Prompt
	for _, e := range r.events {
		if e.Type == engine.EventPrompt && e.Prompt != nil && e.StepID == "snapshot" {
			p = e.Prompt
		}
	}
	if p == nil {
		t.Fatalf("the snapshot was never asked for\n%s", r.text())
	}
	if p.Body != "1 snapshot." {
		t.Errorf("body %q, want %q", p.Body, "1 snapshot.")
	}
	if len(p.Options) != 1 {
		t.Fatalf("options %+v, want one", p.Options)
	}
	o := p.Options[0]
	for _, bad := range []string{"just now old", "snapshots"} {
		if strings.Contains(o.Label+o.Reason+p.Body, bad) {
			t.Errorf("the picker says %q: label %q, reason %q", bad, o.Label, o.Reason)
		}
	}
	if !strings.Contains(o.Label, "just taken") || !strings.Contains(o.Reason, "under a minute") {
		t.Errorf("label %q, reason %q; want just taken, under a minute", o.Label, o.Reason)
	}
}

// TestMaintenanceStepKind: a maintenance step done by the configured command
// is an action, not a manual step (it was labelled [manual] on the
// production path); without a command it stays manual.
func TestMaintenanceStepKind(t *testing.T) {
	for _, tt := range []struct {
		name string
		cmd  []string
		want engine.Kind
	}{
		{"configured command", []string{"echo", "maintenance"}, engine.KindAction},
		{"no command", nil, engine.KindManual},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			run, w, err := Start(ctx, withSettings(t, engine.Options{Runbook: "restore", StateDir: t.TempDir(), Speed: 600, Flags: map[string]string{"lost": "critical"}}, runbooks.Settings{MaintenanceCommand: tt.cmd}))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = w.Close() })
			found := 0
			for _, s := range run.Steps() {
				if strings.HasPrefix(s.ID, "maintenance-") {
					found++
					if s.Kind != tt.want {
						t.Errorf("%s is %s, want %s", s.ID, s.Kind, tt.want)
					}
				}
			}
			if found != 2 {
				t.Errorf("%d maintenance steps on the path, want 2 (on and off)", found)
			}
		})
	}
}
