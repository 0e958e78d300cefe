package tui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// Shade is a colour for a light and for a dark terminal background. Which
// one is used is learnt from the terminal's answer to the program's
// background-colour request (tea.BackgroundColorMsg); the terminal's colour
// profile then degrades it (256 colours, 16, none under NO_COLOR).
type Shade struct{ Light, Dark string }

// Theme is the small palette every style is built from.
type Theme struct {
	Text    Shade
	Muted   Shade
	Accent  Shade
	Good    Shade
	Warn    Shade
	Bad     Shade
	Danger  Shade // background of the production bar
	OnColor Shade // text on Danger or Accent backgrounds
}

// DefaultTheme is the theme used unless Options says otherwise.
func DefaultTheme() Theme {
	return Theme{
		Text:    Shade{Light: "#1a1a1a", Dark: "#e4e4e4"},
		Muted:   Shade{Light: "#767676", Dark: "#8a8a8a"},
		Accent:  Shade{Light: "#005fd7", Dark: "#5fafff"},
		Good:    Shade{Light: "#00875f", Dark: "#5fd787"},
		Warn:    Shade{Light: "#af5f00", Dark: "#ffaf00"},
		Bad:     Shade{Light: "#d70000", Dark: "#ff5f5f"},
		Danger:  Shade{Light: "#d70000", Dark: "#d70000"},
		OnColor: Shade{Light: "#ffffff", Dark: "#ffffff"},
	}
}

// Styles holds every style the UI renders with, named by meaning. It is built
// once; View never creates styles.
type Styles struct {
	TitleBar   lipgloss.Style
	Production lipgloss.Style // the unmistakable red bar
	Rehearsal  lipgloss.Style
	Staging    lipgloss.Style
	Identity   lipgloss.Style
	Key        lipgloss.Style // a label in front of a value
	Value      lipgloss.Style

	Section lipgloss.Style // section headings
	Muted   lipgloss.Style

	StepPending lipgloss.Style
	StepRunning lipgloss.Style
	StepWaiting lipgloss.Style
	StepDone    lipgloss.Style
	StepFailed  lipgloss.Style
	StepSkipped lipgloss.Style
	StepCurrent lipgloss.Style // the title of the step being run
	StepTime    lipgloss.Style
	StepLate    lipgloss.Style // elapsed beyond the expected time

	LiveID     lipgloss.Style
	StatusOK   lipgloss.Style // available
	StatusBusy lipgloss.Style // creating, modifying, renaming...
	StatusBad  lipgloss.Style // failed, gone, poll errors

	PulumiCreate  lipgloss.Style
	PulumiUpdate  lipgloss.Style
	PulumiDelete  lipgloss.Style
	PulumiReplace lipgloss.Style

	LogTime  lipgloss.Style
	LogLine  lipgloss.Style
	LogError lipgloss.Style

	Modal        lipgloss.Style
	ModalDanger  lipgloss.Style // gates and the quit confirm
	ModalTitle   lipgloss.Style
	Hint         lipgloss.Style
	Error        lipgloss.Style
	OK           lipgloss.Style
	Tab          lipgloss.Style
	TabActive    lipgloss.Style
	Help         help.Styles
	InputPrompt  lipgloss.Style
	InputText    lipgloss.Style
	InputCursor  lipgloss.Style
	InputHolder  lipgloss.Style
	FinishedOK   lipgloss.Style
	FinishedFail lipgloss.Style
}

// NewStyles builds the styles from a theme for a dark or a light terminal
// background.
func NewStyles(th Theme, dark bool) Styles {
	ld := lipgloss.LightDark(dark)
	c := func(s Shade) colorValue { return ld(lipgloss.Color(s.Light), lipgloss.Color(s.Dark)) }
	t := struct{ Text, Muted, Accent, Good, Warn, Bad, Danger, OnColor colorValue }{
		c(th.Text), c(th.Muted), c(th.Accent), c(th.Good), c(th.Warn), c(th.Bad), c(th.Danger), c(th.OnColor),
	}
	n := lipgloss.NewStyle
	s := Styles{
		TitleBar:   n().Bold(true).Foreground(t.Text),
		Production: n().Bold(true).Foreground(t.OnColor).Background(t.Danger).Padding(0, 1),
		Rehearsal:  n().Bold(true).Foreground(t.OnColor).Background(t.Accent).Padding(0, 1),
		Staging:    n().Bold(true).Foreground(t.Good),
		Identity:   n().Foreground(t.Text),
		Key:        n().Foreground(t.Muted),
		Value:      n().Foreground(t.Text),

		Section: n().Bold(true).Foreground(t.Accent),
		Muted:   n().Foreground(t.Muted),

		StepPending: n().Foreground(t.Muted),
		StepRunning: n().Bold(true).Foreground(t.Accent),
		StepWaiting: n().Bold(true).Foreground(t.Warn),
		StepDone:    n().Foreground(t.Good),
		StepFailed:  n().Bold(true).Foreground(t.Bad),
		StepSkipped: n().Foreground(t.Muted).Italic(true),
		StepCurrent: n().Bold(true).Foreground(t.Text),
		StepTime:    n().Foreground(t.Muted),
		StepLate:    n().Foreground(t.Warn),

		LiveID:     n().Bold(true).Foreground(t.Text),
		StatusOK:   n().Foreground(t.Good),
		StatusBusy: n().Foreground(t.Warn),
		StatusBad:  n().Bold(true).Foreground(t.Bad),

		PulumiCreate:  n().Foreground(t.Good),
		PulumiUpdate:  n().Foreground(t.Warn),
		PulumiDelete:  n().Foreground(t.Bad),
		PulumiReplace: n().Foreground(t.Accent),

		LogTime:  n().Foreground(t.Muted),
		LogLine:  n().Foreground(t.Text),
		LogError: n().Foreground(t.Bad),

		Modal:        n().Border(lipgloss.RoundedBorder()).BorderForeground(t.Accent).Padding(0, 1),
		ModalDanger:  n().Border(lipgloss.ThickBorder()).BorderForeground(t.Bad).Padding(0, 1),
		ModalTitle:   n().Bold(true).Foreground(t.Text),
		Hint:         n().Foreground(t.Muted),
		Error:        n().Bold(true).Foreground(t.Bad),
		OK:           n().Bold(true).Foreground(t.Good),
		Tab:          n().Foreground(t.Muted).Padding(0, 1),
		TabActive:    n().Bold(true).Foreground(t.Accent).Underline(true).Padding(0, 1),
		InputPrompt:  n().Foreground(t.Accent),
		InputText:    n().Foreground(t.Text),
		InputCursor:  n().Foreground(t.Accent),
		InputHolder:  n().Foreground(t.Muted),
		FinishedOK:   n().Bold(true).Foreground(t.Good),
		FinishedFail: n().Bold(true).Foreground(t.Bad),
	}
	s.Help = help.Styles{
		Ellipsis:       n().Foreground(t.Muted),
		ShortKey:       n().Foreground(t.Text),
		ShortDesc:      n().Foreground(t.Muted),
		ShortSeparator: n().Foreground(t.Muted),
		FullKey:        n().Foreground(t.Text),
		FullDesc:       n().Foreground(t.Muted),
		FullSeparator:  n().Foreground(t.Muted),
	}
	return s
}

// colorValue is a colour as lipgloss v2 takes it.
type colorValue = color.Color
