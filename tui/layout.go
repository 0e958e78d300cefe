package tui

import (
	"fmt"
	"hash/fnv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/runview"
)

// wideWidth is the width from which the explanation sits beside the steps
// instead of sharing the lower pane with the log.
const wideWidth = 110

// layout is the height of each region for the current size and content.
type layout struct {
	bannerH, helpH, bodyH int
	stepsH                int // header + rows
	liveH                 int // header + rows, 0 when nothing is watched
	modalH                int // the open prompt's box, 0 when none
	paneH                 int // the lower pane: header + viewport, 0 for none
	leftW, rightW         int // wide layout only
	summaryH              int // finished screen summary lines
}

func (m *Model) wide() bool { return m.width >= wideWidth }

func (m *Model) bannerHeight() int {
	if m.run.Info.Production {
		return 4
	}
	return 3
}

// modal is the box over the screen, nil when none is open.
func (m *Model) modal() *promptModel {
	switch m.overlay {
	case overlayPrompt, overlaySending:
		return &m.prompt
	case overlayQuit:
		return &m.quit
	}
	return nil
}

func (m *Model) computeLayout() layout {
	var l layout
	l.bannerH = m.bannerHeight()
	l.helpH = 1
	if m.help.ShowAll {
		l.helpH = 3
	}
	l.bodyH = max(0, m.height-l.bannerH-l.helpH)
	rows := max(1, len(m.run.Steps))
	liveWant := 0
	if n := m.liveRowCount(); n > 0 {
		liveWant = n + 1
	}
	if m.wide() {
		l.leftW = min(60, m.width/2)
		l.rightW = m.width - l.leftW - 3
	}
	if box := m.modal(); box != nil {
		// The box takes what it needs; the step list and the live panel
		// stay visible above it, and the log fills what is left below.
		need := box.NaturalHeight()
		l.modalH = max(3, min(need, l.bodyH-3))
		rest := l.bodyH - l.modalH
		if liveWant > 0 {
			l.liveH = min(liveWant, max(2, rest/3))
		}
		l.stepsH = min(rows+1, rest-l.liveH)
		if l.stepsH < 3 {
			l.stepsH = min(rows+1, 3, rest)
			l.liveH = max(0, rest-l.stepsH)
			if l.liveH < 2 {
				l.liveH = 0
			}
		}
		l.paneH = rest - l.stepsH - l.liveH
		if l.paneH < 3 { // too small for a log: give the lines back
			grow := min(l.paneH, liveWant-l.liveH)
			l.liveH += grow
			l.paneH -= grow
			grow = min(l.paneH, rows+1-l.stepsH)
			l.stepsH += grow
			l.paneH -= grow
		}
		return l
	}
	if m.run.Finished {
		l.summaryH = strings.Count(m.summaryView(), "\n") + 1
	}
	if m.wide() {
		l.stepsH = min(rows+1, max(6, l.bodyH*3/5))
	} else {
		l.stepsH = min(rows+1, max(5, l.bodyH*2/5))
	}
	if liveWant > 0 {
		l.liveH = min(liveWant, max(3, l.bodyH/4))
	}
	l.paneH = l.bodyH - l.stepsH - l.liveH - l.summaryH
	if l.paneH < 3 { // give the pane room by shrinking the step list
		short := 3 - l.paneH
		l.stepsH = max(2, l.stepsH-short)
		l.paneH = l.bodyH - l.stepsH - l.liveH - l.summaryH
	}
	return l
}

func (m *Model) liveRowCount() int {
	n := len(m.run.Watches)
	if len(m.run.Pulumi.Rows) > 0 {
		n += len(m.run.Pulumi.Rows) + 1
	}
	return n
}

// modalWidth is the outer width of the prompt's box.
func (m *Model) modalWidth() int {
	if m.width <= 0 {
		return 78
	}
	return max(30, min(m.width-2, 90))
}

