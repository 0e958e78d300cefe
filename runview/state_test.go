package runview

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

var t0 = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

var (
	info = engine.RunInfo{RunID: "r1", Runbook: "restore", Stack: "staging", Rehearsal: true}
	list = []engine.StepInfo{
		{ID: "identity", Title: "Check who we are", Kind: engine.KindCheck},
		{ID: "maintenance-on", Title: "Turn maintenance mode on", Kind: engine.KindManual},
		{ID: "gate", Title: "Confirm the update", Kind: engine.KindGate, Destructive: true},
		{ID: "up", Title: "pulumi up", Kind: engine.KindAction},
	}
)

func fold(evs ...engine.Event) *State {
	s := New(info, list, nil, 0)
	for _, ev := range evs {
		s.Apply(ev)
	}
	return s
}

func texts(s *State) []string {
	var out []string
	for _, l := range s.Log {
		out = append(out, l.Text)
	}
	return out
}

// TestExpectedNamesItsRun: the line of a step with an expected duration
// names the run it comes from, as the engine named it; a journal from
// before the engine did says "rehearsal" only of a rehearsal's.
func TestExpectedNamesItsRun(t *testing.T) {
	for _, tt := range []struct {
		name string
		info engine.RunInfo
		want string
	}{
		{"a rehearsal", engine.RunInfo{RunID: "r1", Rehearsal: true, ExpectedFrom: "the last rehearsal"}, "(took 4s in the last rehearsal)"},
		{"a real run", engine.RunInfo{RunID: "r1", Stack: "production", Production: true, ExpectedFrom: "the last run on staging"}, "(took 4s in the last run on staging)"},
		{"an old journal's rehearsal", engine.RunInfo{RunID: "r1", Rehearsal: true}, "(took 4s in the last rehearsal)"},
		{"an old journal's real run", engine.RunInfo{RunID: "r1", Stack: "staging"}, "(took 4s in an earlier run)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			info := tt.info
			s := New(info, list, nil, 0)
			s.Apply(engine.Event{Type: engine.EventRunStarted, Time: at(0), Run: &info})
			s.Apply(engine.Event{Type: engine.EventStepStarted, StepID: "identity", Time: at(0), Expected: 4 * time.Second})
			want := "▶ identity: Check who we are " + tt.want
			if got := texts(s); got[len(got)-1] != want {
				t.Errorf("log %q, want the last line %q", got, want)
			}
		})
	}
}

