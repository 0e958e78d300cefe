package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/datalayer-tool/datalayer/engine"
)

// promptQuit is the kind of the UI's own prompt: quit now, or stay.
const promptQuit engine.PromptKind = "quit"

// The answers of the quit prompt.
const (
	quitYes = "quit"
	quitNo  = "stay"
)

// quitHow is how a prompt asks the root to quit.
type quitHow int

const (
	quitNone quitHow = iota
	quitAsk          // q: always ask first
	quitNow          // ctrl+c: at once when nothing is in flight
)

// promptResult is what a key did in a prompt: an answer to send, or a wish
// to quit. The zero value is neither.
type promptResult struct {
	answer *engine.Answer
	quit   quitHow
}

// promptModel is the one modal of the UI: a decision (a huh form for a
// choice, yes/no or text), a typed-confirmation gate, a manual step, or the
// quit confirmation. Update returns the answer; the root sends it.
type promptModel struct {
	c       *common
	p       engine.Prompt
	header  string // kind, step, queue, production: set by the root
	sendErr string // why the engine refused the last answer
	err     string // what is wrong with what was typed
	body    string // rendered markdown once ready; until then the text without markup
	bodyMD  bool   // body is rendered markdown
	lines   []string

	form     *huh.Form
	desc     string       // the form's description, unwrapped
	setDesc  func(string) // sets the form field's description
	value    *string      // the form's value; a pointer, as huh keeps one
	yes      *bool
	formNeed int // lines the form takes at its width with nothing cut
	formH    int // lines the form was told it has

	input    textinput.Model // the gate's typed name, the manual step's note
	editing  bool            // manual: the note has the keyboard
	skipping bool            // manual: the note is the reason for a skip
	scroll   int             // first line of the body shown (pgup/pgdn)

	width, height int // the box, borders included
}

// newPrompt builds the component for a prompt of the run.
func newPrompt(c *common, p engine.Prompt) (promptModel, tea.Cmd) {
	m := promptModel{c: c, p: p, height: 20}
	var cmd tea.Cmd
	switch p.Kind {
	case engine.PromptGate:
		m.input = newInput(c, "> ", "type it here", 128)
		cmd = m.input.Focus()
	case engine.PromptManual:
		m.input = newInput(c, "note: ", "press n to add a note", 500)
	default:
		m.form = m.newForm()
		cmd = m.form.Init()
	}
	return m.SetSize(78, 20), cmd
}

// formFrame is the columns the form's field takes around its text (its
// left bar and padding).
func (m *promptModel) formFrame() int {
	return m.c.formTheme().Theme(m.c.dark).Focused.Base.GetHorizontalFrameSize()
}

// measureForm learns how many lines the form takes at its width when
// nothing is cut (huh sizes a group to the height it is given, up to what it
// needs).
func (m *promptModel) measureForm() {
	m.form.Update(tea.WindowSizeMsg{Width: m.innerWidth(), Height: 500})
	m.formNeed = lipglossHeight(strings.TrimRight(m.form.View(), "\n"))
	m.formH = m.formNeed
}

// newQuitPrompt is the quit confirmation: what carries on in AWS without
// us, where the run stops, and how to come back.
func newQuitPrompt(c *common, inFlight []string, runID, stopsAt string) promptModel {
	var lines []string
	if len(inFlight) > 0 {
		lines = append(lines, "These carry on in AWS without us:")
		for _, l := range inFlight {
			lines = append(lines, " • "+l)
		}
	} else {
		lines = append(lines, "Nothing is changing in AWS right now.")
	}
	if stopsAt != "" {
		lines = append(lines, "", "The run stops at “"+stopsAt+"”; it is journalled.")
	}
	lines = append(lines, "", "Pick it up again with:", "  "+c.styles.OK.Render("datalayer resume "+runID))
	return promptModel{c: c, p: engine.Prompt{ID: "quit", Kind: promptQuit, Title: "Quit now?"}, lines: lines, width: 78, height: 20}
}

