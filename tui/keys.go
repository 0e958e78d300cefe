package tui

import "charm.land/bubbles/v2/key"

// keyMap lists every key the UI answers to. Each screen shows the subset that
// applies to it in the help bar.
type keyMap struct {
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Pane     key.Binding
	Help     key.Binding
	Quit     key.Binding
	Force    key.Binding // ctrl+c inside the quit confirm: leave at once

	Confirm key.Binding // gate: submit the typed name
	Back    key.Binding // gate: back out; manual note: stop editing

	Done key.Binding // manual step: tick
	Skip key.Binding // manual step: skip with a reason
	Note key.Binding // manual step: write a note

	Yes key.Binding
	No  key.Binding

	Close key.Binding // finished screen

	// Shown in the help bar only; the form and the note input handle them.
	Choose   key.Binding
	Toggle   key.Binding
	Answer   key.Binding
	FormQuit key.Binding
	KeepNote key.Binding
	StopNote key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "scroll up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "scroll down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Pane:     key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "log/explanation")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more keys")),
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Force:    key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit now")),

		Confirm: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "confirm")),
		Back:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back out")),

		Done: key.NewBinding(key.WithKeys("enter", "x", "space"), key.WithHelp("enter/x", "tick done")),
		Skip: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "skip")),
		Note: key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "note")),

		Yes: key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "quit")),
		No:  key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "stay")),

		Close: key.NewBinding(key.WithKeys("q", "enter", "ctrl+c"), key.WithHelp("q/enter", "close")),

		Choose:   key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "choose")),
		Toggle:   key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "yes/no")),
		Answer:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "answer")),
		FormQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		KeepNote: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "keep note")),
		StopNote: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "stop editing")),
	}
}

// bindings is a help.KeyMap made of a fixed list.
type bindings []key.Binding

// ShortHelp implements help.KeyMap.
func (b bindings) ShortHelp() []key.Binding { return b }

// FullHelp implements help.KeyMap.
func (b bindings) FullHelp() [][]key.Binding {
	var out [][]key.Binding
	for i := 0; i < len(b); i += 3 {
		out = append(out, b[i:min(i+3, len(b))])
	}
	return out
}