func TestStepsAndLog(t *testing.T) {
	s := fold(
		engine.Event{Type: engine.EventRunStarted, Time: at(0), Text: "started", Run: &info},
		engine.Event{Type: engine.EventStepStarted, StepID: "identity", Time: at(0), Expected: 4 * time.Second},
		engine.Event{Type: engine.EventOutput, StepID: "identity", Time: at(1), Text: "account 1\nregion eu-west-2\n"},
		engine.Event{Type: engine.EventVariable, StepID: "identity", Time: at(1), Name: "account", Value: "1"},
		engine.Event{Type: engine.EventVariable, StepID: "identity", Time: at(1), Name: "db-host", Value: "[secret]", Secret: true},
		engine.Event{Type: engine.EventStepFinished, StepID: "identity", Time: at(3), Elapsed: 3 * time.Second, Expected: 4 * time.Second},
		engine.Event{Type: engine.EventStepSkipped, StepID: "maintenance-on", Time: at(3), Text: "nothing writes"},
		engine.Event{Type: engine.EventStepStarted, StepID: "up", Time: at(4)},
		engine.Event{Type: engine.EventWarning, StepID: "up", Time: at(5), Text: "slow"},
		engine.Event{Type: engine.EventStepFailed, StepID: "up", Elapsed: 2 * time.Second, Err: "boom"},
		engine.Event{Type: engine.EventRunFinished, Time: at(7), Text: "failed", Err: "boom"},
	)
	want := []string{
		"run r1 started: restore on staging (rehearsal, scenario default)",
		"▶ identity: Check who we are (took 4s in the last rehearsal)",
		"  account 1",
		"  region eu-west-2",
		"  = account: 1",
		"  = db-host: (secret)",
		"✓ identity done in 3s, expected 4s",
		"– maintenance-on skipped: nothing writes",
		"▶ up: pulumi up",
		"  ! slow",
		"✗ up failed after 2s: boom",
		"run failed: boom",
	}
	if got := texts(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s.Log[10].Time != at(5) {
		t.Errorf("a line without a time got %v, want the latest event's time %v", s.Log[10].Time, at(5))
	}
	if s.Log[10].Level != LevelError || s.Log[9].Level != LevelWarn {
		t.Errorf("levels: failed %s, warning %s", s.Log[10].Level, s.Log[9].Level)
	}
	gotStates := map[string]engine.State{}
	for _, r := range s.Steps {
		gotStates[r.Info.ID] = r.State
	}
	wantStates := map[string]engine.State{"identity": engine.StateDone, "maintenance-on": engine.StateSkipped, "gate": engine.StatePending, "up": engine.StateFailed}
	if !reflect.DeepEqual(gotStates, wantStates) {
		t.Errorf("states %v, want %v", gotStates, wantStates)
	}
	if r := s.Step("identity"); r.Elapsed != 3*time.Second || r.Expected != 4*time.Second {
		t.Errorf("identity timings %v / %v", r.Elapsed, r.Expected)
	}
	if _, ok := s.Vars["db-host"]; ok {
		t.Error("a secret variable is kept for the commands shown")
	}
	if s.Vars["account"] != "1" || s.Vars["stack"] != "staging" {
		t.Errorf("vars %v", s.Vars)
	}
	if !s.Finished || s.Failure != "boom" || s.FailedStep().Info.ID != "up" {
		t.Errorf("finished %v failure %q", s.Finished, s.Failure)
	}
}

func TestLogKeepsCountingPastTheCap(t *testing.T) {
	s := New(info, list, nil, 0)
	for i := range MaxLog + 10 {
		s.Apply(engine.Event{Type: engine.EventOutput, Time: at(i), Text: "x"})
	}
	if len(s.Log) != MaxLog || s.LogSeq != MaxLog+10 {
		t.Fatalf("kept %d lines, seq %d", len(s.Log), s.LogSeq)
	}
	if got := len(s.LinesSince(MaxLog + 5)); got != 5 {
		t.Errorf("LinesSince gave %d lines, want 5", got)
	}
	if got := len(s.LinesSince(0)); got != MaxLog {
		t.Errorf("LinesSince(0) gave %d lines, want the %d kept", got, MaxLog)
	}
}

func change(kind, id, old, status string, sec int) *engine.Sample {
	return sampleOf(awsclient.Change{Kind: kind, ID: id, OldStatus: old, NewStatus: status, At: at(sec)})
}

// failedLook is a failed look as the poller sends it: the error, and its
// text, with the kind and id when the look was for one watch only.
func failedLook(kind, id, msg string, sec int) *engine.Sample {
	return sampleOf(awsclient.Change{Kind: kind, ID: id, At: at(sec), Err: errors.New(msg), Error: msg})
}

// A failed poll reaches the view model as the engine's sample with its
// error as text: a look that failed as a whole sets the poll error, one
// for a single watch marks that watch; neither changes the status.
func TestPollFailuresAreFolded(t *testing.T) {
	tests := []struct {
		name        string
		ev          engine.Event
		wantPollErr string
		wantWatch   string
		wantLine    string
	}{
		{name: "whole poll",
			ev:          engine.Event{Type: engine.EventStatus, StepID: "up", Time: at(10), Status: failedLook("", "", "Throttling: rate exceeded", 10)},
			wantPollErr: "Throttling: rate exceeded", wantLine: "  ~ poll failed (still watching): Throttling: rate exceeded"},
		{name: "whole poll of one kind",
			ev:          engine.Event{Type: engine.EventStatus, StepID: "up", Time: at(10), Status: failedLook("instance", "", "dial tcp: refused", 10)},
			wantPollErr: "dial tcp: refused", wantLine: "  ~ poll failed (still watching): dial tcp: refused"},
		{name: "one watch",
			ev:        engine.Event{Type: engine.EventStatus, StepID: "up", Time: at(10), Status: failedLook("instance", "app1", "Throttling", 10)},
			wantWatch: "Throttling", wantLine: "  ~ instance app1: poll failed (still watching): Throttling"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fold(
				engine.Event{Type: engine.EventStatus, StepID: "up", Time: at(1), Status: change("instance", "app1", "", "creating", 1)},
				tt.ev,
			)
			if s.PollErr != tt.wantPollErr {
				t.Errorf("PollErr %q, want %q", s.PollErr, tt.wantPollErr)
			}
			if got := s.Watches[0].Err; got != tt.wantWatch {
				t.Errorf("watch error %q, want %q", got, tt.wantWatch)
			}
			if s.Watches[0].Status != "creating" {
				t.Errorf("a failed poll changed the status to %q", s.Watches[0].Status)
			}
			if got := texts(s); got[len(got)-1] != tt.wantLine {
				t.Errorf("last line %q, want %q", got[len(got)-1], tt.wantLine)
			}
			s.Apply(engine.Event{Type: engine.EventStatus, StepID: "up", Time: at(20), Status: change("instance", "app1", "creating", "available", 20)})
			if s.PollErr != "" || s.Watches[0].Err != "" {
				t.Errorf("a good poll did not clear the error: %q %q", s.PollErr, s.Watches[0].Err)
			}
		})
	}
}