func newInput(c *common, prompt, placeholder string, limit int) textinput.Model {
	ti := textinput.New()
	ti.Prompt = prompt
	ti.Placeholder = placeholder
	ti.CharLimit = limit
	ti.SetStyles(inputStyles(c))
	return ti
}

// inputStyles are the text inputs' styles, with a steady cursor (a blinking
// one redraws the screen twice a second for nothing).
func inputStyles(c *common) textinput.Styles {
	st := textinput.DefaultStyles(c.dark)
	for _, s := range []*textinput.StyleState{&st.Focused, &st.Blurred} {
		s.Prompt = c.styles.InputPrompt
		s.Text = c.styles.InputText
		s.Placeholder = c.styles.InputHolder
	}
	st.Cursor.Color = c.styles.InputCursor.GetForeground()
	st.Cursor.Blink = false
	return st
}

// newForm builds the huh form for a choice, confirm or text prompt.
func (m *promptModel) newForm() *huh.Form {
	p := m.p
	desc := strings.TrimSpace(p.Body)
	m.value, m.yes = new(string), new(bool)
	var field huh.Field
	switch p.Kind {
	case engine.PromptConfirm:
		*m.yes = p.Default != "no" // the engine's default for a confirm is yes
		f := huh.NewConfirm().Title(p.Title).Description(desc).
			Affirmative("Yes").Negative("No").Value(m.yes)
		field, m.setDesc = f, func(d string) { f.Description(d) }
	case engine.PromptText:
		// The default is shown, not typed in: a typed answer replaces it
		// rather than being appended to it, and an empty answer is the
		// default (Update).
		f := huh.NewText().Title(p.Title).Description(desc).Lines(5).
			Placeholder(p.Default).Value(m.value)
		field, m.setDesc = f, func(d string) { f.Description(d) }
	default:
		*m.value = p.Default
		opts := make([]huh.Option[string], 0, len(p.Options))
		for _, o := range p.Options {
			label := o.Label
			if o.Recommended {
				label += " (recommended)"
				if *m.value == "" {
					*m.value = o.Value
				}
				if o.Reason != "" {
					if desc != "" {
						desc += "\n"
					}
					desc += "Recommended: " + o.Label + ", because " + o.Reason
				}
			}
			opts = append(opts, huh.NewOption(label, o.Value))
		}
		f := huh.NewSelect[string]().Title(p.Title).Description(desc).
			Options(opts...).Value(m.value)
		field, m.setDesc = f, func(d string) { f.Description(d) }
	}
	m.desc = desc
	f := huh.NewForm(huh.NewGroup(field)).
		WithTheme(m.c.formTheme()).
		WithShowHelp(true).
		WithWidth(m.innerWidth())
	f.SubmitCmd = formDoneCmd(p.ID)
	f.CancelCmd = formCancelledCmd(p.ID)
	return f
}

func (m promptModel) id() string { return m.p.ID }

// withContext sets the header line and the engine's last refusal.
func (m promptModel) withContext(header, sendErr string) promptModel {
	m.header, m.sendErr = header, sendErr
	return m
}

// restyle takes up new styles (the terminal's background became known).
func (m promptModel) restyle() promptModel {
	if m.c != nil && (m.p.Kind == engine.PromptGate || m.p.Kind == engine.PromptManual) {
		m.input.SetStyles(inputStyles(m.c))
	}
	return m
}

