package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/pulumiclient"
	"github.com/datalayer-tool/datalayer/steps"
)

// DeclinedValue is the answer value sent when a gate is backed out of with
// Esc. Any value other than the prompt's Expect is a refusal to the engine;
// this one also reads well in the journal.
const DeclinedValue = steps.GateDeclined

// maxLogLines caps the log kept in memory and shown in the viewport.
const maxLogLines = 2000

// mode is which screen has the keyboard.
type mode int

const (
	modeMain   mode = iota // step list, live panel, log
	modeForm               // a huh form: choice, confirm or text prompt
	modeGate               // the typed-confirmation modal
	modeManual             // a manual checklist step
)

var modeNames = [...]string{"main", "form", "gate", "manual"}

// String returns the mode's name.
func (m mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "unknown"
}

// pane is what the lower pane shows on narrow terminals.
type pane int

const (
	paneExplanation pane = iota
	paneLog
)

var paneNames = [...]string{"explanation", "log"}

// String returns the pane's name.
func (p pane) String() string {
	if int(p) < len(paneNames) {
		return paneNames[p]
	}
	return "unknown"
}

// common is what every part of the UI shares: styles, keys, clock, renderer.
type common struct {
	ctx      context.Context
	styles   Styles
	keys     keyMap
	clock    clock.Clock
	speed    clock.Speed // the clock's: spans between instants shown in AWS time
	tick     time.Duration
	loc      *time.Location
	md       *markdownRenderer
	bar      progress.Model
	huhTheme *huh.Theme
	noColor  bool
}

// stepRow is a step and where it is.
type stepRow struct {
	info     steps.StepInfo
	state    steps.State
	started  time.Time
	elapsed  time.Duration
	expected time.Duration
	err      string
	note     string
}

// watch is a watched instance or snapshot, from the poller's samples.
type watch struct {
	kind   string
	id     string
	status string
	since  time.Time // when the current status was first seen
	polled time.Time // the latest sample
	gone   bool
	err    string
	inst   *awsclient.Instance
	snap   *awsclient.Snapshot
}

// pulumiRow is one resource operation as the Pulumi CLI shows it.
type pulumiRow struct {
	urn     string
	typ     string
	name    string
	op      pulumiclient.Op
	status  pulumiclient.ProgressStatus
	diffs   []string
	message string
}

// Model is the root bubbletea model of a run.
type Model struct {
	c       *common
	session steps.Session
	events  <-chan steps.Event // session.Events(), read once in New
	info    steps.RunInfo

	width, height int
	now           time.Time

	steps   []stepRow
	current string // ID of the step being run or last run

	watches []watch
	pollErr string // the last poll failed as a whole
	pulumi  []pulumiRow
	pStep   string // the step the Pulumi rows belong to

	logLines []string
	logDirty bool
	logHeld  bool // the person scrolled up: stop following new lines
	log      viewport.Model
	explain  viewport.Model
	explKey  string // markdown key shown in explain
	pane     pane
	help     help.Model

	mode    mode
	prompt  *steps.Prompt  // the prompt on screen: queue[0]
	queue   []steps.Prompt // prompts waiting for an answer, in arrival order
	form    *huh.Form
	formVal string
	formOK  bool
	gate    gateModel
	manual  manualModel
	sending bool // an answer is on its way to the engine
	errText string

	// vars are the run's known variables that are not secret, filled into
	// the commands shown for a step.
	vars map[string]string

	md        map[string]string // rendered markdown by key
	requested map[string]bool

	confirmQuit bool
	interrupted bool
	finished    bool
	closed      bool
	failure     string // run-finished Err, or why the session ended early
	endText     string // run-finished Text, e.g. "stopped: nothing to restore"
	totalTime   time.Duration
}

