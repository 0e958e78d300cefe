package tui

import (
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/datalayer-tool/datalayer/runview"
)

// liveView is one line per watched instance or snapshot, then the Pulumi
// operations of the current step. When room is short the headings go first,
// then the watches polled longest ago, then the oldest Pulumi lines.
func (m *Model) liveView(w, h int) string {
	st := m.c.styles
	watches := m.run.Watches
	rowsP := m.run.Pulumi.Rows
	pulumiH := 0
	if len(rowsP) > 0 {
		pulumiH = len(rowsP) + 1
	}
	heading := len(watches)+pulumiH+1 <= h
	room := h
	if heading {
		room--
	}
	watchRoom := min(len(watches), room)
	if pulumiH > 0 && room-watchRoom < 2 && watchRoom > 1 {
		watchRoom = max(1, room-min(pulumiH, 2))
	}
	head := st.Section.Render("Live") + st.Muted.Render(" · AWS as last seen")
	if m.run.PollErr != "" {
		head += st.StatusBad.Render(" · last poll failed: " + m.run.PollErr + " (retrying)")
	}
	var lines []string
	if heading {
		lines = append(lines, head)
	}
	for _, i := range freshestWatches(watches, watchRoom) {
		lines = append(lines, m.watchLine(&watches[i]))
	}
	if left := room - watchRoom; pulumiH > 0 && left >= 2 {
		title := "Pulumi"
		if r := m.run.Step(m.run.Pulumi.StepID); r != nil {
			title += st.Muted.Render(" · " + r.Info.Title)
		}
		lines = append(lines, st.Section.Render(title))
		rows := rowsP
		if len(rows) > left-1 {
			rows = rows[len(rows)-(left-1):]
		}
		for _, p := range rows {
			lines = append(lines, m.pulumiLine(p))
		}
	}
	if !heading && len(lines) < h { // the Pulumi rows did not fit: the heading does
		lines = append([]string{head}, lines...)
	}
	return strings.Join(lines, "\n")
}

// freshestWatches returns the indexes of the n most recently polled watches,
// in their original order.
func freshestWatches(ws []runview.Watch, n int) []int {
	idx := make([]int, 0, len(ws))
	for i := range ws {
		idx = append(idx, i)
	}
	if n >= len(idx) {
		return idx
	}
	keep := make([]bool, len(idx))
	for k := 0; k < n; k++ {
		best := -1
		for i := range ws {
			if !keep[i] && (best < 0 || ws[i].Polled.After(ws[best].Polled)) {
				best = i
			}
		}
		keep[best] = true
	}
	out := idx[:0]
	for i, k := range keep {
		if k {
			out = append(out, i)
		}
	}
	return out
}

func (m *Model) statusStyle(w *runview.Watch) lipgloss.Style {
	st := m.c.styles
	switch {
	case w.Status == "available":
		return st.StatusOK
	case w.Bad():
		return st.StatusBad
	}
	return st.StatusBusy
}

func (m *Model) watchLine(w *runview.Watch) string {
	st := m.c.styles
	sep := st.Muted.Render(" · ")
	// The poller reports changes only: the newest sample is the last change.
	age := ""
	if w.Polled.After(w.Since) {
		age = st.Muted.Render("changed " + shortDuration(m.since(w.Polled)) + " ago")
	}
	var b strings.Builder
	if w.Kind == "snapshot" {
		b.WriteString(" ◆ ")
	} else {
		b.WriteString(" ● ")
	}
	b.WriteString(st.LiveID.Render(w.ID))
	b.WriteString(" ")
	if w.Gone {
		switch {
		case w.Deleted:
			b.WriteString(st.StatusBad.Render("deleted"))
			b.WriteString(st.Muted.Render(" (not in AWS)"))
			if !w.Polled.IsZero() {
				b.WriteString(sep + st.Muted.Render("checked "+shortDuration(m.since(w.Polled))+" ago"))
			}
		case !w.Seen:
			// Named (by Pulumi, by the run) before AWS has it: not gone.
			b.WriteString(st.StatusBusy.Render("not in AWS yet"))
			b.WriteString(sep + st.Muted.Render("checked "+shortDuration(m.since(w.Polled))+" ago"))
		default:
			b.WriteString(st.StatusBad.Render("gone"))
			b.WriteString(sep + st.Muted.Render("last seen "+shortDuration(m.since(w.Polled))+" ago"))
		}
		return b.String()
	}
	b.WriteString(m.statusStyle(w).Render(firstNonEmpty(w.Status, "unknown")))
	b.WriteString(st.Muted.Render(" for " + shortDuration(m.since(w.Since))))
	if w.Progress >= 0 {
		b.WriteString(sep)
		b.WriteString(m.c.bar.ViewAs(float64(w.Progress) / 100))
	}
	if w.EngineVersion != "" {
		b.WriteString(sep + st.Value.Render("pg "+w.EngineVersion))
	}
	if age != "" {
		b.WriteString(sep + age)
	}
	if w.Err != "" {
		b.WriteString(sep + st.StatusBad.Render("poll failed: "+w.Err))
	}
	if w.HasInstance {
		b.WriteString(sep + st.Muted.Render(w.Endpoint()))
	}
	return b.String()
}

func (m *Model) pulumiLine(p runview.PulumiRow) string {
	st := m.c.styles
	style := st.PulumiUpdate
	switch p.OpKind() {
	case "create":
		style = st.PulumiCreate
	case "delete":
		style = st.PulumiDelete
	case "replace":
		style = st.PulumiReplace
	}
	status := p.StatusText()
	if p.Phase == runview.PhaseFailed || p.Phase == runview.PhaseUnfinished {
		status = st.StatusBad.Render(status)
	}
	line := " " + style.Render(p.Symbol()) + " " + st.Value.Render(p.Type) + " " + st.LiveID.Render(p.Name) + "  " + status
	if d := p.DiffText(); d != "" {
		line += st.Muted.Render(" " + d)
	}
	if p.Phase == runview.PhaseFailed && p.Message != "" {
		line += st.Muted.Render(" " + p.Message)
	}
	return line
}
