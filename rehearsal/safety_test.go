package rehearsal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
	"github.com/datalayer-tool/datalayer/runbooks"
)

// session is one process's part of a run: its events and its end.
type session struct {
	err    error
	events []engine.Event
	run    *engine.Run
	world  *World
}

func (s session) text() string {
	var b strings.Builder
	for _, e := range s.events {
		b.WriteString(string(e.Type) + " " + e.StepID + " " + e.Name + " " + e.Text + " " + e.Err + "\n")
	}
	return b.String()
}

// startUntil starts a rehearsal in dir and ends it as a killed process
// would when stop says so (its context cancelled, its world closed).
// deps, when not nil, changes the clients the run gets.
func startUntil(t *testing.T, dir string, o engine.Options, deps func(runbooks.Deps) runbooks.Deps, stop func(engine.Event) bool) session {
	return startUntilIn(t, dir, o, nil, deps, stop)
}

// startUntilIn is startUntil with a change to the world before the run.
func startUntilIn(t *testing.T, dir string, o engine.Options, prepare func(*World), deps func(runbooks.Deps) runbooks.Deps, stop func(engine.Event) bool) session {
	t.Helper()
	return startUntilOn(t, dir, o, prepare, deps, stop, Engine{})
}

// startUntilOn is startUntilIn on the engine e.
func startUntilOn(t *testing.T, dir string, o engine.Options, prepare func(*World), deps func(runbooks.Deps) runbooks.Deps, stop func(engine.Event) bool, e Engine) session {
	t.Helper()
	o.StateDir, o.Rehearsal = dir, true
	if o.Speed == 0 {
		o.Speed = 600
	}
	if o.Scenario == "" {
		o.Scenario = "default"
	}
	if o.Stack == "" {
		o.Stack = "staging"
	}
	o.RunID = engine.NewRunID(o.Runbook)
	w, err := New(context.Background(), Options{Scenario: o.Scenario, Speed: o.Speed, StateDir: dir, Name: o.RunID, Persist: true, Stack: o.Stack, Engine: e})
	if err != nil {
		t.Fatal(err)
	}
	if prepare != nil {
		prepare(w)
	}
	d := w.Deps()
	if deps != nil {
		d = deps(d)
	}
	run, err := runbooks.NewRun(o, d)
	if err != nil {
		w.Close()
		t.Fatal(err)
	}
	return play(t, run, w, stop)
}

// play runs a started or resumed run to its end, or until stop says so.
func play(t *testing.T, run *engine.Run, w *World, stop func(engine.Event) bool) session {
	t.Helper()
	limit := 3 * time.Minute
	if w.engine.Name == EnginePulumi {
		limit = 10 * time.Minute // each Pulumi operation starts the CLI
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var mu sync.Mutex
	var evs []engine.Event
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range run.Events() {
			mu.Lock()
			evs = append(evs, e)
			mu.Unlock()
			if stop != nil && stop(e) {
				cancel()
			}
		}
	}()
	run.Start(ctx)
	err := run.Wait()
	<-done
	if ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("the run hung\n%s", session{events: evs}.text())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return session{err: err, events: evs, run: run, world: w}
}

// resumeLatest resumes the newest unfinished run in dir to its end.
func resumeLatest(t *testing.T, dir string) session {
	t.Helper()
	run, w, err := Resume(context.Background(), dir, "", false)
	if err != nil {
		return session{err: err}
	}
	return play(t, run, w, nil)
}

func isEvent(typ engine.EventType, step string) func(engine.Event) bool {
	return func(e engine.Event) bool { return e.Type == typ && e.StepID == step }
}

func isIssued(key string) func(engine.Event) bool {
	return func(e engine.Event) bool { return e.Type == engine.EventIssued && e.Name == key }
}

