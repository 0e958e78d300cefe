package rehearsal

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/internal/pulumitest"
)

// TestPulumiEngineDeploy rehearses a deploy on a real pulumi CLI: the run
// says which program and provider it runs, its state lives in a local file
// backend inside the rehearsal's directory, and the user's own ~/.pulumi
// and ~/.aws are never touched.
func TestPulumiEngineDeploy(t *testing.T) {
	tools := pulumitest.Tools(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	r := runHeadlessOn(t, engine.Options{Runbook: "deploy", Yes: true}, nil, nil, Engine{Name: EnginePulumi, Pulumi: tools.Pulumi})
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	text := r.text()
	for _, want := range []string{
		"backend file://" + filepath.Join(r.world.Dir, "pulumi", "state"),
		"real pulumi CLI " + tools.Pulumi + " with datalayer's simulated AWS provider; program Main.yaml, the YAML equivalent of index.ts (this pulumi CLI has no Node.js language host)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the run does not say %q\n%s", want, text)
		}
	}
	for _, s := range []string{"identity", "stack", "refresh-preview", "preview", "up", "verify"} {
		if !r.finished(s) {
			t.Errorf("step %s did not finish\n%s", s, text)
		}
	}
	for _, p := range []string{".pulumi", ".aws"} {
		if _, err := os.Stat(filepath.Join(home, p)); err == nil {
			t.Errorf("the rehearsal wrote ~/%s", p)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(r.world.Dir, "pulumi", "home", "plugins")); len(entries) > 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("plugins were installed into PULUMI_HOME (downloaded?): %v", names)
	}
}

// TestPulumiEngineResume stops a Pulumi restore on the real engine as a
// killed process would (its context ends, its world is closed) once its
// `pulumi up` is done, and resumes it with `datalayer resume`'s code: the
// world reopens on the same pulumi stacks, the application's `pulumi up`
// runs on them, the run finishes, and no AWS write happens twice.
func TestPulumiEngineResume(t *testing.T) {
	tools := pulumitest.Tools(t)
	dir := t.TempDir()
	e := Engine{Name: EnginePulumi, Pulumi: tools.Pulumi}
	o := engine.Options{Runbook: "restore", Yes: true, Speed: 60, StateDir: dir, Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}
	run, w, err := StartOn(context.Background(), o, e)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for ev := range run.Events() {
			if ev.Type == engine.EventStepFinished && ev.StepID == "up" {
				cancel()
			}
		}
	}()
	run.Start(ctx)
	if err := run.Wait(); err == nil {
		t.Fatal("the run finished before it was interrupted")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel2()
	run2, w2, err := ResumeWith(context.Background(), dir, "", false, "")
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	var text strings.Builder
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for ev := range run2.Events() {
			text.WriteString(string(ev.Type) + " " + ev.StepID + " " + ev.Text + " " + ev.Err + "\n")
		}
	}()
	run2.Start(ctx2)
	err = run2.Wait()
	<-collected
	if err != nil {
		t.Fatalf("the resumed run failed: %v\n%s", err, text.String())
	}
	if w2.engine.Name != EnginePulumi || w2.engine.Pulumi != tools.Pulumi {
		t.Fatalf("resumed on engine %+v, want the pulumi CLI it ran with", w2.engine)
	}
	for _, s := range []string{"redeploy-app", "old-gone"} {
		if !strings.Contains(text.String(), "step-finished "+s+" ") {
			t.Errorf("step %s did not finish after the resume\n%s", s, text.String())
		}
	}
	n, err := w2.MutatingRequests()
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]int{"CreateDBSnapshot": 1, "RestoreDBInstanceFromDBSnapshot": 1, "DeleteDBInstance": 1} {
		if n[k] != v {
			t.Errorf("%s reached AWS %d times, want %d (all: %v)\n%s", k, n[k], v, n, text.String())
		}
	}
}
