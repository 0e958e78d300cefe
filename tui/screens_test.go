package tui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/steps"
)

func init() {
	lipgloss.SetColorProfile(termenv.Ascii)
}

// testOptions makes frames deterministic: a stopped clock, UTC log times,
// no refresh tick, the ASCII markdown style.
func testOptions(now time.Time) Options {
	return Options{
		NoColor:       true,
		Clock:         clock.NewManual(now),
		TickInterval:  -1,
		Location:      time.UTC,
		MarkdownStyle: "ascii",
	}
}

// until cuts a script right after the prompt with the given ID, or after the
// first event of the given type when id is empty.
func until(script []steps.Event, match func(steps.Event) bool) []steps.Event {
	for i, ev := range script {
		if match(ev) {
			return append([]steps.Event(nil), script[:i+1]...)
		}
	}
	panic("no such event in the script")
}

func promptIs(id string) func(steps.Event) bool {
	return func(ev steps.Event) bool { return ev.Prompt != nil && ev.Prompt.ID == id }
}

var sizes = []struct{ w, h int }{{80, 24}, {120, 40}}

// screenLog keeps everything a test program has drawn, so a wait can find
// text drawn before an earlier wait returned.
type screenLog struct {
	tm  *teatest.TestModel
	buf bytes.Buffer
}

var logs = map[*teatest.TestModel]*screenLog{}