// requests reads the world's log of mutating requests that reached AWS.
func requests(t *testing.T, dir, runID string) map[string]int {
	t.Helper()
	n, err := ReadRequestLog(WorldDir(dir, runID))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// damageLine overwrites the end of the first journal line that match says
// is the one (keeping its newline and its legible "type"), as a disk
// error in the middle of the file would.
func damageLine(t *testing.T, path string, match func(engine.Event) bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(b, []byte("\n"))
	for i, l := range lines {
		var e engine.Event
		if json.Unmarshal(l, &e) != nil || !match(e) {
			continue
		}
		if i == len(lines)-1 || len(lines[i+1]) == 0 {
			t.Fatalf("the line to damage is the last one: that is a torn tail, not damage in the middle")
		}
		l = append([]byte(nil), l...)
		for j := len(l) - 12; j < len(l)-1; j++ {
			l[j] = '#'
		}
		lines[i] = l
		if err := os.WriteFile(path, bytes.Join(lines, nil), 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatal("no journal line to damage")
}

// Item 6: a damaged line in the middle of the journal keeps every record
// after it. When the lost line cannot have recorded a write, the resume
// goes on from every readable record and finishes with each write once;
// when it may have (an "issued" record), the resume stops, says so and
// sends nothing.
func TestResumeAfterJournalDamage(t *testing.T) {
	o := engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "console", "lost": "isolated"}}
	for _, tt := range []struct {
		name     string
		damage   func(engine.Event) bool
		wantErr  []string
		wantReqs map[string]int
	}{
		{
			name:   "an output line before the renames",
			damage: func(e engine.Event) bool { return e.Type == engine.EventOutput && e.StepID == "diff" },
			// The settings the restore could not take, two renames.
			wantReqs: map[string]int{"CreateDBSnapshot": 1, "RestoreDBInstanceFromDBSnapshot": 1, "ModifyDBInstance": 3},
		},
		{
			name:   "the record that the first rename was issued",
			damage: isIssued("rename-old"),
			wantErr: []string{"may have recorded an AWS or Pulumi write", "step rename-old was running",
				"cannot be trusted", "Nothing was replayed or sent", "datalayer rehearse restore", "datalayer report"},
			// The settings the restore could not take, the first rename.
			wantReqs: map[string]int{"CreateDBSnapshot": 1, "RestoreDBInstanceFromDBSnapshot": 1, "ModifyDBInstance": 2},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			first := startUntil(t, dir, o, nil, isEvent(engine.EventStepStarted, "rename-new"))
			if first.err == nil {
				t.Fatal("the run finished before it was stopped")
			}
			id := first.run.Info().RunID
			damageLine(t, first.run.JournalPath(), tt.damage)
			before, _ := os.ReadFile(first.run.JournalPath())

			second := resumeLatest(t, dir)
			if tt.wantErr == nil {
				if second.err != nil {
					t.Fatalf("resume failed: %v\n%s", second.err, second.text())
				}
				if !strings.Contains(second.text(), "was damaged") {
					t.Errorf("the resumed run does not say a line was set aside\n%s", second.text())
				}
			} else {
				if second.err == nil {
					t.Fatalf("the resume replayed a journal that lost an issued record\n%s", second.text())
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(second.err.Error(), w) {
						t.Errorf("the refusal does not say %q: %v", w, second.err)
					}
				}
				after, _ := os.ReadFile(first.run.JournalPath())
				if !bytes.Equal(before, after) {
					t.Error("the refused resume changed the journal")
				}
			}
			if got := requests(t, dir, id); !mapsEqual(got, tt.wantReqs) {
				t.Fatalf("writes that reached AWS: %v, want %v", got, tt.wantReqs)
			}
		})
	}
}

// fillingDisk is a journal file whose disk fills up right after the line
// full says is the last one that fits: the next write stores half a line
// and fails with ENOSPC, and so does every later one.
type fillingDisk struct {
	*os.File
	last func(line []byte) bool
	full atomic.Bool
}

func (d *fillingDisk) Write(b []byte) (int, error) {
	if d.full.Load() {
		n, _ := d.File.Write(b[:len(b)/2])
		return n, syscall.ENOSPC
	}
	if d.last(b) {
		d.full.Store(true)
	}
	return d.File.Write(b)
}

