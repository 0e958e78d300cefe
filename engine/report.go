package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/datalayer-tool/datalayer/clock"
)

// Timings are the step durations of the last non-production run of a
// runbook, kept so a production run shows expected against elapsed, and
// its waits' durations, which tell the poller when a change is due. A
// rehearsal's are kept apart from a real run's: a rehearsal's AWS is
// simulated, so a real run (deploy, upgrade, restore --stack) expects only
// what a real run took, and never speaks of a rehearsal.
type Timings struct {
	RunID string                   `json:"run"`
	Stack string                   `json:"stack"`
	Steps map[string]time.Duration `json:"steps"`
	Waits map[string]time.Duration `json:"waits,omitempty"`
	// Real marks a real run's timings. The file of a real run's timings
	// once held a rehearsal's too; one without the mark is not trusted.
	Real bool `json:"real,omitempty"`
}

// timingsPath is where a runbook's timings are kept: a rehearsal's beside
// the real runs' (timings/<runbook>.rehearsal.json).
func timingsPath(stateDir, runbook string, rehearsal bool) string {
	name := runbook + ".json"
	if rehearsal {
		name = runbook + ".rehearsal.json"
	}
	return filepath.Join(stateDir, "timings", name)
}

// loadTimings returns the timings a run of the kind given expects from:
// the last rehearsal's for a rehearsal, the last real run's otherwise.
func loadTimings(stateDir, runbook string, rehearsal bool) Timings {
	if stateDir == "" {
		return Timings{}
	}
	b, err := os.ReadFile(timingsPath(stateDir, runbook, rehearsal))
	if err != nil {
		return Timings{}
	}
	var t Timings
	if json.Unmarshal(b, &t) != nil || t.Real == rehearsal {
		return Timings{}
	}
	return t
}

// expectedFrom says, for the run's screens, which run the expected
// durations come from ("" when there are none).
func expectedFrom(t Timings) string {
	switch {
	case len(t.Steps) == 0:
		return ""
	case !t.Real:
		return "the last rehearsal"
	case t.Stack != "":
		return "the last run on " + t.Stack
	}
	return "the last run"
}

func (r *Run) saveTimings() {
	r.mu.Lock()
	t := Timings{RunID: r.opts.RunID, Stack: r.opts.Stack, Steps: map[string]time.Duration{}, Waits: map[string]time.Duration{},
		Real: !r.opts.Rehearsal}
	for k, v := range r.elapsed {
		t.Steps[k] = v
	}
	for k, v := range r.waits {
		t.Waits[k] = v
	}
	r.mu.Unlock()
	if len(t.Steps) == 0 || r.opts.StateDir == "" {
		return
	}
	b, _ := json.MarshalIndent(t, "", "  ")
	p := timingsPath(r.opts.StateDir, r.opts.Runbook, r.opts.Rehearsal)
	if os.MkdirAll(filepath.Dir(p), 0o700) == nil {
		_ = os.WriteFile(p, b, 0o600)
	}
}

