package rehearsal

import (
	"context"
	"strings"
	"testing"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/internal/pulumitest"
)

// A console restore ends with Pulumi's state on the restored instance and
// a preview that proposes nothing, on either engine: the restore could
// not take the maintenance window (RDS gives its default) and the
// snapshot runs 16.13 where the program said 16.11, so the runbook sets
// the export's window on the restored instance with one modify, and
// raises the program to the snapshot's version before the restore. Before,
// the real provider's preview after the state repair proposed
// engineVersion and maintenanceWindow and repair-state failed (the
// simulated engine diffed neither and hid it).
func TestConsoleRestoreKeepsWhatTheRestoreCannotTake(t *testing.T) {
	engines := map[string]func(t *testing.T) Engine{
		"simulated": func(*testing.T) Engine { return Engine{} },
		"pulumi": func(t *testing.T) Engine {
			return Engine{Name: EnginePulumi, Pulumi: pulumitest.Tools(t).Pulumi}
		},
	}
	for _, name := range []string{"simulated", "pulumi"} {
		t.Run(name, func(t *testing.T) {
			r := runHeadlessOn(t, engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "console", "lost": "isolated"}}, nil, nil, engines[name](t))
			if r.err != nil {
				t.Fatalf("run failed: %v\n%s", r.err, r.text())
			}
			for _, s := range []string{"engine-version", "later-settings", "diff", "rename-new", "repair-state"} {
				if !r.finished(s) {
					t.Errorf("step %s did not finish\n%s", s, r.text())
				}
			}
			text := r.text()
			for _, want := range []string{
				"maintenance window: thu:22:13-thu:22:43 after the restore, the export says mon:00:00-mon:03:00",
				"the preview after the state repair proposes no change",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("the run does not say %q\n%s", want, text)
				}
			}
			in, err := r.world.AWS.Instance(context.Background(), "app5ec7032")
			if err != nil {
				t.Fatal(err)
			}
			if in.MaintenanceWindow != "mon:00:00-mon:03:00" || in.EngineVersion != "16.13" {
				t.Errorf("the restored instance under the old name: window %s, version %s", in.MaintenanceWindow, in.EngineVersion)
			}
			n, err := r.world.MutatingRequests()
			if err != nil {
				t.Fatal(err)
			}
			// The modify of what the restore could not take, and the two renames.
			if n["ModifyDBInstance"] != 3 || n["RestoreDBInstanceFromDBSnapshot"] != 1 {
				t.Errorf("AWS writes %v, want one restore and three modifies", n)
			}
		})
	}
}
