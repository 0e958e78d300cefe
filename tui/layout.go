package tui

import (
	"fmt"
	"hash/fnv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/datalayer-tool/datalayer/steps"
)

// wideWidth is the width from which the explanation sits beside the steps
// instead of sharing the lower pane with the log.
const wideWidth = 110

// layout is the height of each region for the current size and content.
type layout struct {
	bannerH, helpH, bodyH int
	stepsH                int // header + rows
	liveH                 int // header + rows, 0 when nothing is watched
	paneH                 int // the lower pane: header + viewport
	leftW, rightW         int // wide layout only
	summaryH              int // finished screen summary lines
}

func (m *Model) wide() bool { return m.width >= wideWidth }

func (m *Model) bannerHeight() int {
	if m.info.Production {
		return 4
	}
	return 3
}

func (m *Model) computeLayout() layout {
	var l layout
	l.bannerH = m.bannerHeight()
	l.helpH = 1
	if m.help.ShowAll {
		l.helpH = 3
	}
	l.bodyH = max(0, m.height-l.bannerH-l.helpH)
	if m.finished {
		l.summaryH = strings.Count(m.summaryView(), "\n") + 1
	}
	rows := max(1, len(m.steps))
	if m.wide() {
		l.leftW = min(60, m.width/2)
		l.rightW = m.width - l.leftW - 3
		l.stepsH = min(rows+1, max(6, l.bodyH*3/5))
	} else {
		l.stepsH = min(rows+1, max(5, l.bodyH*2/5))
	}
	live := m.liveRowCount()
	if live > 0 {
		l.liveH = min(live+1, max(3, l.bodyH/4))
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
	n := len(m.watches)
	if len(m.pulumi) > 0 {
		n += len(m.pulumi) + 1
	}
	return n
}

// modalWidth is the outer width of modals.
func (m *Model) modalWidth() int {
	if m.width <= 0 {
		return 78
	}
	return max(30, min(m.width-2, 90))
}

// sync brings the viewports in line with the size and the content after
// every Update, and asks for markdown that is not rendered yet.
func (m *Model) sync() tea.Cmd {
	if m.width <= 0 || m.height <= 0 {
		return nil
	}
	l := m.computeLayout()
	var cmds []tea.Cmd

	// The log.
	logW, logH := m.width, l.paneH-1
	if m.wide() {
		logW = m.width
	}
	if m.log.Width != logW || m.log.Height != max(1, logH) {
		m.log.Width, m.log.Height = logW, max(1, logH)
		m.logDirty = true
	}
	logShown := m.wide() || m.pane == paneLog || m.finished
	if m.logDirty && logShown {
		m.log.SetContent(strings.Join(m.logLines, "\n"))
		m.logDirty = false
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
	if m.explain.Width != explW || m.explain.Height != explH {
		m.explain.Width, m.explain.Height = explW, explH
		m.explKey = ""
	}
	if r := m.currentRow(); r != nil {
		md := stepMarkdown(r.info, m.vars)
		// The text is in the key: the commands change as variables become known.
		key := fmt.Sprintf("step:%s@%d#%x", r.info.ID, explW, textHash(md))
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

	// A gate's or manual step's body.
	if m.prompt != nil && m.prompt.Body != "" && (m.mode == modeGate || m.mode == modeManual) {
		w := m.modalWidth() - 4
		key := fmt.Sprintf("prompt:%s@%d", m.prompt.ID, w)
		if _, ok := m.md[key]; !ok && !m.requested[key] {
			m.requested[key] = true
			cmds = append(cmds, renderMarkdownCmd(m.c.md, key, m.prompt.Body, w))
		}
	}
	return tea.Batch(cmds...)
}

// currentRow is the step being run, or the last one that was.
func (m *Model) currentRow() *stepRow {
	if m.current != "" {
		if r := m.row(m.current); r != nil {
			return r
		}
	}
	if len(m.steps) > 0 {
		return &m.steps[0]
	}
	return nil
}

func (m *Model) currentIndex() int { return m.stepIndex(m.current) }

func (m *Model) stepIndex(id string) int {
	for i := range m.steps {
		if m.steps[i].info.ID == id {
			return i
		}
	}
	return 0
}

// stepMarkdown is the explanation of a step plus what one would type by
// hand, with the run's known variables filled into the commands.
func stepMarkdown(s steps.StepInfo, vars map[string]string) string {
	var b strings.Builder
	b.WriteString("## " + s.Title + "\n\n")
	if s.Explanation != "" {
		b.WriteString(strings.TrimSpace(s.Explanation))
		b.WriteString("\n")
	}
	if len(s.Commands) > 0 {
		b.WriteString("\nBy hand:\n\n")
		for _, c := range s.Commands {
			b.WriteString("    " + steps.Fill(c, vars) + "\n")
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