// Report renders a run's journal as a markdown timeline: what, when, how
// long, the answers given and the outputs, with expected against elapsed per
// phase when an earlier staging run left timings. book is the journal's
// runbook (nil when unknown): it names the steps and renders its results.
func Report(events []Event, book *Runbook) string {
	var b strings.Builder
	if len(events) == 0 {
		return "# Run report\n\nThe journal is empty.\n"
	}
	var info RunInfo
	for _, e := range events {
		if e.Type == EventRunStarted && e.Run != nil {
			info = *e.Run
			break
		}
	}
	title := map[string]string{}
	phase := map[string]string{}
	if book != nil {
		for _, s := range book.Steps {
			title[s.ID] = s.Title
			phase[s.ID] = s.Phase
		}
	}
	start := events[0].Time
	fmt.Fprintf(&b, "# Run %s: %s on %s\n\n", info.RunID, info.Runbook, info.Stack)
	kind := "real"
	// A rehearsal's times of day are real; its spans are played faster,
	// so they are shown stretched back to AWS time, as its steps' own.
	span := func(d time.Duration) time.Duration { return d }
	if info.Rehearsal {
		kind = "rehearsal (scenario " + orDefault(info.Scenario, "default") + ")"
		if info.Speed > 0 && info.Speed != 1 {
			kind += fmt.Sprintf(", played %g× faster than AWS: durations below are AWS time", info.Speed)
			span = clock.Speed(info.Speed).SimTime
		}
	}
	fmt.Fprintf(&b, "- Started: %s\n- Kind: %s\n- Production: %v\n", start.UTC().Format(time.RFC3339), kind, info.Production)
	if info.Identity != nil {
		fmt.Fprintf(&b, "- Acting as: %s (%s)\n", info.Identity.ARN, info.Identity.CredentialSource)
	} else {
		for _, e := range events {
			if e.Type == EventVariable && e.Name == "principal" {
				fmt.Fprintf(&b, "- Acting as: %s\n", e.Value)
				break
			}
		}
	}
	outcome := "not finished (resume with `datalayer resume " + info.RunID + "`)"
	var end time.Time
	for _, e := range events {
		if e.Type == EventRunFinished {
			outcome = e.Text
			if e.Err != "" {
				outcome += ": " + e.Err
			}
			end = e.Time
		}
	}
	if !end.IsZero() {
		fmt.Fprintf(&b, "- Finished: %s after %s\n", end.UTC().Format(time.RFC3339), round(span(end.Sub(start))))
	}
	fmt.Fprintf(&b, "- Outcome: %s\n\n", outcome)
	vars := map[string]string{}
	for _, e := range events {
		if e.Type == EventVariable && !e.Secret {
			vars[e.Name] = e.Value
		}
	}
	tables := map[string]bool{}
	if book != nil {
		if book.Results != nil {
			b.WriteString(book.Results(info, vars))
		}
		for _, t := range book.Tables {
			tables[t] = true
		}
	}

	b.WriteString("## Timeline\n\n| time | +elapsed | step | what |\n|---|---|---|---|\n")
	type pt struct{ elapsed, expected time.Duration }
	phases := map[string]*pt{}
	var phaseOrder []string
	for _, e := range events {
		what := ""
		switch e.Type {
		case EventRunStarted:
			what = "run " + e.Text
		case EventStepStarted:
			what = "started: " + orDefault(title[e.StepID], e.Text)
		case EventStepFinished:
			what = "done in " + round(e.Elapsed).String()
			if e.Expected > 0 {
				what += " (expected " + round(e.Expected).String() + ")"
			}
			if e.Text != "" {
				what += ": " + e.Text
			}
			ph := orDefault(phase[e.StepID], "other")
			if phases[ph] == nil {
				phases[ph] = &pt{}
				phaseOrder = append(phaseOrder, ph)
			}
			phases[ph].elapsed += e.Elapsed
			phases[ph].expected += e.Expected
		case EventStepFailed:
			what = "**failed** after " + round(e.Elapsed).String() + ": " + e.Err
		case EventStepSkipped:
			what = "skipped: " + e.Text
		case EventOutput:
			what = e.Text
		case EventWarning:
			what = "**warning**: " + e.Text
		case EventVariable:
			what = "set " + e.Name + " = " + e.Value
			if tables[e.Name] {
				what = "recorded " + e.Name + " (shown above)"
			}
		case EventStatus:
			what = e.Text
		case EventPrompt:
			if e.Prompt != nil {
				what = "asked (" + string(e.Prompt.Kind) + "): " + e.Prompt.Title
			}
		case EventAnswer:
			if e.Answer != nil {
				what = "answered: " + e.Answer.Value
				if e.Answer.Note != "" {
					what += " — " + e.Answer.Note
				}
				if e.Answer.Auto {
					what += " (automatic)"
				}
			}
		case EventIssued:
			what = "issued " + e.Name + " " + e.Value
		case EventPulumi:
			if e.Pulumi != nil && (e.Pulumi.Status == "planned" || e.Pulumi.Status == "diagnostic") && e.Pulumi.Type != "aws:rds/instance:Instance" {
				continue
			}
			what = "pulumi: " + e.Text
		case EventRunFinished:
			what = "run " + e.Text
			if e.Err != "" {
				what += ": " + e.Err
			}
		default:
			continue
		}
		fmt.Fprintf(&b, "| %s | +%s | %s | %s |\n", e.Time.UTC().Format("15:04:05"), round(span(e.Time.Sub(start))), e.StepID, cell(what))
	}
	if len(phaseOrder) > 0 {
		b.WriteString("\n## Phases: expected against elapsed\n\n| phase | elapsed | expected |\n|---|---|---|\n")
		for _, ph := range phaseOrder {
			exp := "—"
			if phases[ph].expected > 0 {
				exp = round(phases[ph].expected).String()
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", ph, round(phases[ph].elapsed), exp)
		}
	}
	return b.String()
}

func cell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", "<br>")
}

func round(d time.Duration) time.Duration {
	if d > time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
