package tui

import (
	"fmt"
	"strings"

	"github.com/datalayer-tool/datalayer/steps"
)

// stepsView is the step list, scrolled so the current step shows.
func (m *Model) stepsView(w, h int) string {
	st := m.c.styles
	rows := h - 1
	ci := m.currentIndex()
	done := 0
	for _, r := range m.steps {
		if r.state == steps.StateDone || r.state == steps.StateSkipped {
			done++
		}
	}
	head := st.Section.Render("Steps") + st.Muted.Render(fmt.Sprintf(" %d/%d", min(ci+1, len(m.steps)), len(m.steps)))
	if r := m.currentRow(); r != nil && r.info.Phase != "" {
		head += st.Muted.Render(" · " + r.info.Phase)
	}
	head += st.Muted.Render(fmt.Sprintf(" · %d done", done))
	var b strings.Builder
	b.WriteString(head)
	start := 0
	if len(m.steps) > rows {
		start = max(0, min(ci-rows/3, len(m.steps)-rows))
	}
	for i := start; i < len(m.steps) && i < start+rows; i++ {
		b.WriteByte('\n')
		b.WriteString(m.stepLine(&m.steps[i], w, m.steps[i].info.ID == m.current))
	}
	return b.String()
}

func (m *Model) stepLine(r *stepRow, w int, current bool) string {
	st := m.c.styles
	var glyph, right string
	style := st.StepPending
	switch r.state {
	case steps.StatePending:
		glyph = "·"
		if r.expected > 0 {
			right = "~" + clockDuration(r.expected)
		}
	case steps.StateRunning:
		glyph, style = "▶", st.StepRunning
		right = clockDuration(m.since(r.started))
		if r.expected > 0 {
			right += " / ~" + clockDuration(r.expected)
		}
	case steps.StateWaitingForYou:
		glyph, style = "?", st.StepWaiting
		right = "waiting for you"
	case steps.StateDone:
		glyph, style = "✓", st.StepDone
		right = clockDuration(r.elapsed)
		if r.expected > 0 {
			right += " / ~" + clockDuration(r.expected)
		}
	case steps.StateFailed:
		glyph, style = "✗", st.StepFailed
		right = "failed " + clockDuration(r.elapsed)
	case steps.StateSkipped:
		glyph, style = "–", st.StepSkipped
		right = "skipped"
	}
	title := r.info.Title
	if r.info.Kind == steps.KindGate {
		title += " [gate]"
	} else if r.info.Kind == steps.KindManual {
		title += " [manual]"
	}
	room := w - 3 - len([]rune(right)) - 1
	title = padRight(truncate(title, room), room)
	titleStyle := style
	if current && r.state != steps.StateFailed {
		titleStyle = st.StepCurrent
	}
	timeStyle := st.StepTime
	if r.state == steps.StateRunning && r.expected > 0 && m.since(r.started) > r.expected {
		timeStyle = st.StepLate
	}
	if r.state == steps.StateWaitingForYou || r.state == steps.StateFailed {
		timeStyle = style
	}
	marker := " "
	if current {
		marker = "›"
	}
	return marker + style.Render(glyph) + " " + titleStyle.Render(title) + " " + timeStyle.Render(right)
}