// New builds the root model for a session. It reads the session's Info and
// Steps, and the clock once; it starts nothing.
func New(ctx context.Context, s steps.Session, opts Options) *Model {
	if ctx == nil {
		ctx = context.Background()
	}
	opts = opts.withDefaults()
	r := lipgloss.DefaultRenderer()
	if opts.NoColor {
		r = lipgloss.NewRenderer(opts.Output)
		r.SetColorProfile(termenv.Ascii)
	}
	st := NewStyles(r, opts.Theme)
	barOpts := []progress.Option{progress.WithWidth(20), progress.WithFillCharacters('█', '░')}
	if opts.NoColor {
		barOpts = append(barOpts, progress.WithColorProfile(termenv.Ascii), progress.WithSolidFill(""))
	} else {
		barOpts = append(barOpts, progress.WithDefaultGradient())
	}
	theme := huh.ThemeCharm()
	if opts.NoColor {
		theme = noColorFormTheme()
	}
	c := &common{
		ctx:      ctx,
		styles:   st,
		keys:     newKeyMap(),
		clock:    opts.Clock,
		speed:    clock.SpeedOf(opts.Clock),
		tick:     opts.TickInterval,
		loc:      opts.Location,
		md:       newMarkdownRenderer(opts.MarkdownStyle),
		bar:      progress.New(barOpts...),
		huhTheme: theme,
		noColor:  opts.NoColor,
	}
	h := help.New()
	h.Styles = st.Help
	m := &Model{
		c:         c,
		session:   s,
		events:    s.Events(),
		info:      s.Info(),
		now:       opts.Clock.Now(),
		log:       viewport.New(0, 0),
		explain:   viewport.New(0, 0),
		help:      h,
		md:        map[string]string{},
		requested: map[string]bool{},
	}
	m.vars = initialVars(s, m.info)
	m.setSteps(s.Steps())
	return m
}

// since is how much AWS time has passed from t to the model's now: in a
// rehearsal, the wall-clock span played at the clock's speed.
func (m *Model) since(t time.Time) time.Duration {
	return m.c.speed.SimTime(m.now.Sub(t))
}

// Init implements tea.Model: start reading events and the refresh tick.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{waitEventsCmd(m.c.ctx, m.events, m.c.clock)}
	if m.c.tick > 0 {
		cmds = append(cmds, tickCmd(m.c.tick, m.c.clock))
	}
	return tea.Batch(cmds...)
}

// Update implements tea.Model. It only changes the model; every effect is a
// returned Cmd.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	return m, tea.Batch(cmd, m.sync())
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.Width = msg.Width
		if m.form != nil {
			m.form = m.form.WithWidth(m.modalWidth() - 4)
			return m.updateForm(m.formSize())
		}
		return nil

	case eventsMsg:
		m.advance(msg.now)
		var cmds []tea.Cmd
		for _, ev := range msg.events {
			m.apply(ev)
			if ev.Type == steps.EventStepFinished && m.info.Identity == nil {
				cmds = append(cmds, infoCmd(m.session))
			}
		}
		if len(cmds) > 1 {
			cmds = cmds[:1]
		}
		cmds = append(cmds, m.openPromptCmd())
		if msg.closed {
			m.sessionClosed()
		} else {
			cmds = append(cmds, waitEventsCmd(m.c.ctx, m.events, m.c.clock))
		}
		return tea.Batch(cmds...)

	case infoMsg:
		if msg.info.Identity != nil {
			m.info.Identity = msg.info.Identity
		}
		return nil

	case sessionClosedMsg:
		m.advance(msg.now)
		m.sessionClosed()
		return nil

	case tickMsg:
		m.advance(msg.now)
		if m.finished {
			return nil
		}
		return tickCmd(m.c.tick, m.c.clock)

	case answerSentMsg:
		m.sending = false
		if msg.err != nil {
			m.errText = msg.err.Error()
			m.appendLog(m.now, "error: "+msg.err.Error(), true)
			return m.reopenPrompt()
		}
		m.answered(msg.answer.PromptID)
		return m.openPromptCmd()

	case markdownMsg:
		if msg.err != nil {
			m.md[msg.key] = "" // fall back to the raw text
			m.appendLog(m.now, msg.err.Error(), true)
			return nil
		}
		m.md[msg.key] = msg.text
		return nil

	case formDoneMsg:
		return m.submitForm(msg.promptID)

	case formCancelledMsg:
		m.confirmQuit = true
		return nil

	case tea.KeyMsg:
		return m.handleKey(msg)
	}

	// Anything else (cursor blinks, form internals) goes to the active child.
	switch m.mode {
	case modeForm:
		return m.updateForm(msg)
	case modeGate:
		var cmd tea.Cmd
		m.gate.input, cmd = m.gate.input.Update(msg)
		return cmd
	case modeManual:
		var cmd tea.Cmd
		m.manual.note, cmd = m.manual.note.Update(msg)
		return cmd
	}
	return nil
}

