package tui

import (
	"context"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/progress"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/runview"
)

// DeclinedValue is the answer value sent when a gate is backed out of with
// Esc. Any value other than the prompt's Expect is a refusal to the engine;
// this one also reads well in the journal.
const DeclinedValue = engine.GateDeclined

// overlay is what lies over the run's screen and has the keyboard. It is
// the one lifecycle state of the root model; the run's own state (finished,
// failed) is the view model's.
type overlay int

const (
	overlayNone    overlay = iota // the run's screen: steps, live panel, log
	overlayPrompt                 // a prompt of the run: decision, gate, manual step
	overlaySending                // the prompt's answer is on its way to the engine
	overlayQuit                   // "quit now?" while something is in flight
)

var overlayNames = [...]string{"none", "prompt", "sending", "quit"}

// String returns the overlay's name.
func (o overlay) String() string {
	if int(o) < len(overlayNames) {
		return overlayNames[o]
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
	ctx     context.Context
	theme   Theme
	dark    bool // the terminal's background, from tea.BackgroundColorMsg
	styles  Styles
	keys    keyMap
	clock   clock.Clock
	speed   clock.Speed // the clock's: spans between instants shown in AWS time
	tick    time.Duration
	loc     *time.Location
	md      *markdownRenderer
	bar     progress.Model
	noColor bool
	inline  bool // draw in the terminal's main screen, not the alternate one
}

// setDark rebuilds the styles for a dark or light background.
func (c *common) setDark(dark bool) {
	c.dark = dark
	c.styles = NewStyles(c.theme, dark)
}

// formTheme is huh's theme for the embedded forms. It follows the
// background the root model learnt, whatever the form was told.
func (c *common) formTheme() huh.Theme {
	return huh.ThemeFunc(func(bool) *huh.Styles {
		if c.noColor {
			return noColorFormTheme(c.dark)
		}
		return huh.ThemeCharm(c.dark)
	})
}

// Model is the root bubbletea model of a run: it folds the session's events
// into the run's view model (runview) and draws it, with one prompt
// component over it when the run asks something.
type Model struct {
	c       *common
	session engine.Session
	events  <-chan engine.Event // session.Events(), read once in New
	run     *runview.State

	width, height int
	now           time.Time

	overlay overlay
	prompt  promptModel // the open prompt (overlayPrompt, overlaySending)
	quit    promptModel // the quit confirmation (overlayQuit)
	// sendErr is why the engine refused the last answer; shown in the
	// prompt asked again.
	sendErr string
	// interrupted is set when the person quit before the run ended.
	interrupted bool

	logSeq    int      // run.LogSeq when the log viewport was last filled
	logStyled []string // the log pane's lines, styled
	logHeld   bool     // the person scrolled up: stop following new lines
	log       viewport.Model
	explain   viewport.Model
	explKey   string // markdown key shown in explain
	pane      pane
	help      help.Model

	md        map[string]string // rendered markdown by key
	requested map[string]bool
}

// New builds the root model for a session. It reads the session's Info and
// Steps, and the clock once; it starts nothing.
func New(ctx context.Context, s engine.Session, opts Options) *Model {
	if ctx == nil {
		ctx = context.Background()
	}
	opts = opts.withDefaults()
	barOpts := []progress.Option{progress.WithWidth(20), progress.WithFillCharacters('█', '░')}
	if opts.NoColor {
		barOpts = append(barOpts, progress.WithColors())
	} else {
		barOpts = append(barOpts, progress.WithDefaultBlend())
	}
	c := &common{
		ctx:     ctx,
		theme:   opts.Theme,
		keys:    newKeyMap(),
		clock:   opts.Clock,
		speed:   clock.SpeedOf(opts.Clock),
		tick:    opts.TickInterval,
		loc:     opts.Location,
		bar:     progress.New(barOpts...),
		noColor: opts.NoColor,
		inline:  opts.NoAltScreen,
	}
	c.setDark(true) // until the terminal says otherwise; most are dark
	c.md = newMarkdownRenderer(c.styles)
	h := help.New()
	h.Styles = c.styles.Help
	info := s.Info()
	var vars map[string]string
	if vs, ok := s.(varSource); ok {
		vars = vs.Vars()
	}
	m := &Model{
		c:         c,
		session:   s,
		events:    s.Events(),
		run:       runview.New(info, s.Steps(), vars, c.speed),
		now:       opts.Clock.Now(),
		log:       viewport.New(),
		explain:   viewport.New(),
		help:      h,
		md:        map[string]string{},
		requested: map[string]bool{},
	}
	return m
}

// since is how much AWS time has passed from t to the model's now: in a
// rehearsal, the wall-clock span played at the clock's speed.
func (m *Model) since(t time.Time) time.Duration {
	return m.c.speed.SimTime(m.now.Sub(t))
}

// varSource is a session that can say which variables it knows already (a
// resumed run knows those of the earlier session, which no event repeats).
type varSource interface {
	Vars() map[string]string
}

// Init implements tea.Model: start reading events and the refresh tick, and
// ask the terminal for its background (the answer, if any, comes as a
// tea.BackgroundColorMsg; nothing waits for it).
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{waitEventsCmd(m.c.ctx, m.events, m.c.clock), tea.RequestBackgroundColor}
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
		m.help.SetWidth(msg.Width)
		return nil

	case tea.BackgroundColorMsg:
		if dark := msg.IsDark(); dark != m.c.dark {
			m.c.setDark(dark)
			m.help.Styles = m.c.styles.Help
			m.logSeq = -1 // restyle the log
			m.md = map[string]string{}
			m.requested = map[string]bool{}
			m.explKey = ""
			m.c.md.setStyles(m.c.styles)
			m.prompt = m.prompt.restyle()
		}
		return nil

	case eventsMsg:
		m.advance(msg.now)
		hadIdentity := m.run.Info.Identity != nil
		for _, ev := range msg.events {
			m.run.Apply(ev)
		}
		var cmds []tea.Cmd
		if !hadIdentity && m.run.Info.Identity == nil && finishedAStep(msg.events) {
			cmds = append(cmds, infoCmd(m.session))
		}
		if msg.closed {
			m.run.Closed()
		} else {
			cmds = append(cmds, waitEventsCmd(m.c.ctx, m.events, m.c.clock))
		}
		cmds = append(cmds, m.followQueue())
		return tea.Batch(cmds...)

	case infoMsg:
		if msg.info.Identity != nil {
			m.run.Info.Identity = msg.info.Identity
		}
		return nil

	case sessionClosedMsg:
		m.advance(msg.now)
		m.run.Closed()
		return m.followQueue()

	case tickMsg:
		m.advance(msg.now)
		if m.run.Finished {
			return nil
		}
		return tickCmd(m.c.tick, m.c.clock)

	case answerSentMsg:
		if m.overlay == overlaySending {
			m.overlay = overlayPrompt
		}
		if msg.err != nil {
			// Refused: ask the same prompt again, from scratch, saying why.
			m.sendErr = msg.err.Error()
			return m.openPrompt()
		}
		m.sendErr = ""
		m.run.Answered(msg.answer.PromptID)
		return m.followQueue()

	case markdownMsg:
		if msg.err != nil {
			m.md[msg.key] = "" // fall back to the raw text
			return nil
		}
		m.md[msg.key] = msg.text
		return nil

	case tea.KeyPressMsg:
		return m.handleKey(msg)
	}

	// Anything else (cursor blinks, form internals) goes to what has the
	// keyboard.
	switch m.overlay {
	case overlayPrompt:
		var cmd tea.Cmd
		var res promptResult
		m.prompt, cmd, res = m.prompt.Update(msg)
		return tea.Batch(cmd, m.promptResult(res))
	case overlayQuit:
		var cmd tea.Cmd
		m.quit, cmd, _ = m.quit.Update(msg)
		return cmd
	}
	return nil
}

