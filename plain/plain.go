// Package plain renders a run as plain lines: one line per step state,
// status change, Pulumi progress and output, with timestamps; prompts are
// answered from an input stream line by line. It is used for --plain and
// whenever stdout is not a terminal.
package plain

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/datalayer-tool/datalayer/steps"
)

// ErrNoInput is returned when the input ended while a prompt still waits for
// an answer; the run stays resumable.
var ErrNoInput = errors.New("the input ended while a prompt waits for an answer")

// Options tune the renderer.
type Options struct {
	// UTC prints times in UTC (default: the event's own zone).
	UTC bool
	// Quiet leaves out Pulumi's planned steps and diagnostics below warning.
	Quiet bool
}

// Render prints the session's events to out until the events channel closes,
// answering prompts with lines read from in (nil: prompts are never answered
// here). A gate needs its exact text typed; a manual step takes "done [note]"
// or "skip <reason>"; a choice takes the option's value or its number; a
// text prompt takes lines up to an empty line.
func Render(ctx context.Context, s steps.Session, out io.Writer, in io.Reader, o Options) error {
	r := &renderer{s: s, out: out, o: o, titles: map[string]string{}}
	for _, st := range s.Steps() {
		r.titles[st.ID] = st.Title
	}
	lines := make(chan string)
	inDone := make(chan struct{})
	if in != nil {
		go func() {
			defer close(inDone)
			sc := bufio.NewScanner(in)
			sc.Buffer(make([]byte, 64*1024), 1<<20)
			for sc.Scan() {
				select {
				case lines <- sc.Text():
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	inputOpen := in != nil
	events := s.Events()
	for {
		var lineCh <-chan string
		if inputOpen && len(r.pending) > 0 {
			lineCh = lines
		}
		select {
		case <-ctx.Done():
			// Keep draining so the run can record its interruption.
			for e := range events {
				r.event(e)
			}
			return ctx.Err()
		case e, ok := <-events:
			if !ok {
				return r.err
			}
			r.event(e)
		case l := <-lineCh:
			r.line(l)
		case <-inDone:
			inputOpen = false
			inDone = nil
			if len(r.pending) > 0 && r.textBuf == nil {
				p := r.pending[0]
				fmt.Fprintf(out, "%s ! no more input while %q waits for an answer; the run stops here and `datalayer resume` picks it up\n", r.ts(time.Now()), p.Title)
				return ErrNoInput
			}
			if r.textBuf != nil {
				r.finishText()
			}
		}
		if !inputOpen && in != nil && len(r.pending) > 0 && inDone == nil {
			p := r.pending[0]
			fmt.Fprintf(out, "%s ! no more input while %q waits for an answer; the run stops here and `datalayer resume` picks it up\n", r.ts(time.Now()), p.Title)
			return ErrNoInput
		}
	}
}

type renderer struct {
	s       steps.Session
	out     io.Writer
	o       Options
	titles  map[string]string
	pending []steps.Prompt
	textBuf []string // lines of a text prompt being pasted
	err     error
	last    time.Time
	pathLen int
}

func (r *renderer) ts(t time.Time) string {
	if t.IsZero() {
		t = r.last
	}
	if r.o.UTC {
		t = t.UTC()
	}
	return t.Format("15:04:05")
}

func (r *renderer) printf(t time.Time, format string, args ...any) {
	fmt.Fprintf(r.out, "%s %s\n", r.ts(t), fmt.Sprintf(format, args...))
}

func (r *renderer) title(id string) string {
	if t, ok := r.titles[id]; ok && t != "" {
		return t
	}
	return id
}

func dur(d time.Duration) string {
	if d >= time.Minute {
		return d.Round(time.Second).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

func (r *renderer) event(e steps.Event) {
	if !e.Time.IsZero() {
		r.last = e.Time
	}
	t := e.Time
	switch e.Type {
	case steps.EventRunStarted:
		if e.Run != nil {
			kind := ""
			if e.Run.Rehearsal {
				kind = " (rehearsal, scenario " + orDefault(e.Run.Scenario, "default") + ")"
			}
			r.printf(t, "run %s %s: %s on %s%s", e.Run.RunID, e.Text, e.Run.Runbook, e.Run.Stack, kind)
		} else {
			r.printf(t, "run %s", e.Text)
		}
	case steps.EventSteps:
		for _, st := range e.Steps {
			r.titles[st.ID] = st.Title
		}
		switch {
		case e.StepID == "":
			r.printf(t, "%d steps on this path", len(e.Steps))
		case len(e.Steps) != r.pathLen:
			r.printf(t, "the path now has %d steps", len(e.Steps))
		}
		r.pathLen = len(e.Steps)
	case steps.EventStepStarted:
		extra := ""
		if e.Expected > 0 {
			extra = " (took " + dur(e.Expected) + " last rehearsal)"
		}
		r.printf(t, "▶ %s: %s%s", e.StepID, r.title(e.StepID), extra)
	case steps.EventStepFinished:
		if e.Resumed {
			r.printf(t, "✓ %s: done before the interruption", e.StepID)
			return
		}
		extra := ""
		if e.Expected > 0 {
			extra = ", expected " + dur(e.Expected)
		}
		text := ""
		if e.Text != "" {
			text = ": " + e.Text
		}
		r.printf(t, "✓ %s done in %s%s%s", e.StepID, dur(e.Elapsed), extra, text)
	case steps.EventStepFailed:
		r.printf(t, "✗ %s FAILED after %s: %s", e.StepID, dur(e.Elapsed), e.Err)
	case steps.EventStepSkipped:
		if e.Resumed {
			return
		}
		r.printf(t, "– %s skipped: %s", e.StepID, e.Text)
	case steps.EventOutput:
		r.printf(t, "  %s", e.Text)
	case steps.EventWarning:
		r.printf(t, "  ! %s", e.Text)
	case steps.EventVariable:
		v := e.Value
		if e.Secret {
			v = "(secret)"
		}
		r.printf(t, "  = %s: %s", e.Name, v)
	case steps.EventStatus:
		if e.Status == nil {
			return
		}
		c := e.Status
		switch {
		case e.Err != "":
			r.printf(t, "  ~ poll failed (still watching): %s", e.Err)
		case c.Gone:
			r.printf(t, "  ~ %s %s: gone", c.Kind, c.ID)
		case c.OldStatus == "":
			r.printf(t, "  ~ %s %s: %s", c.Kind, c.ID, c.NewStatus)
		default:
			r.printf(t, "  ~ %s %s: %s → %s", c.Kind, c.ID, c.OldStatus, c.NewStatus)
		}
	case steps.EventPulumi:
		if e.Pulumi == nil {
			return
		}
		p := e.Pulumi
		if r.o.Quiet && (p.Status == "planned" || (p.Status == "diagnostic" && p.Severity != "warning" && p.Severity != "error")) {
			return
		}
		r.printf(t, "  pulumi: %s", e.Text)
	case steps.EventIssued:
		// Journal bookkeeping; not for the screen.
	case steps.EventPrompt:
		if e.Prompt == nil {
			return
		}
		if e.Answer != nil {
			r.printf(t, "? %s → %s (%s)", e.Prompt.Title, e.Answer.Value, orDefault(e.Answer.Note, "automatic"))
			return
		}
		r.pending = append(r.pending, *e.Prompt)
		if len(r.pending) == 1 {
			r.ask()
		}
	case steps.EventAnswer:
		if e.Answer == nil {
			return
		}
		if e.Resumed {
			r.printf(t, "  (answered before the interruption: %s)", e.Answer.Value)
			return
		}
		for i, p := range r.pending {
			if p.ID == e.Answer.PromptID {
				r.pending = append(r.pending[:i], r.pending[i+1:]...)
				if i == 0 && len(r.pending) > 0 {
					r.ask()
				}
				break
			}
		}
	case steps.EventRunFinished:
		if e.Err != "" {
			r.printf(t, "run %s: %s", e.Text, e.Err)
			r.err = errors.New(e.Err)
		} else {
			r.printf(t, "run %s", e.Text)
		}
	}
}

// ask prints the prompt at the head of the queue.
func (r *renderer) ask() {
	p := r.pending[0]
	fmt.Fprintf(r.out, "%s ? %s\n", r.ts(time.Time{}), p.Title)
	if p.Body != "" {
		for _, l := range strings.Split(strings.TrimRight(p.Body, "\n"), "\n") {
			fmt.Fprintf(r.out, "    %s\n", l)
		}
	}
	switch p.Kind {
	case steps.PromptChoice:
		for i, o := range p.Options {
			rec := ""
			if o.Recommended {
				rec = " [recommended"
				if o.Reason != "" {
					rec += ": " + o.Reason
				}
				rec += "]"
			} else if o.Reason != "" {
				rec = " (" + o.Reason + ")"
			}
			fmt.Fprintf(r.out, "    %d) %s — %s%s\n", i+1, o.Value, o.Label, rec)
		}
		fmt.Fprintf(r.out, "  type a value or a number%s:\n", defText(p.Default))
	case steps.PromptGate:
		fmt.Fprintf(r.out, "  type %q exactly to go on (anything else backs out):\n", p.Expect)
	case steps.PromptManual:
		fmt.Fprintln(r.out, "  type \"done [note]\" when done, or \"skip <reason>\":")
	case steps.PromptConfirm:
		fmt.Fprintf(r.out, "  yes or no%s:\n", defText(p.Default))
	case steps.PromptText:
		fmt.Fprintln(r.out, "  paste the text, then an empty line:")
	}
}

func defText(d string) string {
	if d == "" {
		return ""
	}
	return " (empty for " + d + ")"
}

func (r *renderer) finishText() {
	p := r.pending[0]
	text := strings.Join(r.textBuf, "\n")
	r.textBuf = nil
	r.send(p, steps.Answer{PromptID: p.ID, Value: text})
}

// line applies one input line to the prompt at the head of the queue.
func (r *renderer) line(l string) {
	if len(r.pending) == 0 {
		return
	}
	p := r.pending[0]
	a := steps.Answer{PromptID: p.ID}
	switch p.Kind {
	case steps.PromptText:
		if strings.TrimSpace(l) == "" {
			if r.textBuf == nil {
				r.textBuf = []string{}
			}
			r.finishText()
			return
		}
		r.textBuf = append(r.textBuf, l)
		return
	case steps.PromptGate:
		a.Value = strings.TrimRight(l, "\r")
	case steps.PromptChoice:
		v := strings.TrimSpace(l)
		if v == "" {
			v = p.Default
		}
		if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= len(p.Options) {
			v = p.Options[n-1].Value
		}
		a.Value = v
	case steps.PromptManual:
		f := strings.TrimSpace(l)
		word, rest, _ := strings.Cut(f, " ")
		a.Value = strings.ToLower(word)
		a.Note = strings.TrimSpace(rest)
	case steps.PromptConfirm:
		v := strings.TrimSpace(l)
		if v == "" {
			v = p.Default
		}
		a.Value = strings.ToLower(v)
	}
	r.send(p, a)
}

func (r *renderer) send(p steps.Prompt, a steps.Answer) {
	if err := r.s.Answer(a); err != nil {
		fmt.Fprintf(r.out, "%s   %v; try again:\n", r.ts(time.Time{}), err)
		return
	}
	// The answer event removes it from the queue; do it now too so the
	// next line goes to the next prompt.
	for i, q := range r.pending {
		if q.ID == p.ID {
			r.pending = append(r.pending[:i], r.pending[i+1:]...)
			break
		}
	}
	if len(r.pending) > 0 {
		r.ask()
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
