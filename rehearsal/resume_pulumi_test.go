package rehearsal

import (
	"context"
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/internal/pulumitest"
	"github.com/datalayer-tool/datalayer/pulumiclient"
	"github.com/datalayer-tool/datalayer/runbooks"
)

// A Pulumi-method restore interrupted during `pulumi up` is not updated a
// second time on resume: the restore reaches AWS once, and the resumed run
// repairs the state and finishes.
func TestResumeInterruptedUp(t *testing.T) {
	dir := t.TempDir()
	o := engine.Options{Runbook: "restore", Yes: true, Speed: 300, StateDir: dir, Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}
	run, w, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for e := range run.Events() {
			if e.Type == engine.EventVariable && e.Name == "new-instance" {
				cancel()
			}
		}
	}()
	run.Start(ctx)
	if err := run.Wait(); err == nil {
		t.Fatal("the run finished before the interruption")
	}
	w.Close()

	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel2()
	run2, w2, err := Resume(context.Background(), dir, "", false)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	var text strings.Builder
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for e := range run2.Events() {
			text.WriteString(string(e.Type) + " " + e.StepID + " " + e.Text + " " + e.Err + "\n")
		}
	}()
	run2.Start(ctx2)
	err = run2.Wait()
	<-collected
	n, _ := w2.MutatingRequests()
	t.Logf("resume: %v; requests %v\n%s", err, n, text.String())
	if n["RestoreDBInstanceFromDBSnapshot"] != 1 {
		t.Fatalf("restore reached AWS %d times", n["RestoreDBInstanceFromDBSnapshot"])
	}
	if ctx2.Err() != nil {
		t.Fatal("the resumed run hung")
	}
	// Interrupted mid-create, the stack has a pending create: the resumed
	// run finds the restored instance in AWS, records it behind a gate and
	// finishes, instead of updating again (issue 13 item 7).
	if err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	if !strings.Contains(text.String(), "repaired: record ") {
		t.Fatalf("the resumed run did not repair the pending create\n%s", text.String())
	}
}

// killAfterRequest is a data stack whose `pulumi up` is cut off, as a
// killed process would be, once the simulator has received action: it
// puts a marker in the up's progress that the session's stop looks for.
type killAfterRequest struct {
	pulumiclient.Stack
	sim    *rdssim.Sim
	action string
}

// sentMarker is the progress message killAfterRequest adds.
func sentMarker(action string) string { return "test: " + action + " reached AWS" }

func (k killAfterRequest) Up(ctx context.Context, ch chan<- pulumiclient.Progress) (pulumiclient.Summary, error) {
	inner := make(chan pulumiclient.Progress)
	seen, forwarded := make(chan struct{}), make(chan struct{})
	watch, stop := context.WithCancel(ctx)
	go func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-watch.Done():
				return
			case <-tick.C:
				if k.sim.RequestCounts()[k.action] > 0 {
					close(seen)
					return
				}
			}
		}
	}()
	go func() {
		defer close(forwarded)
		sent := seen
		for {
			select {
			case p, ok := <-inner:
				if !ok {
					return
				}
				ch <- p
			case <-sent:
				sent = nil
				ch <- pulumiclient.Progress{Status: pulumiclient.Diagnostic, Severity: "info", Message: sentMarker(k.action)}
			}
		}
	}()
	sum, err := k.Stack.Up(ctx, inner)
	stop()
	close(inner)
	<-forwarded
	return sum, err
}

