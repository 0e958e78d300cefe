// Package runview folds the engine's events, once, into the view model of a
// run: the steps with their timings, the watched AWS resources, the Pulumi
// operations of the current step, the open prompts and the log lines. Both
// renderers (the TUI and the plain line renderer) draw this one model, so
// they cannot disagree about what happened.
//
// The fold is pure: Apply only changes the State from the event it is given;
// it reads no clock and does no I/O. It imports neither bubbletea nor the
// renderers; the engine's AWS and Pulumi payloads are read in payloads.go
// only.
package runview

import (
	"fmt"
	"strings"
	"time"

	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/engine"
)

// MaxLog caps the log lines kept in memory; LogSeq keeps counting.
const MaxLog = 2000

// Level says how much a log line matters.
type Level int

// Log levels. Detail lines are those the TUI shows elsewhere (each Pulumi
// resource step is a row of the live panel); the plain renderer prints them.
const (
	LevelDetail Level = iota
	LevelInfo
	LevelWarn
	LevelError
)

var levelNames = [...]string{"detail", "info", "warn", "error"}

// String returns the level's name.
func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return "unknown"
}

// Line is one line of the run's log, worded once for both renderers.
type Line struct {
	Time   time.Time
	StepID string
	Text   string
	Level  Level
	// Quiet marks lines a quiet renderer leaves out (planned Pulumi steps,
	// Pulumi diagnostics below warning).
	Quiet bool
}

// Step is a step of the path and where it is.
type Step struct {
	Info     engine.StepInfo
	State    engine.State
	Started  time.Time
	Elapsed  time.Duration
	Expected time.Duration
	Err      string
	Note     string
}

// Label is the step's title with its kind when a person has to act: a gate
// or a manual step.
func (s *Step) Label() string {
	switch s.Info.Kind {
	case engine.KindGate:
		return s.Info.Title + " [gate]"
	case engine.KindManual:
		return s.Info.Title + " [manual]"
	}
	return s.Info.Title
}

// Watch is an instance or snapshot the run watches, as last seen by the
// poller.
type Watch struct {
	Kind   string // "instance" or "snapshot"
	ID     string
	Status string    // "gone" once AWS no longer knows it
	Since  time.Time // when Status was first seen
	Polled time.Time // the latest sample
	Gone   bool
	Err    string // the latest poll of it failed
	// Seen: a sample found it in AWS at least once. A watch whose first
	// sample is Gone was never there (yet): an instance Pulumi has named but
	// not asked AWS for, not one that went away.
	Seen bool
	// Deleted: the run learned before any watch that the instance does not
	// exist in AWS (the restore's "exists" step: deleted outside the run).
	// No poller watches it; the row says so until the restore creates it
	// again under that name.
	Deleted bool

	// From the latest sample, when the poller gave one.
	EngineVersion string
	Address       string
	Port          int32
	HasInstance   bool
	// Progress is a snapshot's percent done; -1 when not a snapshot.
	Progress int
}

// Endpoint is where the instance answers, or a note that it has none yet.
func (w *Watch) Endpoint() string {
	if w.Address == "" {
		return "no endpoint yet"
	}
	return fmt.Sprintf("%s:%d", w.Address, w.Port)
}

// Settled reports whether nothing is changing on the resource in AWS.
func (w *Watch) Settled() bool {
	return w.Gone || w.Status == "" || w.Status == "available" || badStatus(w.Status)
}

// badStatus is a status from which AWS will not move on its own.
func badStatus(s string) bool {
	switch s {
	case "gone", "failed", "incompatible-parameters", "incompatible-restore", "incompatible-network",
		"restore-error", "storage-full", "stopped", "inaccessible-encryption-credentials":
		return true
	}
	return false
}

// Bad reports whether the status is one AWS will not recover from by itself.
func (w *Watch) Bad() bool { return w.Gone || badStatus(w.Status) }

// State is the view model of a run.
type State struct {
	Info  engine.RunInfo
	Steps []Step
	// Current is the ID of the step being run or the last one run.
	Current string

	Watches []Watch
	// PollErr is set while polls fail as a whole (throttled, network).
	PollErr string
	Pulumi  Pulumi

	// Prompts are the prompts waiting for an answer, in arrival order;
	// Prompts[0] is the one to show.
	Prompts []engine.Prompt

	// Log holds the last MaxLog lines; LogSeq counts every line ever added,
	// so a renderer can tell which lines are new.
	Log    []Line
	LogSeq int

	// Vars are the run's known variables that are not secret, for the
	// commands shown with a step.
	Vars map[string]string

	Finished bool
	Failure  string // why the run failed, empty when it did not
	EndText  string // run-finished text, e.g. "stopped: nothing to restore"
	Total    time.Duration
	// Last is the time of the latest event that had one; events without a
	// time are logged at it.
	Last time.Time

	// Speed is the run's clock speed: a rehearsal plays AWS durations
	// faster, and spans between event times are shown in AWS time.
	Speed clock.Speed

	// issued holds the steps that sent a changing AWS or Pulumi call and
	// have not ended since.
	issued map[string]bool
}

