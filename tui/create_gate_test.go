package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
	"github.com/datalayer-tool/datalayer/runbooks"
)

// The Pulumi restore of an instance deleted before the run (exists=no): a
// point-in-time restore from its retained automated backups, by resource
// id. The gate asks to create, not to replace, and its text is the one
// runbooks/restore.go restoreGateStep writes for it (as a rehearsal of
// TestPitrRestoreDeletedInstancePulumi prints it).
var (
	createInfo = func() engine.RunInfo {
		i := stagingInfo
		i.Stack = "staging"
		return i
	}()
	// createSteps is the real restore's step list on this path.
	createSteps = func() []engine.StepInfo {
		b, err := runbooks.Get("restore")
		if err != nil {
			panic(err)
		}
		return b.Infos(engine.Options{Runbook: "restore", Stack: "staging", Rehearsal: true}, map[string]string{
			"lost": "whole", "exists": "no", "method": "pulumi", "maintenance": "on", "restore-from": "time"})
	}()
	createGatePrompt = &engine.Prompt{ID: "gate/confirm", StepID: "gate", Kind: engine.PromptGate,
		Title: "Create the restored instance in place of app5ec7032? Type app5ec7032 to go on",
		Body: "`pulumi up` on stack **staging** will create a new instance (new name app…) from **app5ec7032 (deleted; its " +
			"retained automated backups, db-P6FXBT5MOHQ346E7U7IFBDPM2P) as of 2026-11-25T13:39:00Z**. Nothing is deleted: " +
			"app5ec7032 is already gone.\n\nData-loss window: about 21 minutes (what was written after 2026-11-25 13:39:00 UTC)." +
			"\n\nThe plan:\n\n- create aws:rds/instance:Instance app",
		Expect: "app5ec7032"}
)

// createScript is that restore up to its gate. The wizard's answers came
// from flags, so the decisions finish without a prompt.
func createScript() []engine.Event {
	ev := []engine.Event{{Type: engine.EventRunStarted, Time: at(0)}}
	sec := 0
	step := func(id string, took int, lines ...string) {
		ev = append(ev, engine.Event{Type: engine.EventStepStarted, StepID: id, Time: at(sec)})
		for _, l := range lines {
			if name, value, ok := strings.Cut(l, "="); ok && !strings.Contains(name, " ") { // a variable
				ev = append(ev, engine.Event{Type: engine.EventVariable, StepID: id, Time: at(sec + took), Name: name, Value: value})
				continue
			}
			typ := engine.EventOutput
			if strings.HasPrefix(l, "!") {
				typ, l = engine.EventWarning, l[1:]
			}
			ev = append(ev, engine.Event{Type: typ, StepID: id, Time: at(sec + took), Text: l})
		}
		sec += took
		ev = append(ev, engine.Event{Type: engine.EventStepFinished, StepID: id, Time: at(sec), Elapsed: time.Duration(took) * time.Second})
	}
	step("identity", 1, "account 123456789012, principal arn:aws:iam::123456789012:user/planx-staging-pulumi")
	step("stack", 2, "instance=app5ec7032")
	step("lost", 1)
	step("exists", 1, "!app5ec7032 does not exist any more", "exists=no")
	step("method", 1)
	step("maintenance", 1)
	step("maintenance-on", 20)
	step("damage-time", 2, "app5ec7032: restorable from 2026-11-24 14:00:12 UTC to 2026-11-25 13:58:40 UTC (about 1 minute ago; "+
		"retained automated backups, resource id db-P6FXBT5MOHQ346E7U7IFBDPM2P, retention 1 day)")
	step("restore-point", 5, "restoring to app5ec7032 (deleted; its retained automated backups, db-P6FXBT5MOHQ346E7U7IFBDPM2P) "+
		"as of 2026-11-25T13:39:00Z: data-loss window about 21 minutes (what was written after 2026-11-25 13:39:00 UTC)")
	step("patch-program", 1, `+  restoreToPointInTime: { sourceDbiResourceId: "db-P6FXBT5MOHQ346E7U7IFBDPM2P", restoreTime: "2026-11-25T13:39:00Z" },`)
	step("engine-version", 1)
	step("refresh", 9, "!drift: 1 delete, 1 same (Pulumi's state differs from AWS)")
	step("confirm-stack", 1, "selected stack: staging")
	ev = append(ev, engine.Event{Type: engine.EventStepStarted, StepID: "preview", Time: at(sec)})
	for _, p := range []pulumiclient.Progress{
		{URN: "urn:stack", Type: "pulumi:pulumi:Stack", Name: "data-staging", Op: pulumiclient.OpSame, Status: pulumiclient.StepPlanned},
		{URN: "urn:pg", Type: "aws:rds/parameterGroup:ParameterGroup", Name: "parameterGroup", Op: pulumiclient.OpSame, Status: pulumiclient.StepPlanned},
		{URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpCreate, Status: pulumiclient.StepPlanned},
	} {
		ev = append(ev, engine.Event{Type: engine.EventPulumi, StepID: "preview", Time: at(sec + 8), Pulumi: stepOf(p)})
	}
	ev = append(ev,
		engine.Event{Type: engine.EventOutput, StepID: "preview", Time: at(sec + 9), Text: "the plan is exactly: create of aws:rds/instance:Instance, " +
			"restoring restoreToPointInTime (db-P6FXBT5MOHQ346E7U7IFBDPM2P as of 2026-11-25T13:39:00Z); app5ec7032 is gone, so nothing is deleted"},
		engine.Event{Type: engine.EventStepFinished, StepID: "preview", Time: at(sec + 9), Elapsed: 9 * time.Second},
		engine.Event{Type: engine.EventStepStarted, StepID: "gate", Time: at(sec + 9)},
		engine.Event{Type: engine.EventPrompt, StepID: "gate", Time: at(sec + 9), Prompt: createGatePrompt},
	)
	return ev
}

