package runview

import (
	"fmt"
	"strings"
	"time"

	"github.com/datalayer-tool/datalayer/engine"
)

// This file reads the engine's payloads of AWS looks (engine.Sample) and
// Pulumi operations (engine.PulumiStep).

// Phase is where a Pulumi resource operation is.
type Phase int

// Phases of a Pulumi row.
const (
	PhasePlanned    Phase = iota // a preview says it will happen
	PhaseRunning                 // the engine started it
	PhaseDone                    // the engine reported its outputs
	PhaseFailed                  // the engine reported it failed
	PhaseUnfinished              // the operation ended without a word on it
)

var phaseNames = [...]string{"planned", "running", "done", "failed", "unfinished"}

// String returns the phase's name.
func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "unknown"
}

// PulumiRow is one resource operation as the Pulumi CLI shows it.
type PulumiRow struct {
	URN     string
	Type    string // e.g. aws:rds/instance:Instance
	Name    string // the logical name
	Op      string // create, update, replace, create-replacement, refresh...
	Phase   Phase
	Diffs   []string
	Message string // why it failed
	ID      string // the provider's id once known
}

// Pulumi is the Pulumi operations of one step.
type Pulumi struct {
	StepID string
	Rows   []PulumiRow
	// Result is the engine's summary (succeeded, failed, cancelled) once the
	// operation ended.
	Result string
}

// opWords is how the Pulumi CLI shows each operation: its symbol and the
// words for planned, in progress, done and failed.
var opWords = map[string][5]string{
	"create":             {"+ ", "create", "creating", "created", "creating failed"},
	"update":             {"~ ", "update", "updating", "updated", "updating failed"},
	"delete":             {"- ", "delete", "deleting", "deleted", "deleting failed"},
	"replace":            {"+-", "replace", "replacing", "replaced", "replacing failed"},
	"create-replacement": {"++", "create replacement", "creating replacement", "created replacement", "creating replacement failed"},
	"delete-replaced":    {"--", "delete original", "deleting original", "deleted original", "deleting original failed"},
	"refresh":            {"~ ", "refresh", "refreshing", "refreshed", "refreshing failed"},
	"read":               {"> ", "read", "reading", "read", "reading failed"},
}

func wordsFor(op string) [5]string {
	if w, ok := opWords[op]; ok {
		return w
	}
	return [5]string{"  ", op, op + "…", op + " done", op + " failed"}
}

// Symbol is the Pulumi CLI's sign for the operation (+, ~, -, +-, ++, --).
func (r PulumiRow) Symbol() string { return wordsFor(r.Op)[0] }

// Verb is the operation in words, in progress: "creating replacement".
func (r PulumiRow) Verb() string { return wordsFor(r.Op)[2] }

// StatusText says where the operation is: "create", "creating…", "created",
// "creating failed", or "not finished".
func (r PulumiRow) StatusText() string {
	w := wordsFor(r.Op)
	switch r.Phase {
	case PhasePlanned:
		return w[1]
	case PhaseRunning:
		return w[2] + "…"
	case PhaseDone:
		return w[3]
	case PhaseFailed:
		return w[4]
	}
	return w[2] + " not finished"
}

// OpKind groups operations for colouring: create, delete, replace, other.
func (r PulumiRow) OpKind() string {
	switch r.Op {
	case "create":
		return "create"
	case "delete", "delete-replaced":
		return "delete"
	case "replace", "create-replacement":
		return "replace"
	}
	return "update"
}

