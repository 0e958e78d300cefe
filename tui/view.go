package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/datalayer-tool/datalayer/steps"
)

// View implements tea.Model.
func (m *Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return "datalayer: starting…"
	}
	l := m.computeLayout()
	var body string
	switch {
	case m.confirmQuit:
		body = m.modal(m.quitView(l.bodyH-2), true, l.bodyH)
	case m.mode == modeForm && m.form != nil:
		body = m.modal(m.formView(), false, l.bodyH)
	case m.mode == modeGate:
		body = m.modal(m.gateView(), true, l.bodyH)
	case m.mode == modeManual:
		body = m.modal(m.manualView(), false, l.bodyH)
	default:
		body = m.mainView(l)
	}
	return lipgloss.JoinVertical(lipgloss.Left,
		fit(m.bannerView(), m.width, l.bannerH),
		fit(body, m.width, l.bodyH),
		fit(m.helpView(), m.width, l.helpH),
	)
}

// mainView is the step list, the live panel and the lower pane.
func (m *Model) mainView(l layout) string {
	parts := make([]string, 0, 4)
	if m.wide() {
		left := fit(m.stepsView(l.leftW, l.stepsH), l.leftW, l.stepsH)
		right := fit(m.c.styles.Section.Render("Explanation")+"\n"+m.explain.View(), l.rightW, l.stepsH)
		sep := strings.TrimSuffix(strings.Repeat(m.c.styles.Muted.Render(" │ ")+"\n", l.stepsH), "\n")
		parts = append(parts, lipgloss.JoinHorizontal(lipgloss.Top, padBlock(left, l.leftW), sep, right))
	} else {
		parts = append(parts, fit(m.stepsView(m.width, l.stepsH), m.width, l.stepsH))
	}
	if l.liveH > 0 {
		parts = append(parts, fit(m.liveView(m.width, l.liveH), m.width, l.liveH))
	}
	if l.summaryH > 0 {
		parts = append(parts, fit(m.summaryView(), m.width, l.summaryH))
	}
	parts = append(parts, fit(m.paneView(), m.width, l.paneH))
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
	counts := map[steps.State]int{}
	for _, r := range m.steps {
		counts[r.state]++
	}
	tally := fmt.Sprintf("%d done, %d skipped", counts[steps.StateDone], counts[steps.StateSkipped])
	if n := counts[steps.StatePending]; n > 0 {
		tally += fmt.Sprintf(", %d not run", n)
	}
	if m.failure != "" {
		where := ""
		for _, r := range m.steps {
			if r.state == steps.StateFailed {
				where = " at “" + r.info.Title + "”"
				break
			}
		}
		// The reason is what the person needs most: wrap it, up to 3 lines.
		reason := ansi.Wordwrap("✗ Run failed"+where+": "+m.failure, max(20, m.width), " ")
		if lines := strings.Split(reason, "\n"); len(lines) > 3 {
			reason = strings.Join(lines[:3], "\n")
		}
		return st.FinishedFail.Render(reason) + "\n" +
			st.Muted.Render(tally) + "\n" +
			st.Hint.Render("Fix the cause, then continue with: datalayer resume "+m.info.RunID)
	}
	took := ""
	if m.totalTime > 0 {
		took = " in " + clockDuration(m.totalTime)
	}
	head := "✓ Run finished" + took
	if strings.HasPrefix(m.endText, "stopped") {
		head = "✓ Run " + m.endText
	}
	return st.FinishedOK.Render(head) + st.Muted.Render(" · "+tally) + "\n" +
		st.Hint.Render("Timeline: datalayer report "+m.info.RunID) + "\n"
}

// helpView is the key bar for the current screen.
func (m *Model) helpView() string {
	return m.help.View(m.keysNow())
}

func (m *Model) keysNow() bindings {
	k := m.c.keys
	switch {
	case m.confirmQuit:
		return bindings{k.Yes, k.No}
	case m.finished:
		return bindings{k.Close, k.Up, k.Down, k.Pane}
	case m.mode == modeForm:
		if m.prompt != nil && m.prompt.Kind == steps.PromptConfirm {
			return bindings{k.Toggle, k.Answer, k.FormQuit}
		}
		if m.prompt != nil && m.prompt.Kind == steps.PromptText {
			return bindings{k.Answer, k.FormQuit}
		}
		return bindings{k.Choose, k.Answer, k.FormQuit}
	case m.mode == modeGate:
		return bindings{k.Confirm, k.Back, k.PageDown, k.PageUp, k.Force}
	case m.mode == modeManual:
		if m.manual.editing {
			return bindings{k.KeepNote, k.StopNote}
		}
		return bindings{k.Done, k.Skip, k.Note, k.PageDown, k.Quit}
	}
	return bindings{k.Quit, k.Pane, k.Up, k.Down, k.PageUp, k.PageDown, k.Help}
}
