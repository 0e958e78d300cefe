package pulumiclient

import (
	"regexp"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// nameFromURN returns a URN's logical name (what follows the last "::").
func nameFromURN(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

// colorDirective matches Pulumi's colour markup such as <{%reset%}>.
var colorDirective = regexp.MustCompile(`<\{%[^%]*%\}>`)

// ansi matches terminal escape sequences.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*[a-zA-Z]")

func plainText(s string) string {
	s = colorDirective.ReplaceAllString(s, "")
	return strings.TrimRight(ansi.ReplaceAllString(s, ""), "\n")
}

// StripSecrets returns a copy of outputs without secret values: values in
// Pulumi's secret envelope and the "[secret]" placeholder are dropped, at
// any depth.
func StripSecrets(outputs map[string]any) map[string]any {
	if outputs == nil {
		return nil
	}
	out := make(map[string]any, len(outputs))
	for k, v := range outputs {
		if s, ok := stripValue(v); ok {
			out[k] = s
		}
	}
	return out
}

func stripValue(v any) (any, bool) {
	switch t := v.(type) {
	case string:
		if t == "[secret]" {
			return nil, false
		}
		return t, true
	case map[string]any:
		if isSecret(t) {
			return nil, false
		}
		return StripSecrets(t), true
	case []any:
		out := make([]any, 0, len(t))
		for _, e := range t {
			if s, ok := stripValue(e); ok {
				out = append(out, s)
			}
		}
		return out, true
	}
	return v, true
}

// plannedOnce drops a planned step that repeats the one before it for the
// same resource: a preview reports each step twice (before and after), and
// the second adds nothing unless it differs (a refresh's "refresh" becomes
// an "update" with the drifted properties).
type plannedOnce struct{ seen map[string]bool }

func (d *plannedOnce) keep(p Progress) bool {
	if p.Status != StepPlanned {
		return true
	}
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	k := p.URN + "\x00" + string(p.Op) + "\x00" + strings.Join(p.Keys, ",") + "\x00" + strings.Join(p.Diffs, ",")
	if d.seen[k] {
		return false
	}
	d.seen[k] = true
	return true
}

// ToProgress turns one engine event into a Progress value; ok is false for
// events the runbooks do not show (prelude, policy, stdout noise...).
func ToProgress(ev events.EngineEvent) (Progress, bool) {
	at := time.Unix(int64(ev.Timestamp), 0)
	if ev.Timestamp == 0 {
		at = time.Time{}
	}
	p := Progress{Time: at}
	switch {
	case ev.Error != nil:
		if strings.Contains(ev.Error.Error(), "context canceled") {
			// The stream ends so when the operation is interrupted; the
			// operation's own error says what happened.
			return p, false
		}
		p.Status, p.Severity, p.Message = Diagnostic, "error", "event stream: "+ev.Error.Error()
	case ev.ResourcePreEvent != nil:
		md := ev.ResourcePreEvent.Metadata
		fillStep(&p, md)
		p.Status = StepStarted
		if ev.ResourcePreEvent.Planning {
			p.Status = StepPlanned
		}
		if (p.Op == OpCreate || p.Op == OpCreateReplacement) && md.New != nil {
			p.Inputs = StripSecrets(md.New.Inputs)
		}
	case ev.ResOutputsEvent != nil:
		md := ev.ResOutputsEvent.Metadata
		fillStep(&p, md)
		p.Status = StepDone
		if ev.ResOutputsEvent.Planning {
			p.Status = StepPlanned
		}
		if md.New != nil {
			p.Outputs = StripSecrets(md.New.Outputs)
		}
	case ev.ResOpFailedEvent != nil:
		fillStep(&p, ev.ResOpFailedEvent.Metadata)
		p.Status = StepFailed
	case ev.DiagnosticEvent != nil:
		d := ev.DiagnosticEvent
		// Debug lines ("Registering resource ...") are what `pulumi up`
		// hides without --debug; the event stream carries them regardless.
		if d.Ephemeral || strings.HasPrefix(d.Severity, "debug") {
			return p, false
		}
		p.Status = Diagnostic
		p.URN, p.Name = d.URN, nameFromURN(d.URN)
		p.Severity = strings.TrimSuffix(d.Severity, "#err")
		p.Message = plainText(d.Message)
		if p.Message == "" {
			return p, false
		}
	case ev.SummaryEvent != nil:
		p.Status = Summarised
		p.Message = string(ev.SummaryEvent.Result)
	default:
		// CancelEvent ends every event stream, successful or not (the
		// engine's "no more events"); an interrupted operation shows in
		// its summary and its error instead.
		return p, false
	}
	return p, true
}

func fillStep(p *Progress, md apitype.StepEventMetadata) {
	p.URN = md.URN
	p.Type = md.Type
	p.Name = nameFromURN(md.URN)
	p.Op = Op(md.Op)
	p.Keys = append([]string(nil), md.Keys...)
	p.Diffs = append([]string(nil), md.Diffs...)
	switch {
	case Op(md.Op) == OpDeleteReplaced || Op(md.Op) == OpDelete:
		if md.Old != nil {
			p.ID = md.Old.ID
		}
	case md.New != nil && md.New.ID != "":
		p.ID = md.New.ID
	case md.Old != nil:
		p.ID = md.Old.ID
	}
}

// summaryFrom builds a Summary from the engine's summary event.
func summaryFrom(s *apitype.SummaryEvent) Summary {
	out := Summary{Changes: map[Op]int{}}
	if s == nil {
		return out
	}
	out.Result = string(s.Result)
	out.Duration = time.Duration(s.DurationSeconds) * time.Second
	for op, n := range s.ResourceChanges {
		out.Changes[Op(op)] = n
	}
	return out
}