// advance moves the model's notion of now forward; it never goes back.
func (m *Model) advance(now time.Time) {
	if now.After(m.now) {
		m.now = now
	}
}

func (m *Model) handleKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.keys
	if m.confirmQuit {
		switch {
		case key.Matches(msg, k.Force), key.Matches(msg, k.Yes):
			m.interrupted = true
			return tea.Interrupt
		case key.Matches(msg, k.No):
			m.confirmQuit = false
			if m.mode == modeForm && m.form != nil && m.form.State != huh.StateNormal {
				return m.reopenPrompt()
			}
		}
		return nil
	}
	if m.finished {
		switch {
		case key.Matches(msg, k.Close):
			return tea.Quit
		case key.Matches(msg, k.Pane):
			m.togglePane()
		default:
			m.scroll(msg)
		}
		return nil
	}
	if m.sending && m.mode != modeMain {
		return nil // the answer is on its way; ignore keys until it lands
	}
	switch m.mode {
	case modeForm:
		return m.updateForm(msg)
	case modeGate:
		g, cmd, ans := m.gate.update(msg, k)
		g.scroll = min(g.scroll, m.maxBodyScroll(m.gateBodyRoom()))
		m.gate = g
		if ans != nil {
			return m.send(*ans)
		}
		if g.quit {
			m.gate.quit = false
			m.confirmQuit = true
		}
		return cmd
	case modeManual:
		mm, cmd, ans := m.manual.update(msg, k)
		mm.scroll = min(mm.scroll, m.maxBodyScroll(m.manualBodyRoom()))
		m.manual = mm
		if ans != nil {
			return m.send(*ans)
		}
		if mm.quit {
			m.manual.quit = false
			m.confirmQuit = true
		}
		return cmd
	}
	switch {
	case key.Matches(msg, k.Quit):
		m.confirmQuit = true
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
	case key.Matches(msg, k.Pane):
		m.togglePane()
	default:
		m.scroll(msg)
	}
	return nil
}

func (m *Model) togglePane() {
	if m.pane == paneLog {
		m.pane = paneExplanation
	} else {
		m.pane = paneLog
	}
}

// scroll moves the pane that has focus: the log on wide terminals and
// whenever the log pane is shown.
func (m *Model) scroll(msg tea.KeyMsg) {
	vp := &m.log
	if !m.wide() && m.pane == paneExplanation {
		vp = &m.explain
	}
	k := m.c.keys
	switch {
	case key.Matches(msg, k.Up):
		vp.ScrollUp(1)
	case key.Matches(msg, k.Down):
		vp.ScrollDown(1)
	case key.Matches(msg, k.PageUp):
		vp.PageUp()
	case key.Matches(msg, k.PageDown):
		vp.PageDown()
	default:
		return
	}
	if vp == &m.log {
		m.logHeld = !m.log.AtBottom()
	}
}

func (m *Model) send(a steps.Answer) tea.Cmd {
	m.sending = true
	m.errText = ""
	return answerCmd(m.session, a)
}