// TestCreateGateScreens: the gate of a deleted instance's restore asks to
// create in its place and says nothing is deleted, with the point, the
// data-loss window and the plan.
func TestCreateGateScreens(t *testing.T) {
	for _, sc := range []struct {
		name  string
		small bool // 80×24 only
		drive func(t *testing.T, tm *teatest.TestModel, r *recorder)
	}{
		{name: "create_gate", drive: func(t *testing.T, tm *teatest.TestModel, r *recorder) {
			tm.Type("app5ec70")
			waitFor(t, r, "> app5ec70")
		}},
		// At 80×24 the plan is below the fold: pgdn shows it.
		{name: "create_gate_plan", small: true, drive: func(t *testing.T, tm *teatest.TestModel, r *recorder) {
			tm.Send(press("pgdown"))
			waitFor(t, r, "create aws:rds/instance:Instance app")
		}},
	} {
		for _, size := range sizes {
			if sc.small && size.w != 80 {
				continue
			}
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, size.w, size.h), func(t *testing.T) {
				s := newScriptedSession(createInfo, createSteps, createScript(), true)
				r := &recorder{Model: New(context.Background(), s, testOptions(at(70)))}
				tm := teatest.NewTestModel(t, r, teatest.WithInitialTermSize(size.w, size.h))
				waitFor(t, r, "in place of app5ec7032?", "is already gone")
				sc.drive(t, tm, r)
				if err := tm.Quit(); err != nil {
					t.Fatal(err)
				}
				fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*recorder)
				view := screenText(fm.Model)
				if got := len(strings.Split(view, "\n")); got != size.h {
					t.Errorf("the frame is %d lines tall, want %d", got, size.h)
				}
				wants := []string{"in place of app5ec7032?", "Type app5ec7032 to go on, esc to back out"}
				if size.h >= 40 { // at 80×24 the gate leaves no room for the Live panel
					// The run learnt at "exists" that the instance is gone.
					wants = append(wants, "● app5ec7032 deleted (not in AWS)")
				}
				for _, want := range wants {
					if !strings.Contains(view, want) {
						t.Errorf("the gate lacks %q:\n%s", want, view)
					}
				}
				if strings.Contains(view, "Replace app5ec7032") || strings.Contains(view, "delete the current") {
					t.Errorf("the gate of a deleted instance speaks of replacing or deleting it:\n%s", view)
				}
				teatest.RequireEqualOutput(t, []byte(view))
			})
		}
	}
}

// TestCreateGateKeys: the create gate passes only on the instance's name,
// typed exactly; neither a yes, the resource id it restores from nor the
// new name's prefix does.
func TestCreateGateKeys(t *testing.T) {
	pass := &engine.Answer{PromptID: "gate/confirm", Value: "app5ec7032"}
	for _, tt := range []struct {
		name, typed string
		key         string
		want        *engine.Answer
	}{
		{"the name answers", "app5ec7032", "enter", pass},
		{"surrounding spaces are forgiven", " app5ec7032 ", "enter", pass},
		{"yes does not pass", "yes", "enter", nil},
		{"create does not pass", "create", "enter", nil},
		{"the resource id does not pass", "db-P6FXBT5MOHQ346E7U7IFBDPM2P", "enter", nil},
		{"the new name's prefix does not pass", "app", "enter", nil},
		{"a prefix does not pass", "app5ec703", "enter", nil},
		{"a longer word does not pass", "app5ec70322", "enter", nil},
		{"another case does not pass", "App5ec7032", "enter", nil},
		{"nothing typed does not pass", "", "enter", nil},
		{"esc backs out", "app5ec7032", "esc", &engine.Answer{PromptID: "gate/confirm", Value: DeclinedValue}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newScriptedSession(createInfo, createSteps, nil, true)
			m := newUpdateModel(t, s,
				engine.Event{Type: engine.EventStepStarted, StepID: "gate", Time: at(60)},
				engine.Event{Type: engine.EventPrompt, StepID: "gate", Time: at(60), Prompt: createGatePrompt})
			if openKind(m) != engine.PromptGate {
				t.Fatalf("%q open after the gate prompt, want the gate", openKind(m))
			}
			typeText(m, tt.typed)
			_, cmd := m.Update(press(tt.key))
			got := answersIn(run(t, cmd))
			if tt.want == nil {
				if len(got) > 0 || len(s.Answers()) > 0 {
					t.Fatalf("answered %+v, want no answer", got)
				}
				if openKind(m) != engine.PromptGate {
					t.Errorf("%q open, want the gate still open", openKind(m))
				}
				if !strings.Contains(m.prompt.err, "app5ec7032") {
					t.Errorf("gate error %q, want it to name app5ec7032", m.prompt.err)
				}
				return
			}
			if len(got) != 1 || got[0] != *tt.want {
				t.Fatalf("answers %+v, want %+v", got, *tt.want)
			}
			if sa := s.Answers(); len(sa) != 1 || sa[0] != *tt.want {
				t.Fatalf("the session got %+v, want %+v", sa, *tt.want)
			}
		})
	}
}