// New starts the view model of a run from what the session says before any
// event: its info, its steps and the variables it knows already, and the
// speed of the run's clock (clock.SpeedOf; 0 or 1 for real time).
func New(info engine.RunInfo, list []engine.StepInfo, vars map[string]string, speed clock.Speed) *State {
	s := &State{Info: info, Vars: map[string]string{}, issued: map[string]bool{}, Speed: speed}
	if info.Stack != "" {
		s.Vars["stack"] = info.Stack
		s.Vars["app-stack"] = firstNonEmpty(info.Flags["app-stack"], info.Stack)
	}
	for k, v := range vars {
		s.Vars[k] = v
	}
	s.setSteps(list)
	s.noteDeleted(time.Time{}) // a resumed run knows it from the start
	return s
}

// noteDeleted adds the row of the run's instance once the run has learned
// that AWS does not know it (exists=no): nothing else would show it, and
// the Live panel of a deleted instance's restore stayed empty until the
// restored instance was being created. at is when the run learned it (zero
// when it is not known, on a resume).
func (s *State) noteDeleted(at time.Time) {
	id := s.Vars["instance"]
	if id == "" || s.Vars["exists"] != "no" || s.findWatch("instance", id) >= 0 {
		return
	}
	s.Watches = append(s.Watches, Watch{Kind: "instance", ID: id, Status: "gone", Gone: true, Deleted: true,
		Since: at, Polled: at, Progress: -1})
}

// Apply folds one engine event into the state.
func (s *State) Apply(ev engine.Event) {
	if !ev.Time.IsZero() && ev.Time.After(s.Last) {
		s.Last = ev.Time
	}
	at := ev.Time
	switch ev.Type {
	case engine.EventRunStarted:
		s.runStarted(ev)
	case engine.EventSteps:
		s.setSteps(ev.Steps)
		switch n := len(s.Steps); {
		case ev.StepID == "":
			s.logf(at, "", LevelInfo, "%d steps on this path", n)
		default:
			s.logf(at, ev.StepID, LevelInfo, "the path now has %d steps", n)
		}
	case engine.EventStepStarted:
		s.stepStarted(ev)
	case engine.EventStepFinished:
		s.stepFinished(ev)
	case engine.EventStepFailed:
		r := s.Step(ev.StepID)
		delete(s.issued, ev.StepID)
		reason := firstNonEmpty(ev.Err, ev.Text)
		if r != nil {
			r.State = engine.StateFailed
			r.Elapsed = ev.Elapsed
			r.Err = reason
			s.Current = ev.StepID
		}
		s.logf(at, ev.StepID, LevelError, "✗ %s failed after %s: %s", ev.StepID, Duration(ev.Elapsed), reason)
	case engine.EventStepSkipped:
		delete(s.issued, ev.StepID)
		if r := s.Step(ev.StepID); r != nil {
			r.State = engine.StateSkipped
			r.Note = ev.Text
		}
		if ev.Resumed {
			return
		}
		line := "– " + ev.StepID + " skipped"
		if ev.Text != "" {
			line += ": " + ev.Text
		}
		s.log(at, ev.StepID, LevelInfo, line)
	case engine.EventOutput:
		level := LevelInfo
		if ev.Err != "" {
			level = LevelError
		}
		for _, l := range strings.Split(strings.TrimRight(ev.Text, "\n"), "\n") {
			s.log(at, ev.StepID, level, "  "+l)
		}
	case engine.EventWarning:
		s.log(at, ev.StepID, LevelWarn, "  ! "+firstNonEmpty(ev.Text, ev.Err))
	case engine.EventVariable:
		v := ev.Value
		if ev.Secret {
			v = "(secret)"
			delete(s.Vars, ev.Name) // redacted: never shown in a command
		} else if ev.Name != "" {
			s.Vars[ev.Name] = ev.Value
		}
		s.log(at, ev.StepID, LevelInfo, "  = "+ev.Name+": "+v)
		if ev.Name == "exists" || ev.Name == "instance" {
			s.noteDeleted(at)
		}
	case engine.EventIssued:
		// A changing call is on its way: the step is in flight until it ends.
		if ev.StepID != "" {
			s.issued[ev.StepID] = true
		}
	case engine.EventStatus:
		s.applyStatus(ev)
	case engine.EventPulumi:
		s.applyPulumi(ev)
	case engine.EventPrompt:
		s.prompt(ev)
	case engine.EventAnswer:
		s.answer(ev)
	case engine.EventRunFinished:
		s.runFinished(ev)
	}
}