func TestWatchesFollowChangesAndRenames(t *testing.T) {
	inst := &awsclient.Instance{ID: "app1", Status: "available", EngineVersion: "16.3", Address: "app1.x.rds.amazonaws.com", Port: 5432}
	s := fold(
		engine.Event{Type: engine.EventStatus, Time: at(1), Status: change("instance", "app1", "", "creating", 1)},
		engine.Event{Type: engine.EventStatus, Time: at(2), Status: change("instance", "app1", "", "creating", 2)}, // the engine's first direct look repeats
		engine.Event{Type: engine.EventStatus, Time: at(9), Status: sampleOf(awsclient.Change{Kind: "instance", ID: "app1", OldStatus: "creating", NewStatus: "available", At: at(9), Instance: inst})},
		engine.Event{Type: engine.EventStatus, Time: at(10), Status: sampleOf(awsclient.Change{Kind: "snapshot", ID: "s1", NewStatus: "creating", At: at(10), Snapshot: &awsclient.Snapshot{ID: "s1", PercentProgress: 45}})},
		engine.Event{Type: engine.EventStatus, Time: at(11), Status: change("instance", "app1-new", "", "available", 11)},
		engine.Event{Type: engine.EventStatus, Time: at(12), Status: sampleOf(awsclient.Change{Kind: "instance", ID: "app1-new", PreviousID: "app1", NewStatus: "renaming", At: at(12)})},
		engine.Event{Type: engine.EventStatus, Time: at(13), Status: sampleOf(awsclient.Change{Kind: "instance", ID: "old", Gone: true, At: at(13)})},
	)
	want := []string{
		"  ~ instance app1: creating",
		"  ~ instance app1: creating → available",
		"  ~ snapshot s1: creating",
		"  ~ instance app1-new: available",
		"  ~ instance app1 is now app1-new",
		"  ~ instance app1-new: available → renaming",
		"  ~ instance old: gone",
	}
	if got := texts(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(s.Watches) != 3 {
		t.Fatalf("%d watches, want 3 (the renamed row replaces the older one): %+v", len(s.Watches), s.Watches)
	}
	w := s.Watches[0]
	if w.ID != "app1-new" || w.Status != "renaming" || w.EngineVersion != "16.3" || w.Endpoint() != "app1.x.rds.amazonaws.com:5432" {
		t.Errorf("renamed watch %+v", w)
	}
	if s.Watches[1].Progress != 45 || s.Watches[0].Progress != -1 {
		t.Errorf("snapshot progress %d, instance %d", s.Watches[1].Progress, s.Watches[0].Progress)
	}
	if !s.Watches[2].Gone || !s.Watches[2].Settled() {
		t.Errorf("gone watch %+v", s.Watches[2])
	}
}

func progress(step string, sec int, p pulumiclient.Progress) engine.Event {
	return engine.Event{Type: engine.EventPulumi, StepID: step, Time: at(sec), Pulumi: stepOf(p)}
}

func TestPulumiRows(t *testing.T) {
	const inst = "urn:pulumi:staging::data::aws:rds/instance:Instance::app"
	const pg = "urn:pulumi:staging::data::aws:rds/parameterGroup:ParameterGroup::pg"
	const stack = "urn:pulumi:staging::data::pulumi:pulumi:Stack::data-staging"
	typ := pulumiclient.InstanceType
	t.Run("refresh rows end whatever op the end reports", func(t *testing.T) {
		s := fold(
			progress("refresh", 1, pulumiclient.Progress{URN: stack, Type: "pulumi:pulumi:Stack", Name: "data-staging", Op: pulumiclient.OpRefresh, Status: pulumiclient.StepStarted}),
			progress("refresh", 1, pulumiclient.Progress{URN: pg, Type: "aws:rds/parameterGroup:ParameterGroup", Name: "pg", Op: pulumiclient.OpRefresh, Status: pulumiclient.StepStarted}),
			progress("refresh", 2, pulumiclient.Progress{URN: pg, Type: "aws:rds/parameterGroup:ParameterGroup", Name: "pg", Op: pulumiclient.OpSame, Status: pulumiclient.StepDone}),
			progress("refresh", 2, pulumiclient.Progress{URN: inst, Type: typ, Name: "app", Op: pulumiclient.OpRefresh, Status: pulumiclient.StepStarted}),
			progress("refresh", 3, pulumiclient.Progress{URN: inst, Type: typ, Name: "app", Op: pulumiclient.OpUpdate, Status: pulumiclient.StepDone, Diffs: []string{"engineVersion"}}),
		)
		got := map[string]Phase{}
		for _, r := range s.Pulumi.Rows {
			got[r.Name] = r.Phase
		}
		want := map[string]Phase{"data-staging": PhaseRunning, "pg": PhaseDone, "app": PhaseDone}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("phases %v, want %v", got, want)
		}
		if len(s.Pulumi.Rows) != 3 {
			t.Fatalf("%d rows: the end of an operation made a row of its own: %+v", len(s.Pulumi.Rows), s.Pulumi.Rows)
		}
		s.Apply(progress("refresh", 4, pulumiclient.Progress{Status: pulumiclient.Summarised, Message: "succeeded"}))
		for _, r := range s.Pulumi.Rows {
			if r.Phase != PhaseDone {
				t.Errorf("after the summary %s is %s (%q)", r.Name, r.Phase, r.StatusText())
			}
		}
		if len(s.InFlight(at(5))) != 0 {
			t.Errorf("in flight after the refresh ended: %v", s.InFlight(at(5)))
		}
	})
	t.Run("replacement", func(t *testing.T) {
		s := fold(
			progress("up", 1, pulumiclient.Progress{URN: inst, Type: typ, Name: "app", Op: pulumiclient.OpCreateReplacement, Status: pulumiclient.StepStarted}),
			progress("up", 1, pulumiclient.Progress{URN: stack, Type: "pulumi:pulumi:Stack", Name: "data-staging", Op: pulumiclient.OpSame, Status: pulumiclient.StepStarted}),
		)
		if len(s.Pulumi.Rows) != 1 || s.Pulumi.Rows[0].StatusText() != "creating replacement…" || s.Pulumi.Rows[0].Symbol() != "++" {
			t.Fatalf("rows %+v", s.Pulumi.Rows)
		}
		if got := s.InFlight(at(2)); len(got) != 1 || !strings.Contains(got[0], "pulumi is creating replacement app") {
			t.Fatalf("in flight %v", got)
		}
		s.Apply(progress("up", 3, pulumiclient.Progress{URN: inst, Type: typ, Name: "app", Op: pulumiclient.OpCreateReplacement, Status: pulumiclient.StepFailed, Message: "InvalidParameterCombination"}))
		if r := s.Pulumi.Rows[0]; r.Phase != PhaseFailed || r.StatusText() != "creating replacement failed" || r.Message != "InvalidParameterCombination" {
			t.Errorf("failed row %+v", r)
		}
		s.Apply(progress("up", 4, pulumiclient.Progress{Status: pulumiclient.Summarised, Message: "failed"}))
		if s.Pulumi.Rows[0].Phase != PhaseFailed {
			t.Error("the summary overwrote a failure")
		}
		s.Apply(progress("verify", 5, pulumiclient.Progress{URN: inst, Type: typ, Name: "app", Op: pulumiclient.OpRefresh, Status: pulumiclient.StepStarted}))
		if s.Pulumi.StepID != "verify" || len(s.Pulumi.Rows) != 1 {
			t.Errorf("rows of the next step: %+v", s.Pulumi)
		}
	})
	t.Run("diagnostics and plans are logged, quiet ones marked", func(t *testing.T) {
		s := fold(
			progress("preview", 1, pulumiclient.Progress{URN: inst, Type: typ, Name: "app", Op: pulumiclient.OpReplace, Status: pulumiclient.StepPlanned}),
			progress("preview", 1, pulumiclient.Progress{Status: pulumiclient.Diagnostic, Severity: "info", Message: "hello"}),
			progress("preview", 1, pulumiclient.Progress{Status: pulumiclient.Diagnostic, Severity: "warning", Message: "careful"}),
		)
		var loud []string
		for _, l := range s.Log {
			if !l.Quiet {
				loud = append(loud, l.Text)
			}
		}
		if want := []string{"  pulumi: warning: careful"}; !reflect.DeepEqual(loud, want) {
			t.Errorf("lines a quiet renderer prints: %q, want %q", loud, want)
		}
		if s.Pulumi.Rows[0].StatusText() != "replace" {
			t.Errorf("planned row says %q", s.Pulumi.Rows[0].StatusText())
		}
	})
}

