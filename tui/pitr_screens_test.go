package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/datalayer-tool/datalayer/engine"
)

// The restore wizard's point-in-time questions (issue 15), in the words
// the runbook uses (runbooks/restore_pitr.go): when the damage happened,
// with the restorable window, then a point just before it or the newest
// snapshot, each with its data loss, the smaller recommended.
var (
	pitrSteps = func() []engine.StepInfo {
		var out []engine.StepInfo
		for _, s := range restoreSteps {
			out = append(out, s)
			if s.ID == "lost" {
				out = append(out,
					engine.StepInfo{ID: "damage-time", Title: "When did the damage happen?", Kind: engine.KindDecision, Phase: "prepare"},
					engine.StepInfo{ID: "restore-point", Title: "Restore to a point in time or from a snapshot?", Kind: engine.KindDecision, Phase: "prepare"})
			}
		}
		return out
	}()
	damagePrompt = &engine.Prompt{ID: "damage-time/when", StepID: "damage-time", Kind: engine.PromptText, Title: "When did the damage happen?",
		Body: "restorable from 2026-11-24 14:00:12 UTC to 2026-11-25 13:58:40 UTC (about 1 minute ago; active automated backups, " +
			"resource id db-P6FXBT5MOHQ346E7U7IFBDPM2P, retention 1 day)\n\nAnswer now (the default: it is happening or was just noticed), " +
			"a UTC time (2026-12-02T14:02:00Z, or 14:02 for today), how long ago (20m), or don't know.",
		Default: "now"}
	pointPrompt = &engine.Prompt{ID: "restore-point/from", StepID: "restore-point", Kind: engine.PromptChoice, Title: "Restore to which point?",
		Body: "Each option says what it loses: what was written after its point.",
		Options: []engine.Option{
			{Value: "time", Label: "A point in time: 2026-11-25 13:39:00 UTC, from the instance's transaction logs; loses what was written after it: about 21 minutes",
				Recommended: true, Reason: "the smaller loss: about 21 minutes instead of about 10 hours 50 minutes"},
			{Value: "snapshot", Label: "The newest snapshot before the damage: rds:app5ec7032-2026-11-25-03-10 (automated, taken 2026-11-25 03:10:00 UTC); loses what was written after it: about 10 hours 50 minutes"},
		}}
	tooEarlyPrompt = &engine.Prompt{ID: "restore-point/from", StepID: "restore-point", Kind: engine.PromptChoice, Title: "Restore to which point?",
		Body: "Each option says what it loses: what was written after its point.",
		Options: []engine.Option{
			{Value: "snapshot", Label: "The newest snapshot before the damage: rds:app5ec7032-2026-11-23-03-10 (automated, taken 2026-11-23 03:10:00 UTC); loses what was written after it: about 2 days",
				Recommended: true, Reason: "the only way back: 2026-11-23 11:59:00 UTC is earlier than the earliest restorable time 2026-11-24 14:00:12 UTC: the transaction logs do not reach that far back"},
		}}
)

// pitrScript is a restore's wizard up to the point question.
func pitrScript(point *engine.Prompt, answer string, warn string) []engine.Event {
	ev := until(restoreScript(false), func(e engine.Event) bool { return e.Type == engine.EventStepFinished && e.StepID == "lost" })
	ev = append(ev,
		engine.Event{Type: engine.EventStepStarted, StepID: "damage-time", Time: at(9)},
		engine.Event{Type: engine.EventOutput, StepID: "damage-time", Time: at(10), Text: "app5ec7032: restorable from 2026-11-24 14:00:12 UTC to 2026-11-25 13:58:40 UTC"},
		engine.Event{Type: engine.EventPrompt, StepID: "damage-time", Time: at(10), Prompt: damagePrompt},
	)
	if point == nil {
		return ev
	}
	ev = append(ev,
		engine.Event{Type: engine.EventAnswer, StepID: "damage-time", Time: at(20), Answer: &engine.Answer{PromptID: damagePrompt.ID, Value: answer}},
		engine.Event{Type: engine.EventStepFinished, StepID: "damage-time", Time: at(20), Elapsed: 11 * time.Second},
		engine.Event{Type: engine.EventStepStarted, StepID: "restore-point", Time: at(20)},
	)
	if warn != "" {
		ev = append(ev, engine.Event{Type: engine.EventWarning, StepID: "restore-point", Time: at(21), Text: warn})
	}
	return append(ev, engine.Event{Type: engine.EventPrompt, StepID: "restore-point", Time: at(21), Prompt: point})
}

