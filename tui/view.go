package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/datalayer-tool/datalayer/pulumiclient"
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

// bannerView says who we are acting as and where, before anything else.
func (m *Model) bannerView() string {
	st := m.c.styles
	info := m.info
	var lines []string
	if info.Production {
		bar := "PRODUCTION · stack " + info.Stack + " · every change here reaches real users"
		lines = append(lines, st.Production.Width(m.width).Render(truncate(bar, m.width-2)))
	}
	tag := st.Staging.Render("[" + envName(info) + "]")
	if info.Rehearsal {
		tag = st.Rehearsal.Render("REHEARSAL")
	} else if info.Production {
		tag = st.Production.Render("PRODUCTION")
	}
	title := st.TitleBar.Render("datalayer "+info.Runbook) + st.Muted.Render(" · stack ") +
		st.Value.Render(info.Stack) + st.Muted.Render(" · run "+info.RunID)
	lines = append(lines, tag+" "+title)

	id := info.Identity
	if id == nil {
		lines = append(lines, st.StepWaiting.Render("identity not checked yet: the first step asks AWS who we are"), "")
		return strings.Join(lines, "\n")
	}
	kv := func(k, v string) string { return st.Key.Render(k+" ") + st.Value.Render(v) }
	sep := st.Muted.Render(" · ")
	lines = append(lines, kv("account", id.Account)+sep+kv("as", principal(id.ARN)))
	second := kv("credentials", firstNonEmpty(id.CredentialSource, "unknown"))
	if id.Profile != "" {
		second += sep + kv("profile", id.Profile)
	}
	second += sep + kv("region", firstNonEmpty(id.Region, "unset"))
	if id.Endpoint != "" {
		second += sep + kv("endpoint", id.Endpoint)
	}
	lines = append(lines, second)
	return strings.Join(lines, "\n")
}

func envName(info steps.RunInfo) string {
	if info.Production {
		return "production"
	}
	return "non-production"
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
		right = clockDuration(m.now.Sub(r.started))
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
	if r.state == steps.StateRunning && r.expected > 0 && m.now.Sub(r.started) > r.expected {
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
		age = st.Muted.Render("changed " + shortDuration(m.now.Sub(w.polled)) + " ago")
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
		b.WriteString(sep + st.Muted.Render("last seen "+shortDuration(m.now.Sub(w.polled))+" ago"))
		return b.String()
	}
	b.WriteString(m.statusStyle(w.status).Render(firstNonEmpty(w.status, "unknown")))
	b.WriteString(st.Muted.Render(" for " + shortDuration(m.now.Sub(w.since))))
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

// bodyText is a prompt's body as rendered markdown when ready, raw before.
func (m *Model) bodyText(p *steps.Prompt) string {
	if p == nil || p.Body == "" {
		return ""
	}
	key := fmt.Sprintf("prompt:%s@%d", p.ID, m.modalWidth()-4)
	if t, ok := m.md[key]; ok && t != "" {
		return t
	}
	return strings.TrimSpace(p.Body)
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
		line := fmt.Sprintf("%s %s is %s (for %s)", w.kind, w.id, w.status, shortDuration(m.now.Sub(w.since)))
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