func (s *State) runStarted(ev engine.Event) {
	if ev.Run != nil {
		info := *ev.Run
		if info.RunID == "" {
			info.RunID = s.Info.RunID
		}
		if info.Identity == nil {
			info.Identity = s.Info.Identity
		}
		s.Info = info
		if _, ok := s.Vars["stack"]; !ok && info.Stack != "" {
			s.Vars["stack"] = info.Stack
		}
	}
	text := firstNonEmpty(ev.Text, "started")
	line := "run " + s.Info.RunID + " " + text
	if ev.Run != nil {
		line += ": " + s.Info.Runbook + " on " + s.Info.Stack
		if s.Info.Rehearsal {
			line += " (rehearsal, scenario " + firstNonEmpty(s.Info.Scenario, "default") + ")"
		}
	}
	s.log(ev.Time, "", LevelInfo, line)
}

func (s *State) stepStarted(ev engine.Event) {
	r := s.Step(ev.StepID)
	title := ev.StepID
	if r != nil {
		r.State = engine.StateRunning
		r.Started = ev.Time
		r.Expected = ev.Expected
		r.Err = ""
		title = r.Info.Title
	}
	s.Current = ev.StepID
	line := "▶ " + ev.StepID + ": " + title
	if ev.Expected > 0 {
		line += " (took " + Duration(ev.Expected) + " in " + s.expectedFrom() + ")"
	}
	s.log(ev.Time, ev.StepID, LevelInfo, line)
}

// expectedFrom names the run the expected durations come from. A journal
// written before the engine named it says only whether it is a rehearsal:
// a real run's expectations may have been a rehearsal's then, so they are
// not called a real run's.
func (s *State) expectedFrom() string {
	switch {
	case s.Info.ExpectedFrom != "":
		return s.Info.ExpectedFrom
	case s.Info.Rehearsal:
		return "the last rehearsal"
	}
	return "an earlier run"
}

func (s *State) stepFinished(ev engine.Event) {
	delete(s.issued, ev.StepID)
	if r := s.Step(ev.StepID); r != nil {
		r.State = engine.StateDone
		r.Elapsed = ev.Elapsed
		if ev.Expected > 0 {
			r.Expected = ev.Expected
		}
	}
	if ev.Resumed {
		s.log(ev.Time, ev.StepID, LevelInfo, "✓ "+ev.StepID+": done before the interruption")
		return
	}
	line := "✓ " + ev.StepID + " done in " + Duration(ev.Elapsed)
	if ev.Expected > 0 {
		line += ", expected " + Duration(ev.Expected)
	}
	if ev.Text != "" {
		line += ": " + ev.Text
	}
	s.log(ev.Time, ev.StepID, LevelInfo, line)
}

func (s *State) prompt(ev engine.Event) {
	if ev.Prompt == nil {
		return
	}
	p := *ev.Prompt
	if ev.Answer != nil { // answered on its own (--yes, a flag): nothing to ask
		s.log(ev.Time, p.StepID, LevelInfo, "? "+p.Title+" → "+ev.Answer.Value+" ("+firstNonEmpty(ev.Answer.Note, "automatic")+")")
		return
	}
	if r := s.Step(p.StepID); r != nil {
		r.State = engine.StateWaitingForYou
		if r.Started.IsZero() {
			r.Started = ev.Time
		}
		s.Current = p.StepID
	}
	for _, q := range s.Prompts {
		if q.ID == p.ID {
			return
		}
	}
	// Steps of a group run side by side and may ask at the same time:
	// prompts queue up and are shown one after the other.
	s.Prompts = append(s.Prompts, p)
}

func (s *State) answer(ev engine.Event) {
	a := ev.Answer
	if a == nil {
		return
	}
	if !a.Auto { // automatic answers were logged with their prompt
		text := "  answered: " + a.Value
		if ev.Resumed {
			text = "  answered before the interruption: " + a.Value
		}
		if a.Note != "" {
			text += " — " + a.Note
		}
		s.log(ev.Time, ev.StepID, LevelInfo, text)
	}
	s.Answered(a.PromptID)
	if r := s.Step(ev.StepID); r != nil && r.State == engine.StateWaitingForYou {
		r.State = engine.StateRunning
		if a.Note != "" {
			r.Note = a.Note
		}
	}
}