// apply folds one engine event into the model.
func (m *Model) apply(ev steps.Event) {
	switch ev.Type {
	case steps.EventRunStarted:
		if ev.Run != nil {
			info := *ev.Run
			if info.RunID == "" {
				info.RunID = m.info.RunID
			}
			if info.Identity == nil {
				info.Identity = m.info.Identity
			}
			m.info = info
			if _, ok := m.vars["stack"]; !ok && info.Stack != "" {
				m.vars["stack"] = info.Stack
			}
		}
		m.appendLog(ev.Time, fmt.Sprintf("run %s %s", m.info.RunID, firstNonEmpty(ev.Text, "started")), false)
	case steps.EventWarning:
		m.appendLog(ev.Time, "warning: "+firstNonEmpty(ev.Text, ev.Err), true)
	case steps.EventSteps:
		m.setSteps(ev.Steps)
	case steps.EventStepStarted:
		r := m.row(ev.StepID)
		if r == nil {
			return
		}
		r.state = steps.StateRunning
		r.started = ev.Time
		r.expected = ev.Expected
		r.err = ""
		m.current = ev.StepID
		m.appendLog(ev.Time, "▶ "+r.info.Title, false)
	case steps.EventStepFinished:
		if r := m.row(ev.StepID); r != nil {
			r.state = steps.StateDone
			r.elapsed = ev.Elapsed
			if ev.Expected > 0 {
				r.expected = ev.Expected
			}
			line := "✓ " + r.info.Title + " (" + clockDuration(ev.Elapsed) + ")"
			if ev.Resumed || ev.Text != "" {
				line = "✓ " + r.info.Title + ": " + firstNonEmpty(ev.Text, "done before the interruption")
			}
			m.appendLog(ev.Time, line, false)
		}
	case steps.EventStepFailed:
		if r := m.row(ev.StepID); r != nil {
			r.state = steps.StateFailed
			r.elapsed = ev.Elapsed
			r.err = firstNonEmpty(ev.Err, ev.Text)
			m.current = ev.StepID
			m.appendLog(ev.Time, "✗ "+r.info.Title+": "+r.err, true)
		}
	case steps.EventStepSkipped:
		if r := m.row(ev.StepID); r != nil {
			r.state = steps.StateSkipped
			r.note = ev.Text
			line := "– " + r.info.Title + " skipped"
			if ev.Text != "" {
				line += ": " + ev.Text
			}
			m.appendLog(ev.Time, line, false)
		}
	case steps.EventOutput:
		for _, l := range strings.Split(strings.TrimRight(ev.Text, "\n"), "\n") {
			m.appendLog(ev.Time, l, ev.Err != "")
		}
	case steps.EventVariable:
		m.appendLog(ev.Time, ev.Name+" = "+ev.Value, false)
		if ev.Secret {
			delete(m.vars, ev.Name) // its value is redacted: never shown in a command
		} else if ev.Name != "" {
			m.vars[ev.Name] = ev.Value
		}
	case steps.EventStatus:
		if ev.Status != nil {
			m.applyStatus(*ev.Status, ev.Time)
		}
	case steps.EventPulumi:
		if ev.Pulumi != nil {
			m.applyPulumi(ev.StepID, *ev.Pulumi, ev.Time)
		}
	case steps.EventPrompt:
		if ev.Prompt == nil {
			return
		}
		p := *ev.Prompt
		if ev.Answer != nil { // answered on its own (--yes, a flag): nothing to ask
			line := p.Title + " → " + ev.Answer.Value
			if ev.Answer.Note != "" {
				line += " (" + ev.Answer.Note + ")"
			}
			m.appendLog(ev.Time, line, false)
			return
		}
		if r := m.row(p.StepID); r != nil {
			r.state = steps.StateWaitingForYou
			if r.started.IsZero() {
				r.started = ev.Time
			}
			m.current = p.StepID
		}
		for _, q := range m.queue {
			if q.ID == p.ID {
				return
			}
		}
		// Steps of a group run side by side and may ask at the same time:
		// prompts queue up and are shown one after the other.
		m.queue = append(m.queue, p)
		if m.prompt == nil {
			m.prompt = &m.queue[0]
			m.mode = modeMain // opened by openPromptCmd after the batch
			m.form = nil
		}
	case steps.EventAnswer:
		if ev.Answer == nil {
			return
		}
		if !ev.Answer.Auto { // automatic answers were logged with their prompt
			text := "answered: " + ev.Answer.Value
			if ev.Resumed {
				text = "answered before the interruption: " + ev.Answer.Value
			}
			if ev.Answer.Note != "" {
				text += " — " + ev.Answer.Note
			}
			m.appendLog(ev.Time, text, false)
		}
		m.answered(ev.Answer.PromptID)
		if r := m.row(ev.StepID); r != nil && r.state == steps.StateWaitingForYou {
			r.state = steps.StateRunning
			if ev.Answer.Note != "" {
				r.note = ev.Answer.Note
			}
		}
	case steps.EventRunFinished:
		m.finished = true
		m.failure = ev.Err
		m.endText = ev.Text
		m.totalTime = ev.Elapsed
		if m.totalTime == 0 && !m.info.Started.IsZero() {
			m.totalTime = m.c.speed.SimTime(ev.Time.Sub(m.info.Started))
		}
		m.queue = nil
		m.closePrompt()
		if ev.Err != "" {
			m.appendLog(ev.Time, "run failed: "+ev.Err, true)
		} else {
			m.appendLog(ev.Time, "run "+firstNonEmpty(ev.Text, "finished"), false)
		}
		m.pane = paneLog
	}
}

