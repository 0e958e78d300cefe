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

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/runview"
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
func Render(ctx context.Context, s engine.Session, out io.Writer, in io.Reader, o Options) error {
	r := &renderer{s: s, out: out, o: o, run: runview.New(s.Info(), s.Steps(), nil, 0)}
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
			if p, ok := r.waitingForPerson(); ok && r.textBuf == nil {
				fmt.Fprintf(out, "%s ! no more input while %q waits for an answer; the run stops here and `datalayer resume` picks it up\n", r.ts(time.Now()), p.Title)
				return ErrNoInput
			}
			if r.textBuf != nil {
				r.finishText()
			}
		}
		if p, ok := r.waitingForPerson(); ok && !inputOpen && in != nil && inDone == nil {
			fmt.Fprintf(out, "%s ! no more input while %q waits for an answer; the run stops here and `datalayer resume` picks it up\n", r.ts(time.Now()), p.Title)
			return ErrNoInput
		}
	}
}

type renderer struct {
	s   engine.Session
	out io.Writer
	o   Options
	run *runview.State
	// seen is how many of the run's log lines are printed.
	seen int
	// asked is the prompt printed last, so each is asked once.
	asked   string
	pending []engine.Prompt // prompts to answer here, in order; pending[0] is asked
	textBuf []string        // lines of a text prompt being pasted
	err     error
}

func (r *renderer) ts(t time.Time) string {
	if t.IsZero() {
		t = r.run.Last
	}
	if r.o.UTC {
		t = t.UTC()
	}
	return t.Format("15:04:05")
}

// event folds one event into the run's view model, prints the log lines it
// added and asks a prompt that came up.
func (r *renderer) event(e engine.Event) {
	r.run.Apply(e)
	for _, l := range r.run.LinesSince(r.seen) {
		if r.o.Quiet && l.Quiet {
			continue
		}
		fmt.Fprintf(r.out, "%s %s\n", r.ts(l.Time), l.Text)
	}
	r.seen = r.run.LogSeq
	if e.Type == engine.EventRunFinished && e.Err != "" {
		r.err = errors.New(e.Err)
	}
	r.pending = r.run.Prompts
	r.askNext()
}

// askNext asks the prompt at the head of the queue unless it was asked.
func (r *renderer) askNext() {
	if len(r.pending) > 0 && r.pending[0].ID != r.asked {
		r.asked = r.pending[0].ID
		r.ask()
	}
}

// waitingForPerson returns the first open prompt only a person can answer
// (not one the program answers itself when it sees the task done).
func (r *renderer) waitingForPerson() (engine.Prompt, bool) {
	for _, p := range r.pending {
		if p.Watching == "" {
			return p, true
		}
	}
	return engine.Prompt{}, false
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
	case engine.PromptChoice:
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
	case engine.PromptGate:
		fmt.Fprintf(r.out, "  type %q exactly to go on (anything else backs out):\n", p.Expect)
	case engine.PromptManual:
		if p.Watching != "" {
			fmt.Fprintf(r.out, "  the program ticks this itself when %s shows it done; or type \"done [note]\", or \"skip <reason>\":\n", p.Watching)
			break
		}
		fmt.Fprintln(r.out, "  type \"done [note]\" when done, or \"skip <reason>\":")
	case engine.PromptConfirm:
		fmt.Fprintf(r.out, "  yes or no%s:\n", defText(p.Default))
	case engine.PromptText:
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
	r.send(p, engine.Answer{PromptID: p.ID, Value: text})
}

// line applies one input line to the prompt at the head of the queue.
func (r *renderer) line(l string) {
	if len(r.pending) == 0 {
		return
	}
	p := r.pending[0]
	a := engine.Answer{PromptID: p.ID}
	switch p.Kind {
	case engine.PromptText:
		if strings.TrimSpace(l) == "" {
			if r.textBuf == nil {
				r.textBuf = []string{}
			}
			r.finishText()
			return
		}
		r.textBuf = append(r.textBuf, l)
		return
	case engine.PromptGate:
		a.Value = strings.TrimRight(l, "\r")
	case engine.PromptChoice:
		v := strings.TrimSpace(l)
		if v == "" {
			v = p.Default
		}
		if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= len(p.Options) {
			v = p.Options[n-1].Value
		}
		a.Value = v
	case engine.PromptManual:
		f := strings.TrimSpace(l)
		word, rest, _ := strings.Cut(f, " ")
		a.Value = strings.ToLower(word)
		a.Note = strings.TrimSpace(rest)
	case engine.PromptConfirm:
		v := strings.TrimSpace(l)
		if v == "" {
			v = p.Default
		}
		a.Value = strings.ToLower(v)
	}
	r.send(p, a)
}

func (r *renderer) send(p engine.Prompt, a engine.Answer) {
	if err := r.s.Answer(a); err != nil {
		fmt.Fprintf(r.out, "%s   %v; try again:\n", r.ts(time.Time{}), err)
		return
	}
	// The answer event removes it from the queue; do it now too so the
	// next line goes to the next prompt.
	r.run.Answered(p.ID)
	r.pending = r.run.Prompts
	r.askNext()
}
