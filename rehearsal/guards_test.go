package rehearsal

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/engine"
)

// Guard 6 with settings that differ (not a failed restore): the restored
// instance comes back with RDS's defaults for the parameter group, the
// security groups and Multi-AZ. The diff names each difference and the run
// stops before any rename, so traffic never moves to it.
func TestRestoredSettingsDifferStopsBeforeTraffic(t *testing.T) {
	dir := t.TempDir()
	o := engine.Options{Runbook: "restore", Yes: true, Speed: 600, StateDir: dir, Flags: map[string]string{"method": "console", "lost": "isolated"}}
	run, w, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var (
		mu    sync.Mutex
		evs   []engine.Event
		moved bool
	)
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for e := range run.Events() {
			mu.Lock()
			evs = append(evs, e)
			mu.Unlock()
			if e.Type == engine.EventStepStarted && e.StepID == "wait-restored" && !moved {
				moved = true
				w.Sim.Mutate(func(world *rdssim.World) {
					in := world.Instance("app5ec7032-restored")
					if in == nil {
						t.Errorf("the restored instance is not there when wait-restored starts")
						return
					}
					in.ParameterGroup = "default.postgres16"
					in.SecurityGroups = []string{"sg-00000000000000000"}
					in.MultiAZ = true
				})
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run.Start(ctx)
	runErr := run.Wait()
	<-collected
	if runErr == nil {
		t.Fatal("the run went on with a restored instance that differs from the export")
	}
	var diffErr string
	for _, e := range evs {
		if e.Type == engine.EventStepFailed && e.StepID == "diff" {
			diffErr = e.Err
		}
		if e.Type == engine.EventStepStarted && (e.StepID == "rename-old" || e.StepID == "gate-rename") {
			t.Fatalf("step %s started although the settings differ", e.StepID)
		}
	}
	for _, want := range []string{"default.postgres16", "postgres16-force-ssl-off", "sg-00000000000000000", "sg-0a1b2c3d4e5f60718", "traffic has not moved", "datalayer resume"} {
		if !strings.Contains(diffErr, want) {
			t.Errorf("the diff step's failure does not name %q: %q", want, diffErr)
		}
	}
	n, err := w.MutatingRequests()
	if err != nil {
		t.Fatal(err)
	}
	// The one modify is the settings the restore could not take
	// (later-settings, before the diff); no rename.
	if n["ModifyDBInstance"] != 1 {
		t.Fatalf("a rename was issued: %v", n)
	}
}

// Guard 7: the new db-host is built from the old one and checked against
// the endpoint AWS reports before it is written. Here the application's
// db-host points at another domain, so the built value cannot match: the
// step fails and the application's config keeps its old value.
func TestBuiltDBHostMismatchWritesNothing(t *testing.T) {
	const wrong = "app5ec7032.zz9otherzone.eu-west-2.rds.amazonaws.com"
	r := runHeadlessIn(t, engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}, nil, func(w *World) {
		if err := w.App.SetConfig(context.Background(), "db-host", wrong, true); err != nil {
			t.Fatal(err)
		}
	})
	if r.err == nil {
		t.Fatalf("the run finished with a db-host that does not match AWS\n%s", r.text())
	}
	msg, failed := r.failed("prepare-app")
	if !failed || !strings.Contains(msg, "does not match the endpoint AWS reports") || !strings.Contains(msg, "nothing was written") {
		t.Fatalf("prepare-app did not refuse the built db-host: %q\n%s", msg, r.text())
	}
	host, _, err := r.world.App.GetConfig(context.Background(), "db-host")
	if err != nil || host != wrong {
		t.Fatalf("the application's db-host changed to %q (%v)", host, err)
	}
	if r.finished("redeploy-app") {
		t.Fatal("the application was redeployed")
	}
}