// Item 3: when the journal cannot be written the run stops before its next
// AWS write, says why and what to do, and leaves whole lines only; once the
// disk has room again, `resume` finishes with each write sent once.
func TestJournalWriteFailureStopsBeforeTheWrite(t *testing.T) {
	dir := t.TempDir()
	o := engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "console", "lost": "isolated"}}
	var disk *fillingDisk
	first := startUntil(t, dir, o, func(d runbooks.Deps) runbooks.Deps {
		d.JournalFile = func(path string) (engine.JournalFile, error) {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
			if err != nil {
				return nil, err
			}
			disk = &fillingDisk{File: f, last: func(line []byte) bool {
				return bytes.Contains(line, []byte(`"type":"step-started","step":"restore"`))
			}}
			return disk, nil
		}
		return d
	}, nil)
	id := first.run.Info().RunID
	if first.err == nil {
		t.Fatalf("the run went on without a journal\n%s", first.text())
	}
	for _, want := range []string{"journal cannot be written", "no space left on device", "stopped before restore was sent",
		"free disk space in " + dir, "datalayer resume " + id} {
		if !strings.Contains(first.err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, first.err)
		}
	}
	if n := requests(t, dir, id); n["RestoreDBInstanceFromDBSnapshot"] != 0 {
		t.Fatalf("the restore was sent although its issued record never reached the disk: %v", n)
	}
	// The half line the full disk took was cut off: the journal reads whole.
	if evs, err := engine.ReadJournalFile(first.run.JournalPath()); err != nil || len(evs) == 0 {
		t.Fatalf("the journal does not read back whole: %d events, %v", len(evs), err)
	}

	second := resumeLatest(t, dir)
	if second.err != nil {
		t.Fatalf("resume after the disk was fixed: %v\n%s", second.err, second.text())
	}
	// The settings the restore could not take, two renames.
	want := map[string]int{"CreateDBSnapshot": 1, "RestoreDBInstanceFromDBSnapshot": 1, "ModifyDBInstance": 3}
	if got := requests(t, dir, id); !mapsEqual(got, want) {
		t.Fatalf("writes that reached AWS: %v, want %v", got, want)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Item 4: one run per stack, and one process per run. A second run on the
// stack and a second resume of a running run are refused, naming the
// holder; a lock whose process is gone is taken over with a message; and
// a run does not start while Pulumi's own lock on the stack is held.
func TestOneRunPerStack(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	w, err := New(ctx, Options{StateDir: dir, Name: "shared-world", Persist: true, Speed: 600})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	opts := func(id string) engine.Options {
		return engine.Options{Runbook: "restore", Stack: "staging", Rehearsal: true, Scenario: "default", StateDir: dir, RunID: id, Flags: map[string]string{"method": "console"}}
	}
	host, _ := os.Hostname()

	// Run A waits for an answer, holding the stack.
	a, err := runbooks.NewRun(opts("run-a"), w.Deps())
	if err != nil {
		t.Fatal(err)
	}
	asked := make(chan struct{})
	var once sync.Once
	go func() {
		for e := range a.Events() {
			if e.Type == engine.EventPrompt && e.Answer == nil {
				once.Do(func() { close(asked) })
			}
		}
	}()
	a.Start(ctx)
	select {
	case <-asked:
	case <-ctx.Done():
		t.Fatal("run A never asked anything")
	}
	holder := []string{"run run-a", fmt.Sprintf("pid %d on %s", os.Getpid(), host), "since "}

	_, err = runbooks.NewRun(opts("run-b"), w.Deps())
	var locked *engine.LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("a second run on the stack was not refused: %v", err)
	}
	for _, want := range append([]string{"stack staging is in use by", "Wait for that run to end"}, holder...) {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q: %v", want, err)
		}
	}
	_, err = runbooks.Resume(dir, "run-a", w.Deps(), false)
	if !errors.As(err, &locked) || !strings.Contains(err.Error(), "run run-a is in use by") {
		t.Fatalf("a second resume of the running run was not refused: %v", err)
	}
	if _, err := os.Stat(engine.JournalPath(dir, "run-b")); err == nil {
		t.Error("the refused run left a journal")
	}
	a.Interrupt()
	_ = a.Wait()

	// A killed holder's lock is taken over, with a message naming it.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	lockDir := filepath.Join(dir, "locks")
	ents, err := os.ReadDir(lockDir)
	if err != nil || len(ents) != 0 {
		t.Fatalf("locks left after run A ended: %v %v", ents, err)
	}
	stale := fmt.Sprintf(`{"pid":%d,"host":%q,"run":"run-killed","started":"2026-11-25T03:00:00Z","what":"stack staging"}`, dead.Process.Pid, host)
	c, err := runbooks.NewRun(opts("run-c"), w.Deps())
	if err != nil {
		t.Fatal(err)
	}
	// Run C shows which file holds the stack's lock; once C has ended, a
	// killed run's lock is put there, and run D starts on the stack.
	ents, _ = os.ReadDir(lockDir)
	var stackLock string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "stack-staging-") {
			stackLock = filepath.Join(lockDir, e.Name())
		}
	}
	if stackLock == "" {
		t.Fatalf("no stack lock among %v", ents)
	}
	cEvents := collect(c)
	c.Start(ctx)
	c.Interrupt()
	_ = c.Wait()
	<-cEvents.done
	if err := os.WriteFile(stackLock, []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := runbooks.NewRun(opts("run-d"), w.Deps())
	if err != nil {
		t.Fatalf("a stale lock was not taken over: %v", err)
	}
	dEvents := collect(d)
	d.Start(ctx)
	waitFor(t, dEvents, func(e engine.Event) bool {
		return e.Type == engine.EventWarning && strings.Contains(e.Text, "run run-killed") && strings.Contains(e.Text, "whose process is gone")
	})
	d.Interrupt()
	_ = d.Wait()

	// Pulumi's own lock on the stack (another update running) stops a run
	// before anything is written.
	// (the simulated engine's lock file, as a running update holds it)
	lock := filepath.Join(w.Workspace.DataDir, ".pulumi-sim", "staging.lock")
	held := fmt.Sprintf(`{"pid":%d,"hostname":%q,"timestamp":"2026-11-25T03:00:00Z"}`, os.Getpid(), host)
	if err := os.WriteFile(lock, []byte(held), 0o600); err != nil {
		t.Fatal(err)
	}
	o := opts("run-e")
	o.Flags, o.Yes = map[string]string{"method": "pulumi", "lost": "whole"}, true
	e, err := runbooks.NewRun(o, w.Deps())
	if err != nil {
		t.Fatal(err)
	}
	eEvents := collect(e)
	e.Start(ctx)
	err = e.Wait()
	<-eEvents.done
	if err == nil || !strings.Contains(err.Error(), "Pulumi's own lock on stack staging is held") || !strings.Contains(err.Error(), "datalayer rehearse restore") {
		t.Fatalf("the run started although Pulumi's lock is held: %v", err)
	}
	for _, ev := range eEvents.all() {
		if ev.Type == engine.EventStepStarted {
			t.Fatalf("step %s started although Pulumi's lock is held", ev.StepID)
		}
	}
	if n, _ := w.MutatingRequests(); len(n) != 0 {
		t.Fatalf("writes reached AWS: %v", n)
	}
}

