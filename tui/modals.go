package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/datalayer-tool/datalayer/pulumiclient"
	"github.com/datalayer-tool/datalayer/steps"
)

// modal draws a box in the middle of the body area.
func (m *Model) modal(content string, danger bool, h int) string {
	st := m.c.styles
	box := st.Modal
	if danger {
		box = st.ModalDanger
	}
	w := m.modalWidth()
	out := box.Width(w - 2).Render(content)
	return lipgloss.PlaceHorizontal(m.width, lipgloss.Center, fit(out, w, h))
}

// promptHeader is the first line of every modal: the step and, on
// production, a reminder.
func (m *Model) promptHeader(kind string) string {
	st := m.c.styles
	head := st.ModalTitle.Render(kind)
	if m.prompt != nil {
		if r := m.row(m.prompt.StepID); r != nil {
			head += st.Muted.Render(" · step " + fmt.Sprint(m.stepIndex(r.info.ID)+1) + " · " + r.info.Title)
		}
	}
	if n := len(m.queue) - 1; n > 0 {
		head += st.StepWaiting.Render(fmt.Sprintf(" · %d more waiting", n))
	}
	if m.info.Production || (m.prompt != nil && m.prompt.Production) {
		head = st.Production.Render("PRODUCTION") + " " + head
	}
	return head
}

func (m *Model) formView() string {
	out := m.promptHeader("Decision") + "\n\n" + m.form.View()
	if m.errText != "" {
		out += "\n" + m.c.styles.Error.Render(m.errText)
	}
	return out
}

// bodyText is a prompt's body as rendered markdown when ready; before, the
// text without its markup.
func (m *Model) bodyText(p *steps.Prompt) string {
	if p == nil || p.Body == "" {
		return ""
	}
	key := fmt.Sprintf("prompt:%s@%d", p.ID, m.modalWidth()-4)
	if t, ok := m.md[key]; ok && t != "" {
		return t
	}
	return strings.TrimSpace(stripMarkup(p.Body))
}

// clipBody shows n lines of a body from line off, saying what is above and
// below.
func clipBody(body string, n, off int) string {
	lines := strings.Split(body, "\n")
	if n < 1 {
		n = 1
	}
	if len(lines) <= n {
		return body
	}
	n = max(1, n-1) // one line for the hint
	off = max(0, min(off, len(lines)-n))
	shown := lines[off : off+n]
	below := len(lines) - off - n
	var hint string
	switch {
	case off > 0 && below > 0:
		hint = fmt.Sprintf("… %d lines above, %d below (pgup/pgdn)", off, below)
	case off > 0:
		hint = fmt.Sprintf("… %d lines above (pgup)", off)
	default:
		hint = fmt.Sprintf("… %d more lines (pgdn)", below)
	}
	return strings.Join(shown, "\n") + "\n" + hint
}

// bodyLines is how many lines the open prompt's body has.
func (m *Model) bodyLines() int {
	return strings.Count(m.bodyText(m.prompt), "\n") + 1
}

// maxBodyScroll is the largest useful scroll offset for a body shown in n
// lines.
func (m *Model) maxBodyScroll(n int) int {
	return max(0, m.bodyLines()-max(1, n-1))
}

// gateBodyRoom is how many lines the gate's body gets: the body area less the
// border (2), heading and title (2), two blank lines, the instruction and the
// input, and an error line when there is one.
func (m *Model) gateBodyRoom() int {
	room := m.computeLayout().bodyH - 8
	if m.gate.err != "" || m.errText != "" {
		room--
	}
	return room
}

func (m *Model) gateView() string {
	st := m.c.styles
	g := m.gate
	var b strings.Builder
	b.WriteString(m.promptHeader("Gate"))
	b.WriteString("\n" + st.ModalTitle.Render(g.prompt.Title) + "\n\n")
	if body := m.bodyText(m.prompt); body != "" {
		b.WriteString(clipBody(body, m.gateBodyRoom(), g.scroll) + "\n\n")
	}
	b.WriteString("Type " + st.OK.Render(g.expect) + " to go on, esc to back out:\n")
	b.WriteString(g.input.View())
	if g.err != "" {
		b.WriteString("\n" + st.Error.Render(g.err))
	}
	if m.errText != "" {
		b.WriteString("\n" + st.Error.Render(m.errText))
	}
	return b.String()
}

// manualBodyRoom is the manual step's share: border, heading, title, two
// blank lines, the note, and an error line.
func (m *Model) manualBodyRoom() int {
	room := m.computeLayout().bodyH - 7
	if m.manual.err != "" || m.errText != "" {
		room--
	}
	return room
}

func (m *Model) manualView() string {
	st := m.c.styles
	mm := m.manual
	var b strings.Builder
	b.WriteString(m.promptHeader("Your turn"))
	b.WriteString("\n" + st.ModalTitle.Render(mm.prompt.Title) + "\n\n")
	if body := m.bodyText(m.prompt); body != "" {
		b.WriteString(clipBody(body, m.manualBodyRoom(), mm.scroll) + "\n\n")
	}
	b.WriteString(mm.note.View())
	if mm.err != "" {
		b.WriteString("\n" + st.Error.Render(mm.err))
	}
	if m.errText != "" {
		b.WriteString("\n" + st.Error.Render(m.errText))
	}
	return b.String()
}

// quitView says what carries on in AWS without us, and how to come back.
func (m *Model) quitView(h int) string {
	st := m.c.styles
	var b strings.Builder
	b.WriteString(st.ModalTitle.Render("Quit now?") + "\n\n")
	var busy []string
	for i := range m.watches {
		w := &m.watches[i]
		if w.gone || w.status == "available" || w.status == "" {
			continue
		}
		line := fmt.Sprintf("%s %s is %s (for %s)", w.kind, w.id, w.status, shortDuration(m.since(w.since)))
		if w.snap != nil && w.status == "creating" {
			line += fmt.Sprintf(", %d%% done", w.snap.PercentProgress)
		}
		busy = append(busy, line)
	}
	for _, p := range m.pulumi {
		if p.status == pulumiclient.StepStarted {
			words := pulumiOps[p.op]
			busy = append(busy, fmt.Sprintf("pulumi is %s %s (%s)", firstNonEmpty(words[2], string(p.op)), p.name, p.typ))
		}
	}
	if len(busy) > 0 {
		b.WriteString("These carry on in AWS without us:\n")
		for _, l := range busy {
			b.WriteString(" • " + l + "\n")
		}
	} else {
		b.WriteString("Nothing is changing in AWS right now.\n")
	}
	if r := m.currentRow(); r != nil && (r.state == steps.StateRunning || r.state == steps.StateWaitingForYou) {
		b.WriteString("\nThe run stops at “" + r.info.Title + "”; it is journalled.\n")
	}
	b.WriteString("\nPick it up again with:\n  " + st.OK.Render("datalayer resume "+m.info.RunID) + "\n")
	return clipBody(b.String(), h, 0)
}