// Issue 15: a Pulumi restore of an instance deleted outside Pulumi (the
// preview a create, not a replacement) is cut off after the provider sent
// RestoreDBInstanceToPointInTime. The state then holds a pending create and
// no instance it would replace; `resume` finds the instance AWS is
// creating, records it as the create (behind the gate), and finishes with
// the restore sent once. dropped: an earlier refresh had already dropped
// the deleted instance from the state.
//
// On the real pulumi CLI the cut is a kill of the CLI's process group (a
// Ctrl-C would let the create in flight finish): its lock and the pending
// create stay, as `pulumi up` killed mid-create leaves them.
func TestResumeInterruptedRestoreCreate(t *testing.T) {
	const restore = "RestoreDBInstanceToPointInTime"
	tests := []struct {
		name    string
		dropped bool
		real    bool
	}{
		{"deleted", false, false},
		{"dropped from the state", true, false},
		{"dropped from the state, real pulumi CLI", true, true},
	}
	for _, tt := range tests {
		dropped := tt.dropped
		t.Run(tt.name, func(t *testing.T) {
			var e Engine
			if tt.real {
				e = Engine{Name: EnginePulumi, Pulumi: pulumitest.Tools(t).Pulumi}
			}
			dir := t.TempDir()
			o := engine.Options{Runbook: "restore", Yes: true, Speed: DefaultSpeed, Flags: map[string]string{"method": "pulumi", "lost": "whole", "to": "20m", "app-deploy": "up"}}
			var sim *rdssim.Sim
			prepare := func(w *World) {
				sim = w.Sim
				deleteOutsidePulumi(t, w, dropped)
			}
			cli := 0 // the pid of the up's pulumi CLI, from the journal
			first := startUntilOn(t, dir, o, prepare, func(d runbooks.Deps) runbooks.Deps {
				d.Data = killAfterRequest{Stack: d.Data, sim: sim, action: restore}
				return d
			}, func(ev engine.Event) bool {
				if ev.Type == engine.EventIssued && ev.Name == "pulumi-up:up:process" {
					var f struct {
						PID int `json:"pid"`
					}
					_ = json.Unmarshal([]byte(ev.Value), &f)
					cli = f.PID
				}
				if ev.Type != engine.EventPulumi || ev.Pulumi == nil || ev.Pulumi.Message != sentMarker(restore) {
					return false
				}
				if tt.real {
					if cli <= 0 {
						t.Errorf("the journal does not name the up's pulumi CLI")
					} else if err := syscall.Kill(-cli, syscall.SIGKILL); err != nil {
						t.Errorf("kill the up's pulumi CLI (process group %d): %v", cli, err)
					}
				}
				return true
			}, e)
			if first.err == nil {
				t.Fatalf("the first session finished\n%s", first.text())
			}
			id := first.run.Info().RunID
			if n := requests(t, dir, id); n[restore] != 1 {
				t.Fatalf("the cut-off session's writes = %v; want the restore sent\n%s", n, first.text())
			}

			second := resumeLatest(t, dir)
			if second.err != nil {
				t.Fatalf("resume: %v\n%s", second.err, second.text())
			}
			if tt.real && !strings.Contains(second.text(), "removed the lock the interrupted update left") {
				t.Errorf("the resumed run did not remove the killed CLI's lock\n%s", second.text())
			}
			if !strings.Contains(second.text(), "repaired: record ") || !strings.Contains(second.text(), "nothing in the state is replaced by it") {
				t.Errorf("the resumed run did not record the interrupted create\n%s", second.text())
			}
			n := requests(t, dir, id)
			if n[restore] != 1 || n["RestoreDBInstanceFromDBSnapshot"] != 0 || n["DeleteDBInstance"] != 1 {
				t.Fatalf("writes that reached AWS: %v; want the restore once and only the set-up's delete", n)
			}
			w, err := Open(context.Background(), WorldDir(dir, id), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			ctx := context.Background()
			exp, err := w.Data.Export(ctx)
			if err != nil {
				t.Fatal(err)
			}
			created, _ := second.run.Var("new-instance")
			in, err := w.AWS.Instance(ctx, exp.Identifier)
			if err != nil || in.ResourceID != exp.ID || in.Status != "available" || exp.Identifier != created {
				t.Fatalf("Pulumi's state tracks %s (%s), the run restored %q, AWS says %+v, %v", exp.Identifier, exp.ID, created, in, err)
			}
			if exp.RestoreToPointInTime == nil || exp.RestoreToPointInTime.SourceResourceID == "" {
				t.Errorf("the stack's state holds block %+v, want the point in time by resource id", exp.RestoreToPointInTime)
			}
			host, _, err := w.App.GetConfig(ctx, "db-host")
			if err != nil || !strings.HasPrefix(host, exp.Identifier+".") {
				t.Fatalf("the application's db-host is %q, not the restored %s", host, exp.Identifier)
			}
			lock, err := w.Data.Lock(ctx)
			if err != nil || lock.Locked || len(lock.PendingOperations) > 0 {
				t.Fatalf("the stack is left locked or with pending operations: %+v %v", lock, err)
			}
		})
	}
}