func (s *State) runFinished(ev engine.Event) {
	s.Finished = true
	s.Failure = ev.Err
	s.EndText = ev.Text
	s.Total = ev.Elapsed
	if s.Total == 0 && !s.Info.Started.IsZero() && !ev.Time.IsZero() {
		s.Total = s.Span(s.Info.Started, ev.Time)
	}
	s.Prompts = nil
	clear(s.issued)
	if ev.Err != "" {
		s.log(ev.Time, "", LevelError, "run "+firstNonEmpty(ev.Text, "failed")+": "+ev.Err)
	} else {
		s.log(ev.Time, "", LevelInfo, "run "+firstNonEmpty(ev.Text, "finished"))
	}
}

// Answered drops a prompt from the queue: its answer was taken (a renderer
// calls it once Session.Answer accepted the answer; the engine's answer
// event calls it too).
func (s *State) Answered(promptID string) {
	kept := s.Prompts[:0]
	for _, q := range s.Prompts {
		if q.ID != promptID {
			kept = append(kept, q)
		}
	}
	s.Prompts = kept
}

// Closed records that the session's events ended. Before the run finished,
// that is a failure: the engine went away.
func (s *State) Closed() {
	if s.Finished {
		return
	}
	s.Finished = true
	if s.Failure == "" {
		s.Failure = "the engine stopped before the run finished"
	}
	s.Prompts = nil
	clear(s.issued)
}

// setSteps replaces the step list, keeping what is known about steps that
// stay.
func (s *State) setSteps(list []engine.StepInfo) {
	old := make(map[string]Step, len(s.Steps))
	for _, r := range s.Steps {
		old[r.Info.ID] = r
	}
	rows := make([]Step, 0, len(list))
	for _, info := range list {
		r, ok := old[info.ID]
		if !ok {
			r = Step{State: engine.StatePending}
		}
		r.Info = info
		rows = append(rows, r)
	}
	s.Steps = rows
}

// Step returns the step with the ID, nil when it is not on the path.
func (s *State) Step(id string) *Step {
	for i := range s.Steps {
		if s.Steps[i].Info.ID == id {
			return &s.Steps[i]
		}
	}
	return nil
}

// StepIndex is the index of the step with the ID, 0 when it is not on the
// path.
func (s *State) StepIndex(id string) int {
	for i := range s.Steps {
		if s.Steps[i].Info.ID == id {
			return i
		}
	}
	return 0
}

// CurrentStep is the step being run, or the last one that was, or the first.
func (s *State) CurrentStep() *Step {
	if s.Current != "" {
		if r := s.Step(s.Current); r != nil {
			return r
		}
	}
	if len(s.Steps) > 0 {
		return &s.Steps[0]
	}
	return nil
}

// Prompt is the prompt to show, nil when none waits.
func (s *State) Prompt() *engine.Prompt {
	if len(s.Prompts) == 0 {
		return nil
	}
	return &s.Prompts[0]
}

// Counts returns how many steps are in each state.
func (s *State) Counts() map[engine.State]int {
	out := map[engine.State]int{}
	for _, r := range s.Steps {
		out[r.State]++
	}
	return out
}

// FailedStep is the first failed step, nil when none failed.
func (s *State) FailedStep() *Step {
	for i := range s.Steps {
		if s.Steps[i].State == engine.StateFailed {
			return &s.Steps[i]
		}
	}
	return nil
}

// log adds a line; a line without a time takes the latest event's.
func (s *State) log(t time.Time, stepID string, level Level, text string) {
	s.addLine(Line{Time: t, StepID: stepID, Text: text, Level: level})
}

func (s *State) logf(t time.Time, stepID string, level Level, format string, args ...any) {
	s.log(t, stepID, level, fmt.Sprintf(format, args...))
}

func (s *State) addLine(l Line) {
	if l.Time.IsZero() {
		l.Time = s.Last
	}
	s.Log = append(s.Log, l)
	s.LogSeq++
	if over := len(s.Log) - MaxLog; over > 0 {
		s.Log = append(s.Log[:0], s.Log[over:]...)
	}
}

// LinesSince returns the lines added after the first seq lines, as far as
// they are still kept.
func (s *State) LinesSince(seq int) []Line {
	n := s.LogSeq - seq
	if n <= 0 {
		return nil
	}
	if n > len(s.Log) {
		n = len(s.Log)
	}
	return s.Log[len(s.Log)-n:]
}

// Span is the AWS time between two instants of the run's clock.
func (s *State) Span(from, to time.Time) time.Duration {
	return s.Speed.SimTime(to.Sub(from))
}

// Duration writes an elapsed time for the log: 2.5s under a minute, 3m10s
// above.
func Duration(d time.Duration) string {
	if d >= time.Minute {
		return d.Round(time.Second).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
