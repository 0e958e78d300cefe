package tui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/engine"
)

// testOptions makes frames deterministic: a stopped clock, UTC log times,
// no refresh tick, the ASCII markdown style.
func testOptions(now time.Time) Options {
	return Options{
		NoColor:      true,
		Clock:        clock.NewManual(now),
		TickInterval: -1,
		Location:     time.UTC,
	}
}

// until cuts a script right after the prompt with the given ID, or after the
// first event of the given type when id is empty.
func until(script []engine.Event, match func(engine.Event) bool) []engine.Event {
	for i, ev := range script {
		if match(ev) {
			return append([]engine.Event(nil), script[:i+1]...)
		}
	}
	panic("no such event in the script")
}

func promptIs(id string) func(engine.Event) bool {
	return func(ev engine.Event) bool { return ev.Prompt != nil && ev.Prompt.ID == id }
}

var sizes = []struct{ w, h int }{{80, 24}, {120, 40}}

// recorder wraps the root model and keeps the text of every frame it drew,
// so a test can wait for text drawn at some point. (The v2 renderer writes
// only the cells that change, so the output stream does not hold the text
// of a frame in one piece.)
type recorder struct {
	*Model
	frameLog
}

// Update implements tea.Model.
func (r *recorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := r.Model.Update(msg)
	return r, cmd
}

// View implements tea.Model.
func (r *recorder) View() tea.View { return r.add(r.Model.View()) }

// startRecorder is the recorder of the start screen.
type startRecorder struct {
	*StartModel
	frameLog
}

// Update implements tea.Model.
func (r *startRecorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := r.StartModel.Update(msg)
	return r, cmd
}

// View implements tea.Model.
func (r *startRecorder) View() tea.View { return r.add(r.StartModel.View()) }

// frameLog keeps the text of every frame drawn, and of the last one.
type frameLog struct {
	mu     sync.Mutex
	frames strings.Builder
	last   string
}

func (l *frameLog) add(v tea.View) tea.View {
	text := ansi.Strip(v.Content)
	l.mu.Lock()
	l.frames.WriteString(text)
	l.frames.WriteByte('\n')
	l.last = text
	l.mu.Unlock()
	return v
}

func (l *frameLog) lastFrame() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

func (l *frameLog) drawn() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.frames.String()
}

// screenText is a frame as the golden files keep it: the text, without
// colours and attributes.
func screenText(m *Model) string { return ansi.Strip(m.frame()) }