// events collects a run's events as they come.
type events struct {
	mu   sync.Mutex
	evs  []engine.Event
	done chan struct{}
	ping chan struct{}
}

func collect(r *engine.Run) *events {
	c := &events{done: make(chan struct{}), ping: make(chan struct{}, 1)}
	go func() {
		defer close(c.done)
		for e := range r.Events() {
			c.mu.Lock()
			c.evs = append(c.evs, e)
			c.mu.Unlock()
			select {
			case c.ping <- struct{}{}:
			default:
			}
		}
	}()
	return c
}

func (c *events) all() []engine.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]engine.Event(nil), c.evs...)
}

func waitFor(t *testing.T, c *events, ok func(engine.Event) bool) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		for _, e := range c.all() {
			if ok(e) {
				return
			}
		}
		select {
		case <-c.ping:
		case <-c.done:
			for _, e := range c.all() {
				if ok(e) {
					return
				}
			}
			t.Fatal("the run ended without the event")
		case <-deadline:
			t.Fatal("the event never came")
		}
	}
}

// Item 2: the final-snapshot guard checks the name the delete will really
// use (Pulumi's state, not the program) and its fix works when followed: a
// separate update gives the existing instance a free name first, and the
// restore finishes with the old instance's final snapshot under that name.
// The old advice (change the name in the program) no longer fails half-way:
// the plan check stops it before anything is sent, and following that
// check's advice leads to the guard's fix and a finished restore.
func TestFinalSnapshotFixFollowedToTheEnd(t *testing.T) {
	editName := func(t *testing.T, dataDir, from, to string) {
		// As an engineer edits index.ts.
		path := filepath.Join(dataDir, "index.ts")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		edited := strings.Replace(string(b), `finalSnapshotIdentifier: "`+from+`"`, `finalSnapshotIdentifier: "`+to+`"`, 1)
		if edited == string(b) {
			t.Fatalf("the program has no finalSnapshotIdentifier %q to change", from)
		}
		if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name   string
		byHand string // finalSnapshotIdentifier changed in the program before the run
		// firstErr: when the first session stops, it says this, and its
		// advice (put the name back) is followed before the resume.
		firstErr string
		// wantFinal: the old instance's final snapshot's name (prefix),
		// when the first session is not stopped.
		wantFinal string
	}{
		{name: "the guard's own fix", wantFinal: "final-before-deletion-"},
		{name: "the name changed by hand in the program", byHand: "final-before-restore-2", wantFinal: "final-before-restore-2",
			firstErr: "the replacement also changes finalSnapshotIdentifier"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			o := engine.Options{Runbook: "restore", Scenario: "final-snapshot-exists", Yes: true, Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}
			var prepare func(*World)
			if tt.byHand != "" {
				prepare = func(w *World) { editName(t, w.Workspace.DataDir, "final-before-deletion", tt.byHand) }
			}
			r := startUntilIn(t, dir, o, prepare, nil, nil)
			id := r.run.Info().RunID
			if tt.firstErr != "" && r.err != nil {
				// The plan check may stop the extra change before the
				// guard sees it; its advice is followed then.
				if !strings.Contains(r.err.Error(), tt.firstErr) {
					t.Fatalf("the first session: %v, want %q or a finished restore", r.err, tt.firstErr)
				}
				if n := requests(t, dir, id); n["RestoreDBInstanceFromDBSnapshot"] != 0 {
					t.Fatalf("a restore was sent: %v", n)
				}
				editName(t, r.world.Workspace.DataDir, tt.byHand, "final-before-deletion")
				r = resumeLatest(t, dir)
				tt.wantFinal = "final-before-deletion-"
			}
			if r.err != nil {
				t.Fatalf("the restore did not finish: %v\n%s", r.err, r.text())
			}
			w, err := Open(context.Background(), WorldDir(dir, id), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			ctx := context.Background()
			if _, err := w.AWS.Instance(ctx, "app5ec7032"); err == nil {
				t.Fatal("the old instance still exists")
			}
			snaps, err := w.AWS.Snapshots(ctx, "app5ec7032")
			if err != nil {
				t.Fatal(err)
			}
			var final string
			for _, s := range snaps {
				if strings.HasPrefix(s.ID, tt.wantFinal) && s.ID != "final-before-deletion" {
					final = s.ID
				}
			}
			if final == "" {
				t.Fatalf("no final snapshot %s* of the old instance among %v\n%s", tt.wantFinal, snaps, r.text())
			}
			if _, err := w.AWS.Snapshot(ctx, "final-before-deletion"); err != nil {
				t.Fatalf("the snapshot that held the name is gone: %v", err)
			}
			n := requests(t, dir, id)
			if n["RestoreDBInstanceFromDBSnapshot"] != 1 || n["DeleteDBInstance"] != 1 {
				t.Fatalf("writes that reached AWS: %v", n)
			}
			set, err := pulumiclient.NewProgramEditor(w.Workspace.DataDir).Settings()
			if err != nil {
				t.Fatal(err)
			}
			if set.FinalSnapshotIdentifier != final || set.SnapshotIdentifier == "" {
				t.Fatalf("the program says finalSnapshotIdentifier %q and snapshotIdentifier %q; want %q and the restore's snapshot", set.FinalSnapshotIdentifier, set.SnapshotIdentifier, final)
			}
			if !strings.Contains(r.text(), "already exists (the value in Pulumi's state") {
				t.Errorf("the guard did not say the taken name comes from the state\n%s", r.text())
			}
		})
	}
}

