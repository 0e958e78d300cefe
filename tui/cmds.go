package tui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/engine"
)

// maxBatch caps how many queued events one eventsMsg carries, so a fast
// rehearsal does not redraw once per event.
const maxBatch = 256

// waitEventsCmd waits for the next engine event, then takes whatever else is
// already queued. It is issued again after each eventsMsg.
func waitEventsCmd(ctx context.Context, ch <-chan engine.Event, clk clock.Clock) tea.Cmd {
	return func() tea.Msg {
		var first engine.Event
		var ok bool
		select {
		case first, ok = <-ch:
		case <-ctx.Done():
			return nil
		}
		if !ok {
			return sessionClosedMsg{now: clk.Now()}
		}
		evs := []engine.Event{first}
		closed := false
	drain:
		for len(evs) < maxBatch {
			select {
			case ev, ok := <-ch:
				if !ok {
					closed = true
					break drain
				}
				evs = append(evs, ev)
			default:
				break drain
			}
		}
		return eventsMsg{events: evs, closed: closed, now: clk.Now()}
	}
}

// tickCmd fires once after d with the injected clock's time.
func tickCmd(d time.Duration, clk clock.Clock) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return tickMsg{now: clk.Now()} })
}

// answerCmd hands an answer to the engine.
func answerCmd(s engine.Session, a engine.Answer) tea.Cmd {
	return func() tea.Msg {
		if err := s.Answer(a); err != nil {
			return answerSentMsg{answer: a, err: fmt.Errorf("tui: answer %s: %w", a.PromptID, err)}
		}
		return answerSentMsg{answer: a}
	}
}

// renderMarkdownCmd renders markdown at a width, in a Cmd: off the UI's
// path.
func renderMarkdownCmd(r *markdownRenderer, key, md string, width int) tea.Cmd {
	return func() tea.Msg {
		out, err := r.render(md, width)
		return markdownMsg{key: key, text: out, err: err}
	}
}

// formDoneCmd and formCancelledCmd are the embedded form's SubmitCmd and
// CancelCmd.
func formDoneCmd(id string) tea.Cmd {
	return func() tea.Msg { return formDoneMsg{promptID: id} }
}

func formCancelledCmd(id string) tea.Cmd {
	return func() tea.Msg { return formCancelledMsg{promptID: id} }
}

// infoCmd reads the session's RunInfo again.
func infoCmd(s engine.Session) tea.Cmd {
	return func() tea.Msg { return infoMsg{info: s.Info()} }
}
