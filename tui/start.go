package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/colorprofile"
)

// StartStack is a stack the start screen offers.
type StartStack struct {
	Name string
	// Production marks the stack red and in capitals on the start screen.
	Production bool
}

// StartOptions says what the start screen asks. A preset Runbook is not
// asked again; without Stacks the stack is not asked (a rehearsal).
type StartOptions struct {
	// Runbook is the runbook already chosen on the command line, if any.
	Runbook string
	// Runbooks are the runbooks offered when none is chosen, in order.
	Runbooks []StartRunbook
	// Stacks are the configured stacks to choose from.
	Stacks  []StartStack
	Input   io.Reader // default os.Stdin
	Output  io.Writer // default os.Stdout
	NoColor bool      // also set by the NO_COLOR environment variable
	Theme   Theme
}

// StartChoice is what the start screen returns: the command line the
// person would otherwise have typed.
type StartChoice struct {
	Runbook string
	Stack   string // empty when no stack was asked
}

// ErrStartCancelled is returned when the person leaves the start screen with
// Esc or Ctrl-C. It matches tea.ErrInterrupted, so callers exit with 130.
var ErrStartCancelled = fmt.Errorf("start screen: nothing chosen, nothing started: %w", tea.ErrInterrupted)

// StartRunbook is a runbook the start screen offers.
type StartRunbook struct {
	Name string
	Line string // one line on what it does
	// Urgent marks the one reached for in an incident: it is selected.
	Urgent bool
}

type (
	startDoneMsg      struct{}
	startCancelledMsg struct{}
)

// StartModel is the start screen: a huh form for the runbook and the stack.
// It quits when the form is submitted or cancelled; Result tells which.
type StartModel struct {
	form    *huh.Form
	runbook string
	stack   string
	// shownStack is m.stack as of the last Update, for the description
	// function huh runs on another goroutine.
	shownMu    sync.Mutex
	shownStack string
	askStack   bool
	done       bool
	cancelled  bool
	filtering  bool // "/" opened a select's filter: Esc closes it, not the screen
	header     string
	c          *common
}

// NewStartModel builds the start screen for opts.
func NewStartModel(opts StartOptions) *StartModel {
	if opts.Theme == (Theme{}) {
		opts.Theme = DefaultTheme()
	}
	c := &common{theme: opts.Theme, noColor: opts.NoColor}
	c.setDark(true)
	m := &StartModel{runbook: opts.Runbook, askStack: len(opts.Stacks) > 0, c: c}
	var groups []*huh.Group
	if m.runbook == "" {
		o := make([]huh.Option[string], 0, len(opts.Runbooks))
		for _, rb := range opts.Runbooks {
			o = append(o, huh.NewOption(fmt.Sprintf("%-8s %s", rb.Name, rb.Line), rb.Name))
			if rb.Urgent || m.runbook == "" {
				m.runbook = rb.Name
			}
		}
		groups = append(groups, huh.NewGroup(huh.NewSelect[string]().
			Title("Which runbook?").Options(o...).Value(&m.runbook)))
	}
	if m.askStack {
		m.stack = opts.Stacks[0].Name
		prod := map[string]bool{}
		for _, s := range opts.Stacks {
			prod[s.Name] = s.Production
		}
		for i := len(opts.Stacks) - 1; i >= 0; i-- {
			if !opts.Stacks[i].Production {
				m.stack = opts.Stacks[i].Name // never start on production
			}
		}
		o := make([]huh.Option[string], 0, len(opts.Stacks))
		for _, s := range opts.Stacks {
			label := s.Name
			if s.Production {
				label += "  !! PRODUCTION: real data, real users !!"
			}
			o = append(o, huh.NewOption(label, s.Name))
		}
		warn := func() string {
			return c.styles.Production.Render("PRODUCTION") + " every destructive step will ask for the typed name"
		}
		groups = append(groups, huh.NewGroup(huh.NewSelect[string]().
			Title("Which stack?").
			DescriptionFunc(func() string {
				// huh calls this in a command's goroutine while the form's
				// Update writes m.stack: read the copy Update publishes.
				if prod[m.cursorStack()] {
					return warn()
				}
				return "not production"
			}, &m.stack).
			Options(o...).Value(&m.stack)))
	}
	m.publishStack()
	m.setHeader(opts.Runbook)
	if len(groups) == 0 {
		m.done = true
		return m
	}
	f := huh.NewForm(groups...).WithTheme(c.formTheme()).WithShowHelp(true)
	f.SubmitCmd = func() tea.Msg { return startDoneMsg{} }
	f.CancelCmd = func() tea.Msg { return startCancelledMsg{} }
	m.form = f
	return m
}