// sync brings the viewports and the open box in line with the size and the
// content after every Update, and asks for markdown that is not rendered
// yet.
func (m *Model) sync() tea.Cmd {
	if m.width <= 0 || m.height <= 0 {
		return nil
	}
	// The box: its width first, which decides the height it needs.
	if head := m.run.Prompt(); head != nil && (m.overlay == overlayPrompt || m.overlay == overlaySending) {
		m.prompt = m.prompt.withContext(m.promptHeader(head), m.sendErr)
	}
	if box := m.modal(); box != nil {
		*box = box.SetSize(m.modalWidth(), box.height)
	}
	l := m.computeLayout()
	var cmds []tea.Cmd
	if box := m.modal(); box != nil {
		*box = box.SetSize(m.modalWidth(), l.modalH)
	}
	if (m.overlay == overlayPrompt || m.overlay == overlaySending) && m.prompt.p.Body != "" && m.prompt.form == nil {
		w := m.prompt.bodyWidth()
		key := fmt.Sprintf("prompt:%s@%d", m.prompt.p.ID, w)
		text, ok := m.md[key]
		switch {
		case !ok && !m.requested[key]:
			m.requested[key] = true
			cmds = append(cmds, renderMarkdownCmd(m.c.md, key, m.prompt.p.Body, w))
		case ok && text != "" && !m.prompt.bodyMD:
			m.prompt = m.prompt.setBody(text)
		}
	}

	// The log.
	logH := max(1, l.paneH-1)
	if m.log.Width() != m.width || m.log.Height() != logH {
		m.log.SetWidth(m.width)
		m.log.SetHeight(logH)
	}
	if m.logSeq != m.run.LogSeq {
		m.log.SetContentLines(m.logLines())
	}
	if !m.logHeld {
		m.log.GotoBottom()
	}

	// The explanation of the current step.
	explW, explH := m.width, l.paneH-1
	if m.wide() {
		explW, explH = l.rightW, l.stepsH-1
	}
	explH = max(1, explH)
	if m.explain.Width() != explW || m.explain.Height() != explH {
		m.explain.SetWidth(explW)
		m.explain.SetHeight(explH)
		m.explKey = ""
	}
	if r := m.run.CurrentStep(); r != nil {
		md := stepMarkdown(r.Info, m.run.Vars)
		// The text is in the key: the commands change as variables become known.
		key := fmt.Sprintf("step:%s@%d#%x", r.Info.ID, explW, textHash(md))
		text, ok := m.md[key]
		if !ok && !m.requested[key] && md != "" {
			m.requested[key] = true
			cmds = append(cmds, renderMarkdownCmd(m.c.md, key, md, explW))
		}
		shown := key
		if !ok || text == "" {
			text, shown = md, key+":raw"
		}
		if shown != m.explKey {
			m.explain.SetContent(text)
			m.explain.GotoTop()
			m.explKey = shown
		}
	}
	return tea.Batch(cmds...)
}

// logLines are the run's log lines as the log pane shows them: the lines
// the live panel does not show already, styled by level. Lines are styled
// once, as they come (logSeq < 0 restyles them all, after a theme change).
func (m *Model) logLines() []string {
	fresh := m.run.LinesSince(m.logSeq)
	if m.logSeq < 0 || len(fresh) == len(m.run.Log) {
		m.logStyled = m.logStyled[:0]
		fresh = m.run.Log
	}
	m.logStyled = append(m.logStyled, m.styleLines(fresh)...)
	if over := len(m.logStyled) - runview.MaxLog; over > 0 {
		m.logStyled = append(m.logStyled[:0], m.logStyled[over:]...)
	}
	m.logSeq = m.run.LogSeq
	return m.logStyled
}

// styleLines styles log lines for the log pane.
func (m *Model) styleLines(lines []runview.Line) []string {
	st := m.c.styles
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if l.Level == runview.LevelDetail {
			continue
		}
		ts := "        "
		if !l.Time.IsZero() {
			ts = l.Time.In(m.c.loc).Format("15:04:05")
		}
		text := st.LogLine.Render(l.Text)
		if l.Level >= runview.LevelWarn {
			text = st.LogError.Render(l.Text)
		}
		out = append(out, st.LogTime.Render(ts)+" "+text)
	}
	return out
}

// stepMarkdown is the explanation of a step plus what one would type by
// hand, with the run's known variables filled into the commands.
func stepMarkdown(s engine.StepInfo, vars map[string]string) string {
	var b strings.Builder
	b.WriteString("## " + s.Title + "\n\n")
	if s.Explanation != "" {
		b.WriteString(strings.TrimSpace(s.Explanation))
		b.WriteString("\n")
	}
	if len(s.Commands) > 0 {
		b.WriteString("\nBy hand:\n\n")
		for _, c := range s.Commands {
			b.WriteString("    " + engine.Fill(c, vars) + "\n")
		}
	}
	return b.String()
}

// textHash tells texts apart in markdown cache keys.
func textHash(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}
