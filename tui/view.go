package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/datalayer-tool/datalayer/engine"
)

// View implements tea.Model. The run is drawn on the alternate screen unless
// Options said otherwise.
func (m *Model) View() tea.View {
	v := tea.NewView(m.frame())
	v.AltScreen = !m.c.inline
	return v
}

// frame is the screen as text: banner, body, key bar.
func (m *Model) frame() string {
	if m.width <= 0 || m.height <= 0 {
		return "datalayer: starting…"
	}
	l := m.computeLayout()
	var body string
	if box := m.modal(); box != nil {
		body = m.modalBody(l, box)
	} else {
		body = m.mainView(l)
	}
	return lipgloss.JoinVertical(lipgloss.Left,
		fit(m.bannerView(), m.width, l.bannerH),
		fit(body, m.width, l.bodyH),
		fit(m.helpView(), m.width, l.helpH),
	)
}

// topView is the step list, with the explanation beside it on wide
// terminals.
func (m *Model) topView(l layout) string {
	if !m.wide() {
		return fit(m.stepsView(m.width, l.stepsH), m.width, l.stepsH)
	}
	left := fit(m.stepsView(l.leftW, l.stepsH), l.leftW, l.stepsH)
	right := fit(m.c.styles.Section.Render("Explanation")+"\n"+m.explain.View(), l.rightW, l.stepsH)
	sep := strings.TrimSuffix(strings.Repeat(m.c.styles.Muted.Render(" │ ")+"\n", l.stepsH), "\n")
	return lipgloss.JoinHorizontal(lipgloss.Top, padBlock(left, l.leftW), sep, right)
}

// mainView is the step list, the live panel and the lower pane.
func (m *Model) mainView(l layout) string {
	parts := []string{m.topView(l)}
	if l.liveH > 0 {
		parts = append(parts, fit(m.liveView(m.width, l.liveH), m.width, l.liveH))
	}
	if l.summaryH > 0 {
		parts = append(parts, fit(m.summaryView(), m.width, l.summaryH))
	}
	parts = append(parts, fit(m.paneView(), m.width, l.paneH))
	return strings.Join(parts, "\n")
}

// modalBody keeps the step list and the live panel in view above the open
// box, and the end of the log below it when there is room.
func (m *Model) modalBody(l layout, box *promptModel) string {
	parts := []string{m.topView(l)}
	if l.liveH > 0 {
		parts = append(parts, fit(m.liveView(m.width, l.liveH), m.width, l.liveH))
	}
	parts = append(parts, fit(lipgloss.PlaceHorizontal(m.width, lipgloss.Center, box.View()), m.width, l.modalH))
	if l.paneH > 0 {
		parts = append(parts, fit(m.c.styles.Section.Render("Log")+"\n"+m.log.View(), m.width, l.paneH))
	}
	return strings.Join(parts, "\n")
}

// padBlock pads every line of a block to width w.
func padBlock(s string, w int) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = padRight(lines[i], w)
	}
	return strings.Join(lines, "\n")
}

// paneView is the lower pane: the log, or on narrow terminals the
// explanation, with tabs to switch.
func (m *Model) paneView() string {
	st := m.c.styles
	if m.wide() {
		return st.Section.Render("Log") + "\n" + m.log.View()
	}
	expl, logT := st.TabActive.Render("[Explanation]"), st.Tab.Render(" Log ")
	content := m.explain.View()
	if m.pane == paneLog {
		expl, logT = st.Tab.Render(" Explanation "), st.TabActive.Render("[Log]")
		content = m.log.View()
	}
	return expl + logT + st.Muted.Render(" tab switches") + "\n" + content
}

// summaryView closes a finished run.
func (m *Model) summaryView() string {
	st := m.c.styles
	counts := m.run.Counts()
	tally := fmt.Sprintf("%d done, %d skipped", counts[engine.StateDone], counts[engine.StateSkipped])
	if n := counts[engine.StatePending]; n > 0 {
		tally += fmt.Sprintf(", %d not run", n)
	}
	if m.run.Failure != "" {
		where := ""
		if r := m.run.FailedStep(); r != nil {
			where = " at “" + r.Info.Title + "”"
		}
		// The reason is what the person needs most: wrap it, up to 3 lines.
		reason := wrapText("✗ Run failed"+where+": "+m.run.Failure, max(20, m.width))
		if lines := strings.Split(reason, "\n"); len(lines) > 3 {
			reason = strings.Join(lines[:3], "\n")
		}
		return st.FinishedFail.Render(reason) + "\n" +
			st.Muted.Render(tally) + "\n" +
			st.Hint.Render("Fix the cause, then continue with: datalayer resume "+m.run.Info.RunID)
	}
	took := ""
	if m.run.Total > 0 {
		took = " in " + clockDuration(m.run.Total)
	}
	head := "✓ Run finished" + took
	if strings.HasPrefix(m.run.EndText, "stopped") {
		head = "✓ Run " + m.run.EndText
	}
	return st.FinishedOK.Render(head) + st.Muted.Render(" · "+tally) + "\n" +
		st.Hint.Render("Timeline: datalayer report "+m.run.Info.RunID) + "\n"
}

// helpView is the key bar for the current screen.
func (m *Model) helpView() string {
	return m.help.View(m.keysNow())
}

func (m *Model) keysNow() bindings {
	k := m.c.keys
	switch {
	case m.overlay == overlayQuit:
		return m.quit.keys()
	case m.run.Finished:
		return bindings{k.Close, k.Up, k.Down, k.Pane}
	case m.overlay == overlayPrompt, m.overlay == overlaySending:
		return m.prompt.keys()
	}
	return bindings{k.Quit, k.Pane, k.Up, k.Down, k.PageUp, k.PageDown, k.Help}
}

// promptHeader is the first line of the prompt's box: what it is, the step,
// how many more wait, and on production a reminder.
func (m *Model) promptHeader(p *engine.Prompt) string {
	st := m.c.styles
	kind := "Decision"
	switch p.Kind {
	case engine.PromptGate:
		kind = "Gate"
	case engine.PromptManual:
		kind = "Your turn"
	}
	head := st.ModalTitle.Render(kind)
	if r := m.run.Step(p.StepID); r != nil {
		head += st.Muted.Render(" · step " + fmt.Sprint(m.run.StepIndex(r.Info.ID)+1) + " · " + r.Info.Title)
	}
	if n := len(m.run.Prompts) - 1; n > 0 {
		head += st.StepWaiting.Render(fmt.Sprintf(" · %d more waiting", n))
	}
	if m.run.Info.Production || p.Production {
		head = st.Production.Render("PRODUCTION") + " " + head
	}
	return head
}