func (m *StartModel) publishStack() {
	m.shownMu.Lock()
	m.shownStack = m.stack
	m.shownMu.Unlock()
}

func (m *StartModel) cursorStack() string {
	m.shownMu.Lock()
	defer m.shownMu.Unlock()
	return m.shownStack
}

func (m *StartModel) setHeader(runbook string) {
	st := m.c.styles
	m.header = st.TitleBar.Render("datalayer") + " " + st.Muted.Render("start: choose, then Enter · Esc cancels")
	if runbook != "" {
		m.header += "\n" + st.Key.Render("runbook ") + st.Value.Render(runbook)
	}
}

// Init implements tea.Model.
func (m *StartModel) Init() tea.Cmd {
	if m.form == nil {
		return tea.Quit
	}
	return tea.Batch(m.form.Init(), tea.RequestBackgroundColor)
}

// Update implements tea.Model. Esc (outside a filter) and Ctrl-C cancel; the
// form gets the rest.
func (m *StartModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.BackgroundColorMsg:
		m.c.setDark(msg.IsDark())
		runbook := ""
		if strings.Contains(m.header, "\n") {
			runbook = m.runbook
		}
		m.setHeader(runbook)
	case tea.KeyPressMsg:
		switch k := msg.String(); {
		case k == "ctrl+c", k == "esc" && !m.filtering:
			m.cancelled = true
			return m, tea.Quit
		case k == "/":
			m.filtering = true
		case k == "esc", k == "enter":
			m.filtering = false
		}
	case startDoneMsg:
		m.done = true
		return m, tea.Quit
	case startCancelledMsg:
		m.cancelled = true
		return m, tea.Quit
	}
	if m.form == nil || m.done || m.cancelled {
		return m, nil
	}
	fm, cmd := m.form.Update(msg)
	if f, ok := fm.(*huh.Form); ok {
		m.form = f
	}
	m.publishStack()
	if m.form.State == huh.StateCompleted && !m.done {
		m.done = true
		return m, tea.Quit
	}
	return m, cmd
}

// View implements tea.Model.
func (m *StartModel) View() tea.View {
	return tea.NewView(m.frame())
}

func (m *StartModel) frame() string {
	if m.done || m.cancelled || m.form == nil {
		return ""
	}
	return strings.TrimRight(m.header+"\n\n"+m.form.View(), "\n") + "\n"
}

// Result is the choice once the form was submitted, or ErrStartCancelled.
func (m *StartModel) Result() (StartChoice, error) {
	if m.cancelled || !m.done {
		return StartChoice{}, ErrStartCancelled
	}
	c := StartChoice{Runbook: m.runbook}
	if m.askStack {
		c.Stack = m.stack
	}
	return c, nil
}

// PickStart shows the start screen as its own short program, before any run
// starts, and returns the choice. Esc, Ctrl-C or a cancelled ctx return an
// error matching tea.ErrInterrupted.
func PickStart(ctx context.Context, opts StartOptions) (StartChoice, error) {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		opts.NoColor = true
	}
	if opts.Input == nil {
		opts.Input = os.Stdin
	}
	if opts.Output == nil {
		opts.Output = os.Stdout
	}
	m := NewStartModel(opts)
	popts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(opts.Input), tea.WithOutput(opts.Output)}
	if opts.NoColor {
		popts = append(popts, tea.WithColorProfile(colorprofile.Ascii))
	}
	final, err := tea.NewProgram(m, popts...).Run()
	if fm, ok := final.(*StartModel); ok && fm != nil {
		m = fm
	}
	if err != nil {
		if errors.Is(err, tea.ErrInterrupted) || errors.Is(err, tea.ErrProgramKilled) || ctx.Err() != nil {
			return StartChoice{}, errors.Join(ErrStartCancelled, err)
		}
		return StartChoice{}, fmt.Errorf("start screen: %w", err)
	}
	return m.Result()
}