func TestPromptQueue(t *testing.T) {
	p1 := &engine.Prompt{ID: "p1", StepID: "maintenance-on", Kind: engine.PromptManual, Title: "Flip it"}
	p2 := &engine.Prompt{ID: "p2", StepID: "gate", Kind: engine.PromptGate, Title: "Go?", Expect: "staging"}
	auto := &engine.Answer{PromptID: "p0", Value: "yes", Auto: true, Note: "--yes"}
	s := fold(
		engine.Event{Type: engine.EventPrompt, StepID: "identity", Time: at(1), Prompt: &engine.Prompt{ID: "p0", StepID: "identity", Title: "Auto"}, Answer: auto},
		engine.Event{Type: engine.EventPrompt, StepID: "maintenance-on", Time: at(2), Prompt: p1},
		engine.Event{Type: engine.EventPrompt, StepID: "gate", Time: at(2), Prompt: p2},
		engine.Event{Type: engine.EventPrompt, StepID: "gate", Time: at(2), Prompt: p2},
	)
	if len(s.Prompts) != 2 || s.Prompt().ID != "p1" {
		t.Fatalf("queue %+v", s.Prompts)
	}
	if s.Step("maintenance-on").State != engine.StateWaitingForYou || s.Current != "gate" {
		t.Errorf("step states %v current %s", s.Step("maintenance-on").State, s.Current)
	}
	s.Answered("p1")
	if s.Prompt().ID != "p2" {
		t.Fatalf("after answering p1 the head is %+v", s.Prompt())
	}
	s.Apply(engine.Event{Type: engine.EventAnswer, StepID: "maintenance-on", Time: at(3), Answer: &engine.Answer{PromptID: "p1", Value: "done", Note: "via CDN"}})
	if r := s.Step("maintenance-on"); r.State != engine.StateRunning || r.Note != "via CDN" {
		t.Errorf("answered step %+v", r)
	}
	want := []string{"? Auto → yes (--yes)", "  answered: done — via CDN"}
	if got := texts(s); !reflect.DeepEqual(got, want) {
		t.Errorf("log %q, want %q", got, want)
	}
	s.Closed()
	if !s.Finished || s.Failure == "" || s.Prompt() != nil {
		t.Errorf("closed early: finished %v failure %q prompts %v", s.Finished, s.Failure, s.Prompts)
	}
}

