package tui

import (
	"fmt"
	"strings"
	"sync"

	"github.com/charmbracelet/glamour"
)

// markdownRenderer builds glamour renderers lazily, one per width, and is
// only ever used from Cmds (hence the mutex).
type markdownRenderer struct {
	style string

	mu      sync.Mutex
	byWidth map[int]*glamour.TermRenderer
}

func newMarkdownRenderer(style string) *markdownRenderer {
	return &markdownRenderer{style: style, byWidth: map[int]*glamour.TermRenderer{}}
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
		tr, err = glamour.NewTermRenderer(
			glamour.WithStandardStyle(r.style),
			glamour.WithWordWrap(width),
		)
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
