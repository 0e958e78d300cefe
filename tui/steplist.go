package tui

import (
	"fmt"
	"strings"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/runview"
)

// stepsView is the step list, scrolled so the current step shows.
func (m *Model) stepsView(w, h int) string {
	st := m.c.styles
	rows := h - 1
	list := m.run.Steps
	ci := m.run.StepIndex(m.run.Current)
	done := 0
	for _, r := range list {
		if r.State == engine.StateDone || r.State == engine.StateSkipped {
			done++
		}
	}
	head := st.Section.Render("Steps") + st.Muted.Render(fmt.Sprintf(" %d/%d", min(ci+1, len(list)), len(list)))
	if r := m.run.CurrentStep(); r != nil && r.Info.Phase != "" {
		head += st.Muted.Render(" · " + r.Info.Phase)
	}
	head += st.Muted.Render(fmt.Sprintf(" · %d done", done))
	var b strings.Builder
	b.WriteString(head)
	start := 0
	if len(list) > rows {
		start = max(0, min(ci-rows/3, len(list)-rows))
	}
	for i := start; i < len(list) && i < start+rows; i++ {
		b.WriteByte('\n')
		b.WriteString(m.stepLine(&list[i], w, list[i].Info.ID == m.run.Current))
	}
	return b.String()
}

func (m *Model) stepLine(r *runview.Step, w int, current bool) string {
	st := m.c.styles
	var glyph, right string
	style := st.StepPending
	switch r.State {
	case engine.StatePending:
		glyph = "·"
		if r.Expected > 0 {
			right = "~" + clockDuration(r.Expected)
		}
	case engine.StateRunning:
		glyph, style = "▶", st.StepRunning
		right = clockDuration(m.since(r.Started))
		if r.Expected > 0 {
			right += " / ~" + clockDuration(r.Expected)
		}
	case engine.StateWaitingForYou:
		glyph, style = "?", st.StepWaiting
		right = "waiting for you"
	case engine.StateDone:
		glyph, style = "✓", st.StepDone
		right = clockDuration(r.Elapsed)
		if r.Expected > 0 {
			right += " / ~" + clockDuration(r.Expected)
		}
	case engine.StateFailed:
		glyph, style = "✗", st.StepFailed
		right = "failed " + clockDuration(r.Elapsed)
	case engine.StateSkipped:
		glyph, style = "–", st.StepSkipped
		right = "skipped"
	}
	title := r.Label()
	room := w - 3 - len([]rune(right)) - 1
	title = padRight(truncate(title, room), room)
	titleStyle := style
	if current && r.State != engine.StateFailed {
		titleStyle = st.StepCurrent
	}
	timeStyle := st.StepTime
	if r.State == engine.StateRunning && r.Expected > 0 && m.since(r.Started) > r.Expected {
		timeStyle = st.StepLate
	}
	if r.State == engine.StateWaitingForYou || r.State == engine.StateFailed {
		timeStyle = style
	}
	marker := " "
	if current {
		marker = "›"
	}
	return marker + style.Render(glyph) + " " + titleStyle.Render(title) + " " + timeStyle.Render(right)
}