// SetSize sets the box's outer size: the width it takes and the most lines
// it may take.
func (m promptModel) SetSize(w, h int) promptModel {
	resized := w != m.width
	m.width, m.height = w, h
	if resized && m.form != nil {
		// huh wraps a description at hyphens too (ids get split): it is
		// given lines that already fit, wrapped at spaces only.
		m.setDesc(wrapText(m.desc, m.innerWidth()-m.formFrame()))
		m.form = m.form.WithWidth(m.innerWidth())
		m.measureForm()
	}
	if m.form != nil {
		// The box's border, header and a blank line take 4 lines.
		if fh := max(3, min(m.formNeed, h-4)); fh != m.formH {
			m.form.Update(tea.WindowSizeMsg{Width: m.innerWidth(), Height: fh})
			m.formH = fh
		}
	}
	if resized && !m.bodyMD {
		m.body = wrapBody(plainBody(m.p.Body), m.innerWidth())
	}
	if resized && (m.p.Kind == engine.PromptGate || m.p.Kind == engine.PromptManual) {
		// Without a width the input shows one letter of its placeholder.
		m.input.SetWidth(max(10, m.innerWidth()-ansi.StringWidth(m.input.Prompt)-1))
	}
	m.scroll = min(m.scroll, m.maxScroll())
	return m
}

// setBody takes the body rendered as markdown at bodyWidth.
func (m promptModel) setBody(text string) promptModel {
	if text == "" {
		return m
	}
	m.body, m.bodyMD = text, true
	m.scroll = min(m.scroll, m.maxScroll())
	return m
}

// bodyWidth is the width the body is rendered at.
func (m promptModel) bodyWidth() int { return m.innerWidth() }

func (m promptModel) innerWidth() int { return max(10, m.width-4) }

// Update handles a message. It returns an answer when the person answered,
// or a wish to quit.
func (m promptModel) Update(msg tea.Msg) (promptModel, tea.Cmd, promptResult) {
	k := m.c.keys
	switch msg := msg.(type) {
	case formDoneMsg:
		if msg.promptID != m.p.ID || m.form == nil {
			return m, nil, promptResult{}
		}
		a := engine.Answer{PromptID: m.p.ID, Value: *m.value}
		if m.p.Kind == engine.PromptText && strings.TrimSpace(a.Value) == "" {
			a.Value = m.p.Default
		}
		if m.p.Kind == engine.PromptConfirm {
			a.Value = "no"
			if *m.yes {
				a.Value = "yes"
			}
		}
		return m, nil, promptResult{answer: &a}
	case formCancelledMsg:
		return m, nil, promptResult{quit: quitAsk}
	case tea.KeyPressMsg:
		if m.p.Kind == promptQuit {
			switch {
			case key.Matches(msg, k.Force), key.Matches(msg, k.Yes):
				return m, nil, promptResult{answer: &engine.Answer{PromptID: m.p.ID, Value: quitYes}}
			case key.Matches(msg, k.No):
				return m, nil, promptResult{answer: &engine.Answer{PromptID: m.p.ID, Value: quitNo}}
			}
			return m, nil, promptResult{}
		}
		if key.Matches(msg, k.Force) {
			return m, nil, promptResult{quit: quitNow}
		}
		switch m.p.Kind {
		case engine.PromptGate:
			return m.gateKey(msg)
		case engine.PromptManual:
			return m.manualKey(msg)
		}
	}
	switch {
	case m.form != nil:
		fm, cmd := m.form.Update(msg)
		if f, ok := fm.(*huh.Form); ok {
			m.form = f
		}
		return m, cmd, promptResult{}
	case m.p.Kind == engine.PromptGate, m.p.Kind == engine.PromptManual:
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd, promptResult{}
	}
	return m, nil, promptResult{}
}