func TestPitrWizardScreens(t *testing.T) {
	answerLost := func(t *testing.T, tm *teatest.TestModel, r *recorder) {
		waitFor(t, r, "Nothing needs a restore")
		tm.Send(press("enter"))
	}
	screens := []screen{
		{
			// The default, now, is shown greyed in the empty box.
			name: "damage_time_default", info: stagingInfo, open: true, now: at(12),
			script: pitrScript(nil, "", ""),
			drive: func(t *testing.T, tm *teatest.TestModel, r *recorder) {
				answerLost(t, tm, r)
				waitFor(t, r, "how long ago (20m)")
			},
		},
		{
			name: "damage_time_question", info: stagingInfo, open: true, now: at(12),
			script: pitrScript(nil, "", ""),
			drive: func(t *testing.T, tm *teatest.TestModel, r *recorder) {
				answerLost(t, tm, r)
				waitFor(t, r, "how long ago (20m)")
				tm.Type("13:40")
				waitFor(t, r, "13:40")
			},
		},
		{
			name: "restore_point_choice", info: stagingInfo, open: true, now: at(25),
			script: pitrScript(pointPrompt, "13:40", ""),
			drive: func(t *testing.T, tm *teatest.TestModel, r *recorder) {
				answerLost(t, tm, r)
				waitFor(t, r, "how long ago (20m)")
				tm.Type("13:40")
				tm.Send(press("enter"))
				waitFor(t, r, "Restore to which point?", "about 21 minutes")
			},
		},
		{
			name: "restore_point_before_the_window", info: stagingInfo, open: true, now: at(25),
			script: pitrScript(tooEarlyPrompt, "2026-11-23T12:00:00Z",
				"2026-11-23 11:59:00 UTC is earlier than the earliest restorable time 2026-11-24 14:00:12 UTC: the transaction logs do not reach that far back"),
			drive: func(t *testing.T, tm *teatest.TestModel, r *recorder) {
				answerLost(t, tm, r)
				waitFor(t, r, "how long ago (20m)")
				tm.Type("2026-11-23T12:00:00Z")
				tm.Send(press("enter"))
				waitFor(t, r, "Restore to which point?", "far back")
			},
		},
	}
	for _, sc := range screens {
		for _, size := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, size.w, size.h), func(t *testing.T) {
				s := newScriptedSession(sc.info, pitrSteps, sc.script, sc.open)
				r := &recorder{Model: New(context.Background(), s, testOptions(sc.now))}
				tm := teatest.NewTestModel(t, r, teatest.WithInitialTermSize(size.w, size.h))
				sc.drive(t, tm, r)
				if err := tm.Quit(); err != nil {
					t.Fatal(err)
				}
				fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*recorder)
				view := screenText(fm.Model)
				if got := len(strings.Split(view, "\n")); got != size.h {
					t.Errorf("the frame is %d lines tall, want %d", got, size.h)
				}
				teatest.RequireEqualOutput(t, []byte(view))
			})
		}
	}
}

// TestDamageTimeAnswer: the damage-time box shows its default, now, as a
// placeholder: enter alone answers now, and typed text replaces it (before,
// the default was typed in and 13:40 became "now13:40").
func TestDamageTimeAnswer(t *testing.T) {
	for _, tc := range []struct{ name, typed, want string }{
		{"enter alone", "", "now"},
		{"a time", "13:40", "13:40"},
		{"how long ago", "20m", "20m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScriptedSession(stagingInfo, pitrSteps, pitrScript(nil, "", ""), true)
			r := &recorder{Model: New(context.Background(), s, testOptions(at(12)))}
			tm := teatest.NewTestModel(t, r, teatest.WithInitialTermSize(120, 40))
			waitFor(t, r, "Nothing needs a restore")
			tm.Send(press("enter"))
			waitFor(t, r, "how long ago (20m)")
			if tc.typed != "" {
				tm.Type(tc.typed)
				waitFor(t, r, tc.typed)
			}
			tm.Send(press("enter"))
			deadline := time.Now().Add(10 * time.Second)
			var got []engine.Answer
			for time.Now().Before(deadline) {
				if got = s.Answers(); len(got) == 2 {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[1].PromptID != damagePrompt.ID || got[1].Value != tc.want {
				t.Fatalf("answers %+v, want the second to be %s = %q", got, damagePrompt.ID, tc.want)
			}
		})
	}
}