func (s *State) applyPulumi(ev engine.Event) {
	p := ev.Pulumi
	if p == nil {
		return
	}
	at := ev.Time
	if at.IsZero() {
		at = p.Time
	}
	if ev.StepID != s.Pulumi.StepID {
		s.Pulumi = Pulumi{StepID: ev.StepID}
	}
	switch p.Status {
	case engine.PulumiDiagnostic:
		if p.Message == "" {
			return
		}
		level, quiet := LevelInfo, true
		switch p.Severity {
		case "error":
			level, quiet = LevelError, false
		case "warning":
			level, quiet = LevelWarn, false
		}
		s.addLine(Line{Time: at, StepID: ev.StepID, Level: level, Quiet: quiet,
			Text: "  pulumi: " + firstNonEmpty(p.Severity, "info") + ": " + p.Message})
		return
	case engine.PulumiSummary:
		s.pulumiEnded(p.Message)
		if p.Message != "" {
			s.log(at, ev.StepID, LevelInfo, "  pulumi: summary: "+p.Message)
		}
		return
	}
	phase, ok := phaseOf(p.Status)
	if !ok {
		return
	}
	i := s.pulumiRow(p.URN, p.Op, phase)
	if i < 0 {
		if p.Op == "same" || p.Op == "" {
			return // unchanged resources are not shown, as the CLI does
		}
		s.Pulumi.Rows = append(s.Pulumi.Rows, PulumiRow{URN: p.URN, Type: p.Type, Name: p.Name, Op: p.Op})
		i = len(s.Pulumi.Rows) - 1
	}
	r := &s.Pulumi.Rows[i]
	if phase >= r.Phase || r.Phase == PhaseUnfinished {
		r.Phase = phase
	}
	if len(p.Diffs) > 0 {
		r.Diffs = append([]string(nil), p.Diffs...)
	}
	if p.Message != "" {
		r.Message = p.Message
	}
	if p.ID != "" {
		r.ID = p.ID
	}
	level := LevelDetail
	if phase == PhaseFailed {
		level = LevelError
	}
	// The engine's own words, as the journal and the report have them:
	// "planned create aws:rds/instance:Instance app".
	text := "  pulumi: " + string(p.Status) + " " + p.Op + " " + p.Type + " " + p.Name
	if p.ID != "" {
		text += " (" + p.ID + ")"
	}
	if phase == PhaseFailed && p.Message != "" {
		text += ": " + p.Message
	}
	s.addLine(Line{Time: at, StepID: ev.StepID, Text: text, Level: level, Quiet: phase == PhasePlanned})
}

func phaseOf(st engine.PulumiStatus) (Phase, bool) {
	switch st {
	case engine.PulumiPlanned:
		return PhasePlanned, true
	case engine.PulumiStarted:
		return PhaseRunning, true
	case engine.PulumiDone:
		return PhaseDone, true
	case engine.PulumiFailed:
		return PhaseFailed, true
	}
	return 0, false
}

// pulumiRow finds the row an event belongs to: the same resource and
// operation; or, for the end of an operation, the resource's operation in
// progress, whatever op the end reports (a refresh ends with the op of what
// it found, e.g. "same").
func (s *State) pulumiRow(urn, op string, phase Phase) int {
	for i, r := range s.Pulumi.Rows {
		if r.URN == urn && r.Op == op {
			return i
		}
	}
	if phase == PhaseDone || phase == PhaseFailed {
		for i, r := range s.Pulumi.Rows {
			if r.URN == urn && r.Phase == PhaseRunning {
				return i
			}
		}
	}
	return -1
}

// pulumiEnded closes the rows of an operation that ended: none is in
// progress any more.
func (s *State) pulumiEnded(result string) {
	s.Pulumi.Result = result
	for i := range s.Pulumi.Rows {
		r := &s.Pulumi.Rows[i]
		if r.Phase != PhaseRunning {
			continue
		}
		if result == "succeeded" {
			r.Phase = PhaseDone
		} else {
			r.Phase = PhaseUnfinished
		}
	}
}