func (m *Model) sessionClosed() {
	m.closed = true
	if !m.finished {
		m.finished = true
		if m.failure == "" {
			m.failure = "the engine stopped before the run finished"
		}
		m.queue = nil
		m.closePrompt()
	}
}

// setSteps replaces the step list, keeping what is known about steps that
// stay.
func (m *Model) setSteps(list []steps.StepInfo) {
	old := make(map[string]stepRow, len(m.steps))
	for _, r := range m.steps {
		old[r.info.ID] = r
	}
	rows := make([]stepRow, 0, len(list))
	for _, info := range list {
		r, ok := old[info.ID]
		if !ok {
			r = stepRow{state: steps.StatePending}
		}
		r.info = info
		rows = append(rows, r)
	}
	m.steps = rows
}

func (m *Model) row(id string) *stepRow {
	for i := range m.steps {
		if m.steps[i].info.ID == id {
			return &m.steps[i]
		}
	}
	return nil
}

func (m *Model) applyStatus(ch awsclient.Change, at time.Time) {
	if ch.At.IsZero() {
		ch.At = at
	}
	if ch.ID == "" { // a poll failed as a whole (throttled, network): the poller retries
		if ch.Err != nil {
			m.pollErr = ch.Err.Error()
			m.appendLog(at, "poll failed: "+m.pollErr+" (still watching)", true)
		}
		return
	}
	m.pollErr = ""
	find := func(id string) int {
		for j := range m.watches {
			if m.watches[j].kind == ch.Kind && m.watches[j].id == id {
				return j
			}
		}
		return -1
	}
	i := find(ch.ID)
	if ch.PreviousID != "" && ch.PreviousID != ch.ID {
		// The poller followed a rename: the row moves to the new name, and
		// an older row under that name (a deleted or renamed-away instance)
		// gives way.
		if prev := find(ch.PreviousID); prev >= 0 {
			if i >= 0 {
				m.watches = append(m.watches[:i], m.watches[i+1:]...)
				prev = find(ch.PreviousID)
			}
			m.watches[prev].id = ch.ID
			i = prev
			m.appendLog(at, fmt.Sprintf("%s %s is now %s", ch.Kind, ch.PreviousID, ch.ID), false)
		}
	}
	if i < 0 {
		m.watches = append(m.watches, watch{kind: ch.Kind, id: ch.ID, since: ch.At})
		i = len(m.watches) - 1
	}
	w := &m.watches[i]
	w.polled = ch.At
	if ch.Err != nil {
		w.err = ch.Err.Error()
		m.appendLog(at, fmt.Sprintf("%s %s: poll failed: %v (still watching)", ch.Kind, ch.ID, ch.Err), true)
		return
	}
	w.err = ""
	status := ch.NewStatus
	if ch.Gone {
		status = "gone"
	}
	if status != w.status {
		if w.status != "" || ch.OldStatus != "" {
			from := firstNonEmpty(w.status, ch.OldStatus)
			m.appendLog(at, fmt.Sprintf("%s %s: %s → %s", ch.Kind, ch.ID, from, status), false)
		} else {
			m.appendLog(at, fmt.Sprintf("%s %s: %s", ch.Kind, ch.ID, status), false)
		}
		w.status = status
		w.since = ch.At
	}
	w.gone = ch.Gone
	if ch.Instance != nil {
		inst := *ch.Instance
		w.inst = &inst
	}
	if ch.Snapshot != nil {
		snap := *ch.Snapshot
		w.snap = &snap
	}
}