// gateKey handles a key in a gate. It answers when the person typed the
// exact text (go on) or pressed Esc (back out).
func (m promptModel) gateKey(msg tea.KeyPressMsg) (promptModel, tea.Cmd, promptResult) {
	k := m.c.keys
	expect := m.expect()
	if sm, ok := m.scrollKey(msg); ok {
		return sm, nil, promptResult{}
	}
	switch {
	case key.Matches(msg, k.Back):
		return m, nil, promptResult{answer: &engine.Answer{PromptID: m.p.ID, Value: DeclinedValue}}
	case key.Matches(msg, k.Confirm):
		typed := strings.TrimSpace(m.input.Value())
		if typed != expect {
			if typed == "" {
				m.err = "type " + expect + " to go on, or press esc to back out"
			} else {
				m.err = "“" + typed + "” is not " + expect + "; type it exactly, or press esc to back out"
			}
			return m, nil, promptResult{}
		}
		return m, nil, promptResult{answer: &engine.Answer{PromptID: m.p.ID, Value: typed}}
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	m.err = ""
	return m, cmd, promptResult{}
}

// scrollKey scrolls a long body with pgup/pgdn; ok says the key did.
func (m promptModel) scrollKey(msg tea.KeyPressMsg) (promptModel, bool) {
	switch k := m.c.keys; {
	case key.Matches(msg, k.PageDown):
		m.scroll = min(m.scroll+5, m.maxScroll())
	case key.Matches(msg, k.PageUp):
		m.scroll = max(0, m.scroll-5)
	default:
		return m, false
	}
	return m, true
}

func (m promptModel) expect() string {
	return firstNonEmpty(m.p.Expect, "yes")
}

// title is the prompt's title without a gate's "Type X to go on", which the
// line above the input says already (with esc): the question alone fits
// an 80-column box.
func (m promptModel) title() string {
	if m.p.Kind != engine.PromptGate {
		return m.p.Title
	}
	return strings.TrimSuffix(m.p.Title, " Type "+m.expect()+" to go on")
}

// manualKey handles a key in a manual step: tick it, skip it, add a note.
func (m promptModel) manualKey(msg tea.KeyPressMsg) (promptModel, tea.Cmd, promptResult) {
	k := m.c.keys
	if sm, ok := m.scrollKey(msg); ok {
		return sm, nil, promptResult{}
	}
	if m.editing {
		switch {
		case key.Matches(msg, k.Back):
			m.editing, m.skipping = false, false
			m.input.Blur()
			m.input.Placeholder = "press n to add a note"
			return m, nil, promptResult{}
		case key.Matches(msg, k.KeepNote):
			note := strings.TrimSpace(m.input.Value())
			if m.skipping {
				if note == "" {
					m.err = "say why this step is skipped, then press enter"
					return m, nil, promptResult{}
				}
				return m, nil, promptResult{answer: &engine.Answer{PromptID: m.p.ID, Value: "skip", Note: note}}
			}
			m.editing = false
			m.input.Blur()
			return m, nil, promptResult{}
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		m.err = ""
		return m, cmd, promptResult{}
	}
	note := strings.TrimSpace(m.input.Value())
	switch {
	case key.Matches(msg, k.Done):
		return m, nil, promptResult{answer: &engine.Answer{PromptID: m.p.ID, Value: "done", Note: note}}
	case key.Matches(msg, k.Skip):
		if note != "" {
			return m, nil, promptResult{answer: &engine.Answer{PromptID: m.p.ID, Value: "skip", Note: note}}
		}
		m.editing, m.skipping = true, true
		m.input.Placeholder = "why skip it?"
		return m, m.input.Focus(), promptResult{}
	case key.Matches(msg, k.Note):
		m.editing = true
		return m, m.input.Focus(), promptResult{}
	case key.Matches(msg, k.Quit):
		return m, nil, promptResult{quit: quitAsk}
	}
	return m, nil, promptResult{}
}

// danger reports whether the box is drawn as a warning: gates and quitting.
func (m promptModel) danger() bool {
	return m.p.Kind == engine.PromptGate || m.p.Kind == promptQuit
}

// fixedLines is how many lines the box takes besides the body: border (2),
// header and title (2), a blank line after them, the blank line after the
// body, the instruction and input, and the error lines.
func (m promptModel) fixedLines() int {
	n := 2 + 2 + 1
	switch m.p.Kind {
	case engine.PromptGate:
		n += 1 + 2
	case engine.PromptManual:
		n += 1 + 1
	}
	if m.err != "" {
		n++
	}
	if m.sendErr != "" {
		n++
	}
	return n
}

// bodyRoom is how many lines of the body fit in the box's height.
func (m promptModel) bodyRoom() int { return max(1, m.height-m.fixedLines()) }

func (m promptModel) bodyLines() []string {
	if m.body == "" {
		return nil
	}
	return strings.Split(m.body, "\n")
}

// maxScroll is the largest useful scroll offset of the body.
func (m promptModel) maxScroll() int {
	return max(0, len(m.bodyLines())-max(1, m.bodyRoom()-1))
}

// NaturalHeight is the box's height with nothing cut.
func (m promptModel) NaturalHeight() int {
	switch {
	case m.p.Kind == promptQuit: // border, title, blank line, lines
		return 2 + 2 + len(m.lines)
	case m.form != nil: // border, header, blank line, form
		h := 2 + 2 + m.formNeed
		if m.sendErr != "" {
			h++
		}
		return h
	}
	return m.fixedLines() + len(m.bodyLines())
}

// View draws the box at its size; it never takes more than its height.
func (m promptModel) View() string {
	st := m.c.styles
	inner := m.innerWidth()
	var b strings.Builder
	if m.p.Kind != promptQuit {
		b.WriteString(truncate(m.header, inner))
	}
	switch {
	case m.p.Kind == promptQuit:
		b.WriteString(st.ModalTitle.Render(m.p.Title) + "\n\n")
		b.WriteString(strings.Join(m.lines, "\n"))
	case m.form != nil:
		b.WriteString("\n\n" + strings.TrimRight(m.form.View(), "\n"))
		if m.sendErr != "" {
			b.WriteString("\n" + st.Error.Render(m.sendErr))
		}
	default:
		b.WriteString("\n" + st.ModalTitle.Render(truncate(m.title(), inner)) + "\n\n")
		if m.body != "" {
			b.WriteString(clipBody(m.body, m.bodyRoom(), m.scroll) + "\n\n")
		}
		if m.p.Kind == engine.PromptGate {
			b.WriteString("Type " + st.OK.Render(m.expect()) + " to go on, esc to back out:\n")
		}
		b.WriteString(m.input.View())
		if m.err != "" {
			b.WriteString("\n" + st.Error.Render(m.err))
		}
		if m.sendErr != "" {
			b.WriteString("\n" + st.Error.Render(m.sendErr))
		}
	}
	box := st.Modal
	if m.danger() {
		box = st.ModalDanger
	}
	// lipgloss v2 counts the border in Width: the box is m.width wide.
	content := fit(b.String(), inner, max(1, m.height-2))
	return box.Width(m.width).Render(strings.TrimRight(content, "\n"))
}

// keys is the help bar while the prompt has the keyboard.
func (m promptModel) keys() bindings {
	k := m.c.keys
	switch m.p.Kind {
	case promptQuit:
		return bindings{k.Yes, k.No}
	case engine.PromptGate:
		return bindings{k.Confirm, k.Back, k.PageDown, k.PageUp, k.Force}
	case engine.PromptManual:
		if m.editing {
			return bindings{k.KeepNote, k.StopNote}
		}
		return bindings{k.Done, k.Skip, k.Note, k.PageDown, k.Quit}
	case engine.PromptConfirm:
		return bindings{k.Toggle, k.Answer, k.FormQuit}
	case engine.PromptText:
		return bindings{k.Answer, k.FormQuit}
	}
	return bindings{k.Choose, k.Answer, k.FormQuit}
}

// plainBody is a body shown before its markdown is rendered (or when it
// could not): the text without emphasis markers and code ticks.
func plainBody(md string) string {
	return strings.TrimSpace(stripMarkup(md))
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

// wrapBody wraps a raw body to the box (rendered markdown comes wrapped).
func wrapBody(s string, w int) string {
	return wrapText(s, w)
}

// lipglossHeight is the number of lines of a block.
func lipglossHeight(s string) int { return strings.Count(s, "\n") + 1 }