// Item 5: the program's engineVersion below what AWS runs (16.11 in code,
// 16.13 in AWS) is caught before any `up` that would send it: the bump is
// shown as a diff and written on confirmation, and the run then finishes
// without asking AWS for a downgrade; declined, nothing is sent.
func TestEngineVersionBelowAWS(t *testing.T) {
	refreshed := func(w *World) {
		// The state as it is after any refresh: the AWS provider records
		// the version AWS runs (16.13) when the program's (16.11) is not a
		// prefix of it.
		if _, err := w.Data.Refresh(context.Background(), false, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name    string
		o       engine.Options
		decline bool
		wantErr string
	}{
		{name: "deploy", o: engine.Options{Runbook: "deploy", Yes: true}},
		{name: "pulumi restore", o: engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}},
		{name: "deploy, bump declined", o: engine.Options{Runbook: "deploy", Yes: true, Answers: map[string]string{"engine-version/bump": "no"}},
			decline: true, wantErr: `engineVersion 16.11 is below 16.13, which app5ec7032 runs, and was kept; nothing was changed. Fix: set engineVersion to "16.13" in the program in`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runHeadlessIn(t, tt.o, nil, refreshed)
			var body string
			for _, e := range r.events {
				if e.Type == engine.EventPrompt && e.Prompt != nil && e.Prompt.ID == "engine-version/bump" {
					body = e.Prompt.Body
				}
			}
			if !strings.Contains(body, `-  engineVersion: "16.11"`) || !strings.Contains(body, `+  engineVersion: "16.13"`) {
				t.Fatalf("the bump was not shown as a diff before it was written: %q\n%s", body, r.text())
			}
			set, err := pulumiclient.NewProgramEditor(r.world.Workspace.DataDir).Settings()
			if err != nil {
				t.Fatal(err)
			}
			n, _ := r.world.MutatingRequests()
			if tt.decline {
				if r.err == nil || !strings.Contains(r.err.Error(), tt.wantErr) {
					t.Fatalf("declined bump: %v, want %q", r.err, tt.wantErr)
				}
				if set.EngineVersion != "16.11" || len(n) != 0 {
					t.Fatalf("declined, yet the program says %s and AWS saw %v", set.EngineVersion, n)
				}
				return
			}
			if r.err != nil {
				t.Fatalf("the run failed: %v\n%s", r.err, r.text())
			}
			if set.EngineVersion != "16.13" {
				t.Fatalf("the program says engineVersion %s after the run", set.EngineVersion)
			}
			if strings.Contains(r.text(), "Cannot upgrade") {
				t.Fatalf("AWS was asked for a downgrade\n%s", r.text())
			}
		})
	}
}