// finishedAStep reports whether the events include a finished step (after
// the first one the session knows who we are in AWS).
func finishedAStep(evs []engine.Event) bool {
	for _, ev := range evs {
		if ev.Type == engine.EventStepFinished {
			return true
		}
	}
	return false
}

// advance moves the model's notion of now forward; it never goes back.
func (m *Model) advance(now time.Time) {
	if now.After(m.now) {
		m.now = now
	}
}

// followQueue brings the screen in line with the run's prompt queue: the
// head of the queue is the prompt on screen; when it changed, the new one
// opens (or the screen is left to the run when the queue is empty).
func (m *Model) followQueue() tea.Cmd {
	head := m.run.Prompt()
	switch {
	case m.run.Finished && m.overlay != overlayQuit:
		m.overlay = overlayNone
		m.pane = paneLog
		return nil
	case head == nil:
		if m.overlay == overlayPrompt || m.overlay == overlaySending {
			m.overlay = overlayNone
		}
		return nil
	case m.overlay == overlayQuit:
		return nil // the prompt opens once the quit is called off
	case (m.overlay == overlayPrompt || m.overlay == overlaySending) && m.prompt.id() == head.ID:
		return nil
	}
	return m.openPrompt()
}

// openPrompt shows the head of the queue, from scratch.
func (m *Model) openPrompt() tea.Cmd {
	head := m.run.Prompt()
	if head == nil {
		m.overlay = overlayNone
		return nil
	}
	var cmd tea.Cmd
	m.prompt, cmd = newPrompt(m.c, *head)
	m.overlay = overlayPrompt
	return cmd
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.keys
	switch m.overlay {
	case overlayQuit:
		var res promptResult
		m.quit, _, res = m.quit.Update(msg)
		if res.answer == nil {
			return nil
		}
		if res.answer.Value == quitYes {
			return m.interrupt()
		}
		m.overlay = overlayNone
		if m.run.Prompt() != nil && !m.run.Finished {
			return m.openPrompt()
		}
		return nil
	case overlaySending:
		if key.Matches(msg, k.Force) {
			return m.askQuit()
		}
		return nil // the answer is on its way; ignore keys until it lands
	case overlayPrompt:
		var cmd tea.Cmd
		var res promptResult
		m.prompt, cmd, res = m.prompt.Update(msg)
		return tea.Batch(cmd, m.promptResult(res))
	}
	if m.run.Finished {
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
	switch {
	case key.Matches(msg, k.Force):
		return m.askQuit()
	case key.Matches(msg, k.Quit):
		m.openQuit()
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
	case key.Matches(msg, k.Pane):
		m.togglePane()
	default:
		m.scroll(msg)
	}
	return nil
}

// promptResult acts on what the prompt component reported.
func (m *Model) promptResult(res promptResult) tea.Cmd {
	switch {
	case res.quit == quitNow:
		return m.askQuit()
	case res.quit == quitAsk:
		m.openQuit()
		return nil
	case res.answer != nil:
		m.overlay = overlaySending
		return answerCmd(m.session, *res.answer)
	}
	return nil
}

// askQuit is Ctrl-C: with nothing in flight in AWS or Pulumi the run stops
// at once (it is journalled; resume picks it up); otherwise the person is
// told what carries on without us and asked.
func (m *Model) askQuit() tea.Cmd {
	if len(m.run.InFlight(m.now)) == 0 {
		return m.interrupt()
	}
	m.openQuit()
	return nil
}

// openQuit puts the quit confirmation up.
func (m *Model) openQuit() {
	stopsAt := ""
	if r := m.run.CurrentStep(); r != nil && (r.State == engine.StateRunning || r.State == engine.StateWaitingForYou) {
		stopsAt = r.Info.Title
	}
	m.quit = newQuitPrompt(m.c, m.run.InFlight(m.now), m.run.Info.RunID, stopsAt)
	m.overlay = overlayQuit
}

// interrupt ends the program early; Run returns an InterruptedError.
func (m *Model) interrupt() tea.Cmd {
	m.interrupted = true
	return tea.Interrupt
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
func (m *Model) scroll(msg tea.KeyPressMsg) {
	vp := &m.log
	if !m.wide() && m.pane == paneExplanation && !m.run.Finished {
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

// Finished reports whether the run has ended (finished, failed or the
// engine went away).
func (m *Model) Finished() bool { return m.run.Finished }

// Failure is why the run failed, empty when it did not.
func (m *Model) Failure() string { return m.run.Failure }

// Interrupted reports whether the person quit before the run ended.
func (m *Model) Interrupted() bool { return m.interrupted }

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
func noColorFormTheme(dark bool) *huh.Styles {
	t := huh.ThemeBase(dark)
	for _, fs := range []*huh.FieldStyles{&t.Focused, &t.Blurred} {
		fs.FocusedButton = fs.FocusedButton.UnsetForeground().UnsetBackground().Bold(true).SetString("▸")
		fs.BlurredButton = fs.BlurredButton.UnsetForeground().UnsetBackground().SetString(" ")
	}
	return t
}
