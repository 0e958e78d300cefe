package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// liveView is one line per watched instance or snapshot, then the Pulumi
// operations of the current step. When room is short the headings go first,
// then the watches polled longest ago, then the oldest Pulumi lines.
func (m *Model) liveView(w, h int) string {
	st := m.c.styles
	pulumiH := 0
	if len(m.pulumi) > 0 {
		pulumiH = len(m.pulumi) + 1
	}
	heading := len(m.watches)+pulumiH+1 <= h
	room := h
	if heading {
		room--
	}
	watchRoom := min(len(m.watches), room)
	if pulumiH > 0 && room-watchRoom < 2 && watchRoom > 1 {
		watchRoom = max(1, room-min(pulumiH, 2))
	}
	var lines []string
	if heading {
		head := st.Section.Render("Live") + st.Muted.Render(" · AWS as last seen")
		if m.pollErr != "" {
			head += st.StatusBad.Render(" · last poll failed: " + m.pollErr + " (retrying)")
		}
		lines = append(lines, head)
	}
	for _, i := range m.freshestWatches(watchRoom) {
		lines = append(lines, m.watchLine(&m.watches[i]))
	}
	if left := room - watchRoom; pulumiH > 0 && left >= 2 {
		title := "Pulumi"
		if r := m.row(m.pStep); r != nil {
			title += st.Muted.Render(" · " + r.info.Title)
		}
		lines = append(lines, st.Section.Render(title))
		rows := m.pulumi
		if len(rows) > left-1 {
			rows = rows[len(rows)-(left-1):]
		}
		for _, p := range rows {
			lines = append(lines, m.pulumiLine(p))
		}
	}
	return strings.Join(lines, "\n")
}

// freshestWatches returns the indexes of the n most recently polled watches,
// in their original order.
func (m *Model) freshestWatches(n int) []int {
	idx := make([]int, 0, len(m.watches))
	for i := range m.watches {
		idx = append(idx, i)
	}
	if n >= len(idx) {
		return idx
	}
	keep := make([]bool, len(idx))
	for k := 0; k < n; k++ {
		best := -1
		for i := range m.watches {
			if !keep[i] && (best < 0 || m.watches[i].polled.After(m.watches[best].polled)) {
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

func (m *Model) statusStyle(status string) lipgloss.Style {
	st := m.c.styles
	switch status {
	case "available":
		return st.StatusOK
	case "gone", "failed", "incompatible-parameters", "incompatible-restore", "storage-full", "stopped":
		return st.StatusBad
	}
	return st.StatusBusy
}

func (m *Model) watchLine(w *watch) string {
	st := m.c.styles
	sep := st.Muted.Render(" · ")
	// The poller reports changes only: the newest sample is the last change.
	age := ""
	if w.polled.After(w.since) {
		age = st.Muted.Render("changed " + shortDuration(m.since(w.polled)) + " ago")
	}
	var b strings.Builder
	if w.kind == "snapshot" {
		b.WriteString(" ◆ ")
	} else {
		b.WriteString(" ● ")
	}
	b.WriteString(st.LiveID.Render(w.id))
	b.WriteString(" ")
	if w.gone {
		b.WriteString(st.StatusBad.Render("gone"))
		b.WriteString(sep + st.Muted.Render("last seen "+shortDuration(m.since(w.polled))+" ago"))
		return b.String()
	}
	b.WriteString(m.statusStyle(w.status).Render(firstNonEmpty(w.status, "unknown")))
	b.WriteString(st.Muted.Render(" for " + shortDuration(m.since(w.since))))
	if w.snap != nil {
		b.WriteString(sep)
		b.WriteString(m.c.bar.ViewAs(float64(w.snap.PercentProgress) / 100))
	}
	if w.inst != nil && w.inst.EngineVersion != "" {
		b.WriteString(sep + st.Value.Render("pg "+w.inst.EngineVersion))
	}
	if age != "" {
		b.WriteString(sep + age)
	}
	if w.err != "" {
		b.WriteString(sep + st.StatusBad.Render("poll failed: "+w.err))
	}
	if w.inst != nil {
		ep := "no endpoint yet"
		if w.inst.Address != "" {
			ep = fmt.Sprintf("%s:%d", w.inst.Address, w.inst.Port)
		}
		b.WriteString(sep + st.Muted.Render(ep))
	}
	return b.String()
}

// pulumiOps is how the Pulumi CLI shows each operation: its symbol and the
// words for planned, in progress, done and failed.
var pulumiOps = map[pulumiclient.Op][5]string{
	pulumiclient.OpCreate:            {"+ ", "create", "creating", "created", "creating failed"},
	pulumiclient.OpUpdate:            {"~ ", "update", "updating", "updated", "updating failed"},
	pulumiclient.OpDelete:            {"- ", "delete", "deleting", "deleted", "deleting failed"},
	pulumiclient.OpReplace:           {"+-", "replace", "replacing", "replaced", "replacing failed"},
	pulumiclient.OpCreateReplacement: {"++", "create replacement", "creating replacement", "created replacement", "creating replacement failed"},
	pulumiclient.OpDeleteReplaced:    {"--", "delete original", "deleting original", "deleted original", "deleting original failed"},
	pulumiclient.OpRefresh:           {"~ ", "refresh", "refreshing", "refreshed", "refreshing failed"},
	pulumiclient.OpRead:              {"> ", "read", "reading", "read", "reading failed"},
}

func (m *Model) pulumiLine(p pulumiRow) string {
	st := m.c.styles
	words, ok := pulumiOps[p.op]
	if !ok {
		words = [5]string{"  ", string(p.op), string(p.op) + "…", string(p.op) + " done", string(p.op) + " failed"}
	}
	style := st.PulumiUpdate
	switch p.op {
	case pulumiclient.OpCreate:
		style = st.PulumiCreate
	case pulumiclient.OpDelete, pulumiclient.OpDeleteReplaced:
		style = st.PulumiDelete
	case pulumiclient.OpReplace, pulumiclient.OpCreateReplacement:
		style = st.PulumiReplace
	}
	var status string
	switch p.status {
	case pulumiclient.StepPlanned:
		status = words[1]
	case pulumiclient.StepStarted:
		status = words[2] + "…"
	case pulumiclient.StepDone:
		status = words[3]
	case pulumiclient.StepFailed:
		status = st.StatusBad.Render(words[4])
	default:
		status = string(p.status)
	}
	line := " " + style.Render(words[0]) + " " + st.Value.Render(p.typ) + " " + st.LiveID.Render(p.name) + "  " + status
	if len(p.diffs) > 0 {
		line += st.Muted.Render(" [diff: ~" + strings.Join(p.diffs, ", ~") + "]")
	}
	if p.status == pulumiclient.StepFailed && p.message != "" {
		line += st.Muted.Render(" " + p.message)
	}
	return line
}