func (m *Model) applyPulumi(stepID string, p pulumiclient.Progress, at time.Time) {
	if stepID != m.pStep {
		m.pulumi = m.pulumi[:0]
		m.pStep = stepID
	}
	switch p.Status {
	case pulumiclient.Diagnostic:
		if p.Message != "" {
			m.appendLog(at, "pulumi "+firstNonEmpty(p.Severity, "info")+": "+p.Message, p.Severity == "error")
		}
		return
	case pulumiclient.Summarised:
		if p.Message != "" {
			m.appendLog(at, "pulumi: "+p.Message, false)
		}
		return
	}
	if p.Op == pulumiclient.OpSame || p.Op == "" {
		return
	}
	for i := range m.pulumi {
		r := &m.pulumi[i]
		if r.urn == p.URN && r.op == p.Op {
			r.status = p.Status
			if len(p.Diffs) > 0 {
				r.diffs = p.Diffs
			}
			if p.Message != "" {
				r.message = p.Message
			}
			if p.Status == pulumiclient.StepFailed {
				m.appendLog(at, fmt.Sprintf("pulumi: %s %s failed: %s", p.Op, p.Name, p.Message), true)
			}
			return
		}
	}
	m.pulumi = append(m.pulumi, pulumiRow{
		urn: p.URN, typ: p.Type, name: p.Name, op: p.Op, status: p.Status,
		diffs: p.Diffs, message: p.Message,
	})
}

// appendLog adds a styled line to the log.
func (m *Model) appendLog(t time.Time, text string, isErr bool) {
	st := m.c.styles
	ts := "        "
	if !t.IsZero() {
		ts = t.In(m.c.loc).Format("15:04:05")
	}
	line := st.LogTime.Render(ts) + " "
	if isErr {
		line += st.LogError.Render(text)
	} else {
		line += st.LogLine.Render(text)
	}
	m.logLines = append(m.logLines, line)
	if over := len(m.logLines) - maxLogLines; over > 0 {
		m.logLines = append(m.logLines[:0], m.logLines[over:]...)
	}
	m.logDirty = true
}

// Finished reports whether the run has ended (finished, failed or the
// engine went away).
func (m *Model) Finished() bool { return m.finished }

// Failure is why the run failed, empty when it did not.
func (m *Model) Failure() string { return m.failure }

// Interrupted reports whether the person quit before the run ended.
func (m *Model) Interrupted() bool { return m.interrupted }

// varSource is a session that can say which variables it knows already (a
// resumed run knows those of the earlier session, which no event repeats).
type varSource interface {
	Vars() map[string]string
}

// initialVars are the variables known before any event: the stacks from the
// run's info and whatever the session knows.
func initialVars(s steps.Session, info steps.RunInfo) map[string]string {
	vars := map[string]string{}
	if info.Stack != "" {
		vars["stack"] = info.Stack
		vars["app-stack"] = firstNonEmpty(info.Flags["app-stack"], info.Stack)
	}
	if vs, ok := s.(varSource); ok {
		for k, v := range vs.Vars() {
			vars[k] = v
		}
	}
	return vars
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// noColorFormTheme is huh's base theme with the focused button marked by a
// sign instead of a colour, so yes/no stays readable without colours.
func noColorFormTheme() *huh.Theme {
	t := huh.ThemeBase()
	for _, fs := range []*huh.FieldStyles{&t.Focused, &t.Blurred} {
		fs.FocusedButton = fs.FocusedButton.UnsetForeground().UnsetBackground().Bold(true).SetString("▸")
		fs.BlurredButton = fs.BlurredButton.UnsetForeground().UnsetBackground().SetString(" ")
	}
	return t
}