func TestInFlight(t *testing.T) {
	tests := []struct {
		name string
		evs  []engine.Event
		want []string
	}{
		{name: "nothing yet"},
		{name: "an available instance is not in flight",
			evs: []engine.Event{{Type: engine.EventStatus, Time: at(1), Status: change("instance", "app1", "", "available", 1)}}},
		{name: "a failed instance is not in flight",
			evs: []engine.Event{{Type: engine.EventStatus, Time: at(1), Status: change("instance", "app1", "", "incompatible-parameters", 1)}}},
		{name: "a creating snapshot is",
			evs:  []engine.Event{{Type: engine.EventStatus, Time: at(1), Status: sampleOf(awsclient.Change{Kind: "snapshot", ID: "s1", NewStatus: "creating", At: at(1), Snapshot: &awsclient.Snapshot{PercentProgress: 30}})}},
			want: []string{"snapshot s1 is creating (for 9s), 30% done"}},
		{name: "a step that issued a change and runs",
			evs: []engine.Event{
				{Type: engine.EventStepStarted, StepID: "up", Time: at(1)},
				{Type: engine.EventIssued, StepID: "up", Time: at(1), Name: "up:data"},
			},
			want: []string{"step “pulumi up” has sent a change and not finished"}},
		{name: "a step that issued a change and ended",
			evs: []engine.Event{
				{Type: engine.EventStepStarted, StepID: "up", Time: at(1)},
				{Type: engine.EventIssued, StepID: "up", Time: at(1), Name: "up:data"},
				{Type: engine.EventStepFinished, StepID: "up", Time: at(5)},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fold(tt.evs...).InFlight(at(10))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("InFlight = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDeletedInstanceIsShown: once the run learns that its instance does not
// exist in AWS (exists=no), the Live rows show it as deleted, with nothing
// polling it; the restored instance gets its own row, "not in AWS yet" while
// Pulumi has named it but AWS has not got it, and a restore under the old
// name takes over the deleted row.
func TestDeletedInstanceIsShown(t *testing.T) {
	type row struct {
		id, status          string
		gone, seen, deleted bool
		polled              time.Time
	}
	setVar := func(sec int, name, value string) engine.Event {
		return engine.Event{Type: engine.EventVariable, StepID: "exists", Time: at(sec), Name: name, Value: value}
	}
	sample := func(sec int, c awsclient.Change) engine.Event {
		c.At = at(sec)
		return engine.Event{Type: engine.EventStatus, StepID: "up", Time: at(sec), Status: sampleOf(c)}
	}
	newInst := &awsclient.Instance{ID: "app9d1f", Status: "creating", EngineVersion: "16.13"}
	tests := []struct {
		name     string
		vars     map[string]string // known before any event (a resume)
		events   []engine.Event
		want     []row
		wantLast string // the last log line
	}{
		{name: "the instance exists: no row", events: []engine.Event{setVar(1, "instance", "app5ec7032"), setVar(2, "exists", "yes")},
			wantLast: "  = exists: yes"},
		{name: "deleted: a row as soon as the run learns it",
			events:   []engine.Event{setVar(1, "instance", "app5ec7032"), setVar(2, "exists", "no")},
			want:     []row{{id: "app5ec7032", status: "gone", gone: true, deleted: true, polled: at(2)}},
			wantLast: "  = exists: no"},
		{name: "no instance named: no row", events: []engine.Event{setVar(2, "exists", "no")}, wantLast: "  = exists: no"},
		{name: "known on a resume", vars: map[string]string{"instance": "app5ec7032", "exists": "no"},
			want: []row{{id: "app5ec7032", status: "gone", gone: true, deleted: true}}},
		{name: "the restored instance under a new name, named before AWS has it, then created",
			events: []engine.Event{setVar(1, "instance", "app5ec7032"), setVar(2, "exists", "no"),
				sample(50, awsclient.Change{Kind: "instance", ID: "app9d1f", Gone: true}),
				sample(55, awsclient.Change{Kind: "instance", ID: "app9d1f", NewStatus: "creating", Instance: newInst})},
			want: []row{{id: "app5ec7032", status: "gone", gone: true, deleted: true, polled: at(2)},
				{id: "app9d1f", status: "creating", seen: true, polled: at(55)}},
			wantLast: "  ~ instance app9d1f: gone → creating"},
		{name: "named, not in AWS yet", events: []engine.Event{sample(50, awsclient.Change{Kind: "instance", ID: "app9d1f", Gone: true})},
			want: []row{{id: "app9d1f", status: "gone", gone: true, polled: at(50)}}, wantLast: "  ~ instance app9d1f: gone"},
		{name: "restored under the old name: the deleted row becomes it",
			events: []engine.Event{setVar(1, "instance", "app5ec7032"), setVar(2, "exists", "no"),
				sample(50, awsclient.Change{Kind: "instance", ID: "app5ec7032", Gone: true}),
				sample(55, awsclient.Change{Kind: "instance", ID: "app5ec7032", NewStatus: "creating", Instance: &awsclient.Instance{ID: "app5ec7032", Status: "creating"}})},
			want:     []row{{id: "app5ec7032", status: "creating", seen: true, polled: at(55)}},
			wantLast: "  ~ instance app5ec7032: gone → creating"},
		{name: "gone after it was seen is not deleted",
			events: []engine.Event{
				sample(5, awsclient.Change{Kind: "instance", ID: "app5ec7032", NewStatus: "deleting", Instance: &awsclient.Instance{ID: "app5ec7032", Status: "deleting"}}),
				sample(9, awsclient.Change{Kind: "instance", ID: "app5ec7032", OldStatus: "deleting", Gone: true})},
			want:     []row{{id: "app5ec7032", status: "gone", gone: true, seen: true, polled: at(9)}},
			wantLast: "  ~ instance app5ec7032: deleting → gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(info, list, tt.vars, 0)
			for _, ev := range tt.events {
				s.Apply(ev)
			}
			var got []row
			for _, w := range s.Watches {
				if w.Kind != "instance" {
					t.Errorf("watch %s is a %s, want an instance", w.ID, w.Kind)
				}
				got = append(got, row{id: w.ID, status: w.Status, gone: w.Gone, seen: w.Seen, deleted: w.Deleted, polled: w.Polled})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("watches:\n%+v\nwant:\n%+v", got, tt.want)
			}
			if tt.wantLast != "" {
				if lines := texts(s); len(lines) == 0 || lines[len(lines)-1] != tt.wantLast {
					t.Errorf("log %q, want it to end with %q", lines, tt.wantLast)
				}
			}
		})
	}
}