// cutOffUp is a data stack whose `pulumi up` never reaches AWS: the
// process is killed after the journal recorded the update as issued and
// before the update sent anything.
type cutOffUp struct{ pulumiclient.Stack }

func (c cutOffUp) Up(ctx context.Context, _ chan<- pulumiclient.Progress) (pulumiclient.Summary, error) {
	<-ctx.Done()
	return pulumiclient.Summary{Result: "cancelled"}, ctx.Err()
}

// Item 1: a deploy cut off after its `up` was recorded as issued, before
// anything reached AWS. The resume does not take "issued" for "done": it
// refreshes, previews, runs what is missing, and verifies against the
// program and AWS, so AWS ends up running what the program asks for.
func TestResumedDeployRunsWhatIsMissing(t *testing.T) {
	dir := t.TempDir()
	o := engine.Options{Runbook: "deploy", Yes: true}
	behind := func(w *World) {
		// AWS runs an older minor than the program's 16.11, and the state
		// was refreshed (as the runbook says to): the deploy must upgrade.
		w.Sim.Mutate(func(world *rdssim.World) { world.Instance("app5ec7032").EngineVersion = "16.9" })
		if _, err := w.Data.Refresh(context.Background(), false, nil); err != nil {
			t.Fatal(err)
		}
	}
	first := startUntilIn(t, dir, o, behind, func(d runbooks.Deps) runbooks.Deps {
		d.Data = cutOffUp{d.Data}
		return d
	}, isIssued("pulumi-up:up"))
	if first.err == nil {
		t.Fatalf("the first session finished\n%s", first.text())
	}
	id := first.run.Info().RunID
	if n := requests(t, dir, id); n["ModifyDBInstance"] != 0 {
		t.Fatalf("the cut-off update reached AWS: %v", n)
	}

	second := resumeLatest(t, dir)
	if second.err != nil {
		t.Fatalf("resume: %v\n%s", second.err, second.text())
	}
	for _, want := range []string{"the interrupted update left this to do", "update aws:rds/instance:Instance app (changes engineVersion)",
		"a preview after finishing the update proposes no change", "a preview proposes no change: the program is applied"} {
		if !strings.Contains(second.text(), want) {
			t.Errorf("the resumed run does not say %q\n%s", want, second.text())
		}
	}
	if n := requests(t, dir, id); n["ModifyDBInstance"] != 1 {
		t.Fatalf("the missing update reached AWS %d times, want once: %v", n["ModifyDBInstance"], n)
	}
	w, err := Open(context.Background(), WorldDir(dir, id), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	in, err := w.AWS.Instance(context.Background(), "app5ec7032")
	if err != nil {
		t.Fatal(err)
	}
	if in.EngineVersion != "16.11" {
		t.Fatalf("the run said done while AWS runs %s, not the program's 16.11", in.EngineVersion)
	}
}

// Item 7: a Pulumi restore whose `up` is cut off or fails half-way is
// finished by `resume`: it finds out from AWS what the interrupted
// operations did, repairs Pulumi's state itself behind a gate (the stale
// lock, the pending create, the half-done replacement) and carries the
// restore to its end, with the restore sent once. No advice it prints
// needs a pulumi CLI (a rehearsal has none).
func TestPulumiRestoreCutOffIsFinishedByResume(t *testing.T) {
	isPulumi := func(op pulumiclient.Op, status pulumiclient.ProgressStatus) func(engine.Event) bool {
		return func(e engine.Event) bool {
			return e.Type == engine.EventPulumi && e.StepID == "up" && e.Pulumi != nil && e.Pulumi.Type == pulumiclient.InstanceType &&
				e.Pulumi.Op == string(op) && string(e.Pulumi.Status) == string(status)
		}
	}
	for _, tt := range []struct {
		name    string
		stop    func(engine.Event) bool
		fault   *rdssim.Fault
		wantErr string // the first session's error
	}{
		{name: "killed while the restored instance is being created", stop: isPulumi(pulumiclient.OpCreateReplacement, pulumiclient.StepStarted)},
		{name: "killed once the restored instance is up", stop: isPulumi(pulumiclient.OpCreateReplacement, pulumiclient.StepDone)},
		{name: "killed while the old instance is being deleted", stop: isPulumi(pulumiclient.OpDeleteReplaced, pulumiclient.StepStarted)},
		{name: "the update failed deleting the old instance",
			fault:   &rdssim.Fault{Name: "delete-refused", Actions: []string{"DeleteDBInstance"}, Code: "InternalFailure", Status: 500, Times: 40},
			wantErr: "pulumi up failed during the delete-replaced of aws:rds/instance:Instance app"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			o := engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}
			var prepare func(*World)
			if tt.fault != nil {
				prepare = func(w *World) { w.Sim.InjectFault(*tt.fault) }
			}
			first := startUntilIn(t, dir, o, prepare, nil, tt.stop)
			if first.err == nil {
				t.Fatalf("the first session finished\n%s", first.text())
			}
			if tt.wantErr != "" && (!strings.Contains(first.err.Error(), tt.wantErr) || !strings.Contains(first.err.Error(), "datalayer resume")) {
				t.Fatalf("the failed update says %v; want %q and the resume", first.err, tt.wantErr)
			}
			id := first.run.Info().RunID

			second := resumeLatest(t, dir)
			if second.err != nil {
				t.Fatalf("resume: %v\n%s", second.err, second.text())
			}
			out := second.text() + first.text()
			for _, bad := range []string{"pulumi stack export", "pulumi refresh --clear-pending-creates", "pulumi cancel", "pulumi stack import"} {
				if strings.Contains(out, bad) {
					t.Errorf("a rehearsal printed advice it cannot follow (%q)\n%s", bad, out)
				}
			}
			n := requests(t, dir, id)
			if n["RestoreDBInstanceFromDBSnapshot"] != 1 || n["DeleteDBInstance"] != 1 {
				t.Fatalf("writes that reached AWS: %v (the restore and the delete once each)", n)
			}
			w, err := Open(context.Background(), WorldDir(dir, id), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			ctx := context.Background()
			if _, err := w.AWS.Instance(ctx, "app5ec7032"); err == nil {
				t.Fatal("the old instance still exists")
			}
			if _, err := w.AWS.Snapshot(ctx, "final-before-deletion"); err != nil {
				t.Fatalf("no final snapshot of the old instance: %v", err)
			}
			exp, err := w.Data.Export(ctx)
			if err != nil {
				t.Fatal(err)
			}
			in, err := w.AWS.Instance(ctx, exp.Identifier)
			if err != nil || in.ResourceID != exp.ID {
				t.Fatalf("Pulumi's state tracks %s (%s), AWS says %+v, %v", exp.Identifier, exp.ID, in, err)
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