// waitFor waits until every text has been drawn at some point.
func waitFor(t *testing.T, r interface{ drawn() string }, text ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		drawn := r.drawn()
		missing := ""
		for _, s := range text {
			if !strings.Contains(drawn, s) {
				missing = s
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			frames := strings.Split(drawn, "datalayer: starting…")
			t.Fatalf("%q never showed; the last frames drew:\n%s", missing, tail(frames[len(frames)-1], 4000))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// frameShows reports whether a frame shows every text.
func frameShows(frame string, text ...string) bool {
	for _, s := range text {
		if !strings.Contains(frame, s) {
			return false
		}
	}
	return true
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// press is the key message for a key name as tea.KeyPressMsg.String gives it.
func press(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r, _ := utf8.DecodeRuneInString(s)
	return tea.KeyPressMsg{Code: r, Text: s}
}

// screen is one golden: a session, what to do to it, and the final frame.
type screen struct {
	name   string
	info   engine.RunInfo
	script []engine.Event
	open   bool      // keep the session open after the script
	now    time.Time // the clock, fixed
	drive  func(t *testing.T, tm *teatest.TestModel, r *recorder)
	// quitWith ends the program with this key instead of tm.Quit (for the
	// finished screen, where q closes the UI).
	quitWith string
	// small runs the screen at 80×24 only (a plan that fits at 120×40
	// has nothing to scroll).
	small bool
}

func TestScreens(t *testing.T) {
	full := restoreScript(true)
	failing := append(until(full, func(ev engine.Event) bool {
		return ev.Type == engine.EventStepStarted && ev.StepID == "up"
	}), []engine.Event{
		{Type: engine.EventStatus, StepID: "up", Time: at(300), Status: statusChange("instance", "app3f9a1c2", "", "creating", at(300))},
		{Type: engine.EventStatus, StepID: "up", Time: at(420), Status: statusChange("instance", "app3f9a1c2", "creating", "incompatible-parameters", at(420))},
		{Type: engine.EventOutput, StepID: "up", Time: at(421), Text: "the new instance has the default parameter group: rds.force_ssl is back on", Err: "x"},
		{Type: engine.EventStepFailed, StepID: "up", Time: at(421), Elapsed: 131 * time.Second, Err: "instance app3f9a1c2 is incompatible-parameters"},
		{Type: engine.EventRunFinished, Time: at(421), Elapsed: 421 * time.Second, Err: "instance app3f9a1c2 is incompatible-parameters"},
	}...)

	screens := []screen{
		{
			name: "banner_wizard", info: stagingInfo, open: true, now: at(5),
			script: until(full, promptIs("p-lost")),
			drive: func(t *testing.T, tm *teatest.TestModel, r *recorder) {
				waitFor(t, r, "Nothing needs a restore")
			},
		},
		{
			name: "production_wizard", info: productionInfo, open: true, now: at(5),
			script: until(full, promptIs("p-lost")),
			drive: func(t *testing.T, tm *teatest.TestModel, r *recorder) {
				waitFor(t, r, "Nothing needs a restore")
			},
		},
		{
			name: "manual_step", info: stagingInfo, open: true, now: at(20),
			script: until(full, promptIs("p-maint")),
			drive: func(t *testing.T, tm *teatest.TestModel, r *recorder) {
				waitFor(t, r, "Nothing needs a restore")
				tm.Send(press("enter"))
				waitFor(t, r, "maintenance switch")
				tm.Send(press("n"))
				tm.Type("page up at 14:00")
				waitFor(t, r, "page up at 14:00", "│   1. open the CDN")
			},
		},
		{
			name: "running", info: stagingInfo, open: true, now: at(152),
			script: restoreScript(false),
			drive: func(t *testing.T, tm *teatest.TestModel, r *recorder) {
				waitFor(t, r, "Nothing needs a restore")
				tm.Send(press("enter"))
				waitFor(t, r, "maintenance switch")
				tm.Send(press("x"))
				waitFor(t, r, "45%", "• it runs while")
			},
		},
		{
			name: "gate", info: stagingInfo, open: true, now: at(280),
			script: until(full, promptIs("p-gate")),
			drive: func(t *testing.T, tm *teatest.TestModel, r *recorder) {
				answerUpToGate(t, tm, r)
				tm.Type("app5ec70")
				waitFor(t, r, "app5ec70", "┃   Pulumi will create")
			},
		},
		{
			name: "gate_production", info: productionInfo, open: true, now: at(280),
			script: until(full, promptIs("p-gate")),
			drive: func(t *testing.T, tm *teatest.TestModel, r *recorder) {
				answerUpToGate(t, tm, r)
				tm.Type("app5ec7033")
				tm.Send(press("enter"))
				waitFor(t, r, "type it exactly", "┃   Pulumi will create")
			},
		},
		{
			name: "gate_long_plan_scrolled", info: stagingInfo, open: true, now: at(280),
			script: []engine.Event{
				{Type: engine.EventStepStarted, StepID: "gate", Time: at(275)},
				{Type: engine.EventPrompt, StepID: "gate", Time: at(275), Prompt: longGatePrompt},
			},
			drive: func(t *testing.T, tm *teatest.TestModel, r *recorder) {
				waitFor(t, r, "┃   Pulumi will create")
				tm.Send(press("pgdown"))
				waitFor(t, r, "lines above")
			},
			small: true,
		},
		{
			name: "pulumi_up", info: stagingInfo, open: true, now: at(400),
			script: until(full, func(ev engine.Event) bool {
				return ev.Status != nil && ev.Status.ID == "app3f9a1c2"
			}),
			drive: func(t *testing.T, tm *teatest.TestModel, r *recorder) {
				answerUpToGate(t, tm, r)
				tm.Type("app5ec7032")
				tm.Send(press("enter"))
				waitFor(t, r, "app3f9a1c2", "creating replacement…", "• the old instance keeps serving")
			},
		},
		{
			name: "quit_during_replacement", info: stagingInfo, open: true, now: at(400),
			script: append(until(full, promptIs("p-gate")), full[len(until(full, promptIs("p-gate"))):len(until(full, func(ev engine.Event) bool {
				return ev.Status != nil && ev.Status.ID == "app3f9a1c2"
			}))]...),
			drive: func(t *testing.T, tm *teatest.TestModel, r *recorder) {
				answerUpToGate(t, tm, r)
				tm.Type("app5ec7032")
				tm.Send(press("enter"))
				waitFor(t, r, "app3f9a1c2")
				tm.Send(press("q"))
				waitFor(t, r, "Quit now?")
			},
		},
		{
			name: "failure", info: stagingInfo, now: at(421),
			script: failing,
			drive: func(t *testing.T, tm *teatest.TestModel, r *recorder) {
				answerUpToGate(t, tm, r)
				tm.Type("app5ec7032")
				tm.Send(press("enter"))
				waitFor(t, r, "Run failed")
			},
			quitWith: "q",
		},
		{
			name: "finished", info: stagingInfo, now: at(1004),
			script: full,
			drive: func(t *testing.T, tm *teatest.TestModel, r *recorder) {
				answerUpToGate(t, tm, r)
				tm.Type("app5ec7032")
				tm.Send(press("enter"))
				waitFor(t, r, "Redeploy the application through CI")
				tm.Send(press("x"))
				waitFor(t, r, "Run finished")
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
				r := &recorder{Model: New(context.Background(), s, testOptions(sc.now))}
				tm := teatest.NewTestModel(t, r, teatest.WithInitialTermSize(size.w, size.h))
				sc.drive(t, tm, r)
				if sc.quitWith != "" {
					tm.Send(press(sc.quitWith))
				} else if err := tm.Quit(); err != nil {
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

// answerUpToGate answers the wizard and the manual step, then waits for the
// gate.
func answerUpToGate(t *testing.T, tm *teatest.TestModel, r *recorder) {
	t.Helper()
	waitFor(t, r, "Nothing needs a restore")
	tm.Send(press("enter"))
	waitFor(t, r, "maintenance switch")
	tm.Send(press("x"))
	waitFor(t, r, "Type app5ec7032")
}
