package tui

import (
	"fmt"
	"strings"
	"sync"

	"charm.land/glamour/v2"
	"charm.land/glamour/v2/styles"
)

// markdownRenderer builds glamour renderers lazily, one per width, and is
// only ever used from Cmds (hence the mutex).
type markdownRenderer struct {
	style string // a glamour standard style; "dark" follows the terminal
	light bool   // the terminal's background is light

	mu      sync.Mutex
	byWidth map[int]*glamour.TermRenderer
}

func newMarkdownRenderer(style string) *markdownRenderer {
	return &markdownRenderer{style: style, byWidth: map[int]*glamour.TermRenderer{}}
}

// setDark switches the default style to the terminal's background; the
// renderers built so far are dropped.
func (r *markdownRenderer) setDark(dark bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.light == !dark {
		return
	}
	r.light = !dark
	r.byWidth = map[int]*glamour.TermRenderer{}
}

func (r *markdownRenderer) render(md string, width int) (string, error) {
	if width < 10 {
		width = 10
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	tr, ok := r.byWidth[width]
	if !ok {
		var err error
		tr, err = glamour.NewTermRenderer(r.styleOption(), glamour.WithWordWrap(width))
		if err != nil {
			return "", fmt.Errorf("tui: markdown renderer: %w", err)
		}
		r.byWidth[width] = tr
	}
	out, err := tr.Render(md)
	if err != nil {
		return "", fmt.Errorf("tui: render markdown: %w", err)
	}
	return trimBlankLines(out), nil
}

// styleOption is the glamour style. Glamour's colourless styles ("ascii",
// "notty") mark emphasis with the markdown's own asterisks, which reads as
// raw markup on screen; ours drop the markers and keep the words.
func (r *markdownRenderer) styleOption() glamour.TermRendererOption {
	if r.style == styles.DarkStyle && r.light {
		return glamour.WithStandardStyle(styles.LightStyle)
	}
	if r.style != styles.AsciiStyle && r.style != styles.NoTTYStyle {
		return glamour.WithStandardStyle(r.style)
	}
	plain := styles.ASCIIStyleConfig
	plain.Emph.BlockPrefix, plain.Emph.BlockSuffix = "", ""
	plain.Strong.BlockPrefix, plain.Strong.BlockSuffix = "", ""
	plain.Strikethrough.BlockPrefix, plain.Strikethrough.BlockSuffix = "", ""
	return glamour.WithStyles(plain)
}

// stripMarkup is a body shown before glamour has rendered it (or when it
// could not): the text without emphasis markers and code ticks.
func stripMarkup(md string) string {
	r := strings.NewReplacer("**", "", "__", "", "`", "")
	return r.Replace(md)
}

// trimBlankLines drops leading and trailing blank lines and trailing spaces,
// which glamour adds around every document.
func trimBlankLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}