// waitFor waits until every text has been drawn at some point.
func waitFor(t *testing.T, tm *teatest.TestModel, text ...string) {
	t.Helper()
	sl := logs[tm]
	if sl == nil {
		sl = &screenLog{tm: tm}
		logs[tm] = sl
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := io.Copy(&sl.buf, tm.Output()); err != nil {
			t.Fatalf("read the screen: %v", err)
		}
		missing := ""
		for _, s := range text {
			if !bytes.Contains(sl.buf.Bytes(), []byte(s)) {
				missing = s
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q never showed; the screen drew:\n%s", missing, sl.buf.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func press(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "pgdown":
		return tea.KeyMsg{Type: tea.KeyPgDown}
	case "pgup":
		return tea.KeyMsg{Type: tea.KeyPgUp}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// screen is one golden: a session, what to do to it, and the final frame.
type screen struct {
	name   string
	info   steps.RunInfo
	script []steps.Event
	open   bool      // keep the session open after the script
	now    time.Time // the clock, fixed
	drive  func(t *testing.T, tm *teatest.TestModel)
	// quitWith ends the program with this key instead of tm.Quit (for the
	// finished screen, where q closes the UI).
	quitWith string
	// small runs the screen at 80×24 only (a plan that fits at 120×40
	// has nothing to scroll).
	small bool
}

func TestScreens(t *testing.T) {
	full := restoreScript(true)
	failing := append(until(full, func(ev steps.Event) bool {
		return ev.Type == steps.EventStepStarted && ev.StepID == "up"
	}), []steps.Event{
		{Type: steps.EventStatus, StepID: "up", Time: at(300), Status: statusChange("instance", "app3f9a1c2", "", "creating", at(300))},
		{Type: steps.EventStatus, StepID: "up", Time: at(420), Status: statusChange("instance", "app3f9a1c2", "creating", "incompatible-parameters", at(420))},
		{Type: steps.EventOutput, StepID: "up", Time: at(421), Text: "the new instance has the default parameter group: rds.force_ssl is back on", Err: "x"},
		{Type: steps.EventStepFailed, StepID: "up", Time: at(421), Elapsed: 131 * time.Second, Err: "instance app3f9a1c2 is incompatible-parameters"},
		{Type: steps.EventRunFinished, Time: at(421), Elapsed: 421 * time.Second, Err: "instance app3f9a1c2 is incompatible-parameters"},
	}...)

	screens := []screen{
		{
			name: "banner_wizard", info: stagingInfo, open: true, now: at(5),
			script: until(full, promptIs("p-lost")),
			drive: func(t *testing.T, tm *teatest.TestModel) {
				waitFor(t, tm, "Nothing needs a restore")
			},
		},
		{
			name: "production_wizard", info: productionInfo, open: true, now: at(5),
			script: until(full, promptIs("p-lost")),
			drive: func(t *testing.T, tm *teatest.TestModel) {
				waitFor(t, tm, "Nothing needs a restore")
			},
		},
		{
			name: "manual_step", info: stagingInfo, open: true, now: at(20),
			script: until(full, promptIs("p-maint")),
			drive: func(t *testing.T, tm *teatest.TestModel) {
				waitFor(t, tm, "Nothing needs a restore")
				tm.Send(press("enter"))
				waitFor(t, tm, "maintenance switch")
				tm.Send(press("n"))
				tm.Type("page up at 14:00")
				waitFor(t, tm, "page up at 14:00", "│   1. open the CDN")
			},
		},
		{
			name: "running", info: stagingInfo, open: true, now: at(152),
			script: restoreScript(false),
			drive: func(t *testing.T, tm *teatest.TestModel) {
				waitFor(t, tm, "Nothing needs a restore")
				tm.Send(press("enter"))
				waitFor(t, tm, "maintenance switch")
				tm.Send(press("x"))
				waitFor(t, tm, "45%", "• it runs while")
			},
		},
		{
			name: "gate", info: stagingInfo, open: true, now: at(280),
			script: until(full, promptIs("p-gate")),
			drive: func(t *testing.T, tm *teatest.TestModel) {
				answerUpToGate(t, tm)
				tm.Type("app5ec70")
				waitFor(t, tm, "app5ec70", "┃   Pulumi will create")
			},
		},
		{
			name: "gate_production", info: productionInfo, open: true, now: at(280),
			script: until(full, promptIs("p-gate")),
			drive: func(t *testing.T, tm *teatest.TestModel) {
				answerUpToGate(t, tm)
				tm.Type("app5ec7033")
				tm.Send(press("enter"))
				waitFor(t, tm, "type it exactly", "┃   Pulumi will create")
			},
		},
		{
			name: "gate_long_plan_scrolled", info: stagingInfo, open: true, now: at(280),
			script: []steps.Event{
				{Type: steps.EventStepStarted, StepID: "gate", Time: at(275)},
				{Type: steps.EventPrompt, StepID: "gate", Time: at(275), Prompt: longGatePrompt},
			},
			drive: func(t *testing.T, tm *teatest.TestModel) {
				waitFor(t, tm, "┃   Pulumi will create")
				tm.Send(press("pgdown"))
				waitFor(t, tm, "lines above")
			},
			small: true,
		},
		{
			name: "pulumi_up", info: stagingInfo, open: true, now: at(400),
			script: until(full, func(ev steps.Event) bool {
				return ev.Status != nil && ev.Status.ID == "app3f9a1c2"
			}),
			drive: func(t *testing.T, tm *teatest.TestModel) {
				answerUpToGate(t, tm)
				tm.Type("app5ec7032")
				tm.Send(press("enter"))
				waitFor(t, tm, "app3f9a1c2", "creating replacement…", "• the old instance keeps serving")
			},
		},
		{
			name: "quit_during_replacement", info: stagingInfo, open: true, now: at(400),
			script: append(until(full, promptIs("p-gate")), full[len(until(full, promptIs("p-gate"))):len(until(full, func(ev steps.Event) bool {
				return ev.Status != nil && ev.Status.ID == "app3f9a1c2"
			}))]...),
			drive: func(t *testing.T, tm *teatest.TestModel) {
				answerUpToGate(t, tm)
				tm.Type("app5ec7032")
				tm.Send(press("enter"))
				waitFor(t, tm, "app3f9a1c2")
				tm.Send(press("q"))
				waitFor(t, tm, "Quit now?")
			},
		},
		{
			name: "failure", info: stagingInfo, now: at(421),
			script: failing,
			drive: func(t *testing.T, tm *teatest.TestModel) {
				answerUpToGate(t, tm)
				tm.Type("app5ec7032")
				tm.Send(press("enter"))
				waitFor(t, tm, "Run failed")
			},
			quitWith: "q",
		},
		{
			name: "finished", info: stagingInfo, now: at(1004),
			script: full,
			drive: func(t *testing.T, tm *teatest.TestModel) {
				answerUpToGate(t, tm)
				tm.Type("app5ec7032")
				tm.Send(press("enter"))
				waitFor(t, tm, "Redeploy the application through CI")
				tm.Send(press("x"))
				waitFor(t, tm, "Run finished")
			},
			quitWith: "q",
		},
	}
	for _, sc := range screens {
		for _, size := range sizes {
			if sc.small && size.w > 80 {
				continue
			}
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, size.w, size.h), func(t *testing.T) {
				s := newScriptedSession(sc.info, restoreSteps, sc.script, sc.open)
				m := New(context.Background(), s, testOptions(sc.now))
				tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(size.w, size.h))
				sc.drive(t, tm)
				if sc.quitWith != "" {
					tm.Send(press(sc.quitWith))
				} else if err := tm.Quit(); err != nil {
					t.Fatal(err)
				}
				fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
				view := fm.View()
				if got := len(strings.Split(view, "\n")); got != size.h {
					t.Errorf("the frame is %d lines tall, want %d", got, size.h)
				}
				teatest.RequireEqualOutput(t, []byte(view))
			})
		}
	}
}

// answerUpToGate answers the wizard and the manual step, then waits for the
// gate.
func answerUpToGate(t *testing.T, tm *teatest.TestModel) {
	t.Helper()
	waitFor(t, tm, "Nothing needs a restore")
	tm.Send(press("enter"))
	waitFor(t, tm, "maintenance switch")
	tm.Send(press("x"))
	waitFor(t, tm, "Type app5ec7032")
}