func (s *State) applyStatus(ev engine.Event) {
	ch := ev.Status
	if ch == nil {
		return
	}
	at := ev.Time
	seen := ch.At
	if seen.IsZero() {
		seen = at
	}
	errText := ch.Error
	if ch.ID == "" { // a poll failed as a whole (throttled, network): the poller retries
		if errText != "" {
			s.PollErr = errText
			s.log(at, ev.StepID, LevelWarn, "  ~ poll failed (still watching): "+errText)
		}
		return
	}
	if errText == "" {
		s.PollErr = ""
	}
	i := s.findWatch(ch.Kind, ch.ID)
	if ch.PreviousID != "" && ch.PreviousID != ch.ID {
		// The poller followed a rename: the row moves to the new name, and
		// an older row under that name (a deleted or renamed-away instance)
		// gives way.
		if prev := s.findWatch(ch.Kind, ch.PreviousID); prev >= 0 {
			if i >= 0 {
				s.Watches = append(s.Watches[:i], s.Watches[i+1:]...)
				prev = s.findWatch(ch.Kind, ch.PreviousID)
			}
			s.Watches[prev].ID = ch.ID
			i = prev
			s.log(at, ev.StepID, LevelInfo, fmt.Sprintf("  ~ %s %s is now %s", ch.Kind, ch.PreviousID, ch.ID))
		}
	}
	if i < 0 {
		s.Watches = append(s.Watches, Watch{Kind: ch.Kind, ID: ch.ID, Since: seen, Progress: -1})
		i = len(s.Watches) - 1
	}
	w := &s.Watches[i]
	w.Polled = seen
	if errText != "" {
		w.Err = errText
		s.log(at, ev.StepID, LevelWarn, fmt.Sprintf("  ~ %s %s: poll failed (still watching): %s", ch.Kind, ch.ID, errText))
		return
	}
	w.Err = ""
	status := ch.NewStatus
	if ch.Gone {
		status = "gone"
	}
	if status != w.Status {
		from := firstNonEmpty(w.Status, ch.OldStatus)
		if from != "" && from != status {
			s.log(at, ev.StepID, LevelInfo, fmt.Sprintf("  ~ %s %s: %s → %s", ch.Kind, ch.ID, from, status))
		} else {
			s.log(at, ev.StepID, LevelInfo, fmt.Sprintf("  ~ %s %s: %s", ch.Kind, ch.ID, status))
		}
		w.Status = status
		w.Since = seen
	}
	w.Gone = ch.Gone
	if !ch.Gone {
		w.Seen, w.Deleted = true, false
	} else if ch.OldStatus != "" || ch.Instance != nil || ch.Snapshot != nil {
		w.Seen = true // gone, with the facts the poller last saw of it
	}
	if in := ch.Instance; in != nil {
		w.HasInstance = true
		w.EngineVersion, w.Address, w.Port = in.EngineVersion, in.Address, in.Port
	}
	if sn := ch.Snapshot; sn != nil {
		w.Progress = int(sn.PercentProgress)
	}
}

func (s *State) findWatch(kind, id string) int {
	for j := range s.Watches {
		if s.Watches[j].Kind == kind && s.Watches[j].ID == id {
			return j
		}
	}
	return -1
}

// InFlight lists what is changing in AWS or Pulumi right now, in words: the
// watched resources in a changing status, the Pulumi operations in
// progress, and a step that has sent a changing call and not ended. Empty
// when quitting now leaves nothing half done outside the journal.
func (s *State) InFlight(now time.Time) []string {
	var out []string
	for i := range s.Watches {
		w := &s.Watches[i]
		if w.Settled() {
			continue
		}
		line := fmt.Sprintf("%s %s is %s (for %s)", w.Kind, w.ID, w.Status, Short(s.Span(w.Since, now)))
		if w.Progress >= 0 && w.Status == "creating" {
			line += fmt.Sprintf(", %d%% done", w.Progress)
		}
		out = append(out, line)
	}
	running := false
	for _, r := range s.Pulumi.Rows {
		if r.Phase == PhaseRunning {
			running = true
			out = append(out, fmt.Sprintf("pulumi is %s %s (%s)", r.Verb(), r.Name, r.Type))
		}
	}
	for i := range s.Steps {
		r := &s.Steps[i]
		if s.issued[r.Info.ID] && !running && (r.State == engine.StateRunning || r.State == engine.StateWaitingForYou) {
			out = append(out, fmt.Sprintf("step “%s” has sent a change and not finished", r.Info.Title))
		}
	}
	return out
}

// Short formats a duration as 4s, 2m10s, 1h02m or 3d4h.
func Short(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	sec := int64(d.Round(time.Second) / time.Second)
	switch {
	case sec < 60:
		return fmt.Sprintf("%ds", sec)
	case sec < 3600:
		if sec%60 == 0 {
			return fmt.Sprintf("%dm", sec/60)
		}
		return fmt.Sprintf("%dm%02ds", sec/60, sec%60)
	case sec < 86400:
		return fmt.Sprintf("%dh%02dm", sec/3600, (sec/60)%60)
	default:
		return fmt.Sprintf("%dd%dh", sec/86400, (sec/3600)%24)
	}
}

// joinDiffs writes the changed properties as the CLI does: ~a, ~b.
func joinDiffs(d []string) string { return "~" + strings.Join(d, ", ~") }

// DiffText is the row's changed properties, "" when none.
func (r PulumiRow) DiffText() string {
	if len(r.Diffs) == 0 {
		return ""
	}
	return "[diff: " + joinDiffs(r.Diffs) + "]"
}
