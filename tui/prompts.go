package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"github.com/datalayer-tool/datalayer/steps"
)

// openPromptCmd opens the screen for a prompt that arrived and is not shown
// yet.
func (m *Model) openPromptCmd() tea.Cmd {
	if m.prompt == nil || m.mode != modeMain || m.finished {
		return nil
	}
	p := *m.prompt
	m.errText = ""
	switch p.Kind {
	case steps.PromptGate:
		m.gate = newGateModel(p, m.c)
		m.mode = modeGate
		return m.gate.input.Focus()
	case steps.PromptManual:
		m.manual = newManualModel(p, m.c)
		m.mode = modeManual
		return nil
	default:
		m.form = m.newForm(p)
		m.mode = modeForm
		return m.form.Init()
	}
}

// reopenPrompt shows the current prompt again from scratch, after an answer
// was refused or a quit was called off.
func (m *Model) reopenPrompt() tea.Cmd {
	keepErr := m.errText
	m.mode = modeMain
	cmd := m.openPromptCmd()
	m.errText = keepErr
	return cmd
}

// closePrompt takes the prompt off the screen and puts the next queued one
// up (openPromptCmd shows it).
func (m *Model) closePrompt() {
	m.prompt = nil
	m.form = nil
	m.mode = modeMain
	m.sending = false
	if len(m.queue) > 0 {
		m.prompt = &m.queue[0]
	}
}

// answered drops a prompt from the queue; when it was on screen, the next
// one comes up.
func (m *Model) answered(id string) {
	kept := m.queue[:0]
	for _, q := range m.queue {
		if q.ID != id {
			kept = append(kept, q)
		}
	}
	m.queue = kept
	if m.prompt != nil && m.prompt.ID == id {
		m.closePrompt()
	} else if m.prompt != nil && len(m.queue) > 0 {
		m.prompt = &m.queue[0] // the slice moved under the pointer
	}
}

