package rehearsal

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/engine"
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