// newForm builds the huh form for a choice, confirm or text prompt.
func (m *Model) newForm(p steps.Prompt) *huh.Form {
	desc := strings.TrimSpace(p.Body)
	var field huh.Field
	switch p.Kind {
	case steps.PromptConfirm:
		m.formOK = p.Default != "no" // the engine's default for a confirm is yes
		field = huh.NewConfirm().Title(p.Title).Description(desc).
			Affirmative("Yes").Negative("No").Value(&m.formOK)
	case steps.PromptText:
		m.formVal = p.Default
		field = huh.NewText().Title(p.Title).Description(desc).Lines(5).Value(&m.formVal)
	default:
		m.formVal = p.Default
		opts := make([]huh.Option[string], 0, len(p.Options))
		for _, o := range p.Options {
			label := o.Label
			if o.Recommended {
				label += " (recommended)"
				if m.formVal == "" {
					m.formVal = o.Value
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
		field = huh.NewSelect[string]().Title(p.Title).Description(desc).
			Options(opts...).Value(&m.formVal)
	}
	f := huh.NewForm(huh.NewGroup(field)).
		WithTheme(m.c.huhTheme).
		WithShowHelp(true).
		WithWidth(m.modalWidth() - 4)
	f.SubmitCmd = formDoneCmd(p.ID)
	f.CancelCmd = formCancelledCmd(p.ID)
	if m.width > 0 {
		fm, _ := f.Update(m.formSize())
		f = fm.(*huh.Form)
	}
	return f
}

// formSize is the size the embedded form may take: the modal's inside.
func (m *Model) formSize() tea.WindowSizeMsg {
	l := m.computeLayout()
	return tea.WindowSizeMsg{Width: m.modalWidth() - 4, Height: max(3, l.bodyH-6)}
}

func (m *Model) updateForm(msg tea.Msg) tea.Cmd {
	if m.form == nil {
		return nil
	}
	fm, cmd := m.form.Update(msg)
	if f, ok := fm.(*huh.Form); ok {
		m.form = f
	}
	return cmd
}

func (m *Model) submitForm(promptID string) tea.Cmd {
	if m.prompt == nil || m.prompt.ID != promptID {
		return nil
	}
	a := steps.Answer{PromptID: promptID, Value: m.formVal}
	if m.prompt.Kind == steps.PromptConfirm {
		a.Value = "no"
		if m.formOK {
			a.Value = "yes"
		}
	}
	return m.send(a)
}

// gateModel is the typed-confirmation modal.
type gateModel struct {
	prompt steps.Prompt
	expect string
	input  textinput.Model
	err    string
	quit   bool // ctrl+c was pressed: the parent asks whether to quit
	scroll int  // first line of the body shown (pgup/pgdn)
}

func newGateModel(p steps.Prompt, c *common) gateModel {
	ti := textinput.New()
	ti.Prompt = "> "
	ti.Placeholder = "type it here"
	ti.CharLimit = 128
	ti.PromptStyle = c.styles.InputPrompt
	ti.TextStyle = c.styles.InputText
	ti.PlaceholderStyle = c.styles.InputHolder
	ti.Cursor.Style = c.styles.InputCursor
	ti.Cursor.SetMode(cursor.CursorStatic)
	expect := p.Expect
	if expect == "" {
		expect = "yes"
	}
	return gateModel{prompt: p, expect: expect, input: ti}
}

// update handles a key in the gate. It returns an answer when the person
// typed the exact name (go on) or pressed Esc (back out).
func (g gateModel) update(msg tea.KeyMsg, k keyMap) (gateModel, tea.Cmd, *steps.Answer) {
	switch {
	case key.Matches(msg, k.Force):
		g.quit = true
		return g, nil, nil
	case key.Matches(msg, k.PageDown):
		g.scroll += 5
		return g, nil, nil
	case key.Matches(msg, k.PageUp):
		g.scroll = max(0, g.scroll-5)
		return g, nil, nil
	case key.Matches(msg, k.Back):
		return g, nil, &steps.Answer{PromptID: g.prompt.ID, Value: DeclinedValue}
	case key.Matches(msg, k.Confirm):
		typed := strings.TrimSpace(g.input.Value())
		if typed != g.expect {
			if typed == "" {
				g.err = "type " + g.expect + " to go on, or press esc to back out"
			} else {
				g.err = "“" + typed + "” is not " + g.expect + "; type it exactly, or press esc to back out"
			}
			return g, nil, nil
		}
		return g, nil, &steps.Answer{PromptID: g.prompt.ID, Value: typed}
	}
	var cmd tea.Cmd
	g.input, cmd = g.input.Update(msg)
	g.err = ""
	return g, cmd, nil
}

// manualModel is a manual checklist step: tick it, skip it, add a note.
type manualModel struct {
	prompt   steps.Prompt
	note     textinput.Model
	editing  bool // the note has the keyboard
	skipping bool // the note is the reason for a skip
	err      string
	quit     bool
	scroll   int // first line of the body shown (pgup/pgdn)
}

func newManualModel(p steps.Prompt, c *common) manualModel {
	ti := textinput.New()
	ti.Prompt = "note: "
	ti.Placeholder = "press n to add a note"
	ti.CharLimit = 500
	ti.PromptStyle = c.styles.InputPrompt
	ti.TextStyle = c.styles.InputText
	ti.PlaceholderStyle = c.styles.InputHolder
	ti.Cursor.Style = c.styles.InputCursor
	ti.Cursor.SetMode(cursor.CursorStatic)
	return manualModel{prompt: p, note: ti}
}

func (mm manualModel) update(msg tea.KeyMsg, k keyMap) (manualModel, tea.Cmd, *steps.Answer) {
	switch {
	case key.Matches(msg, k.Force):
		mm.quit = true
		return mm, nil, nil
	case key.Matches(msg, k.PageDown):
		mm.scroll += 5
		return mm, nil, nil
	case key.Matches(msg, k.PageUp):
		mm.scroll = max(0, mm.scroll-5)
		return mm, nil, nil
	}
	if mm.editing {
		switch {
		case key.Matches(msg, k.Back):
			mm.editing, mm.skipping = false, false
			mm.note.Blur()
			mm.note.Placeholder = "press n to add a note"
			return mm, nil, nil
		case msg.Type == tea.KeyEnter:
			note := strings.TrimSpace(mm.note.Value())
			if mm.skipping {
				if note == "" {
					mm.err = "say why this step is skipped, then press enter"
					return mm, nil, nil
				}
				return mm, nil, &steps.Answer{PromptID: mm.prompt.ID, Value: "skip", Note: note}
			}
			mm.editing = false
			mm.note.Blur()
			return mm, nil, nil
		}
		var cmd tea.Cmd
		mm.note, cmd = mm.note.Update(msg)
		mm.err = ""
		return mm, cmd, nil
	}
	note := strings.TrimSpace(mm.note.Value())
	switch {
	case key.Matches(msg, k.Done):
		return mm, nil, &steps.Answer{PromptID: mm.prompt.ID, Value: "done", Note: note}
	case key.Matches(msg, k.Skip):
		if note != "" {
			return mm, nil, &steps.Answer{PromptID: mm.prompt.ID, Value: "skip", Note: note}
		}
		mm.editing, mm.skipping = true, true
		mm.note.Placeholder = "why skip it?"
		return mm, mm.note.Focus(), nil
	case key.Matches(msg, k.Note):
		mm.editing = true
		return mm, mm.note.Focus(), nil
	case key.Matches(msg, k.Quit):
		mm.quit = true
	}
	return mm, nil, nil
}
