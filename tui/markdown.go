package tui

import (
	"fmt"
	"strings"
	"sync"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// markdownRenderer draws the markdown of step explanations and prompt
// bodies for the terminal: headings, paragraphs wrapped to the width,
// lists, code blocks and inline emphasis, in the UI's styles.
//
// It parses with goldmark (CommonMark) and draws the few block kinds datalayer
// writes itself. It replaces glamour, whose syntax highlighter (chroma)
// loaded its lexers and styles in package init, about 20 ms of every
// command's start-up, `datalayer version` included (BENCHMARKS.md). It is
// only ever used from Cmds (hence the mutex around the styles).
type markdownRenderer struct {
	mu sync.Mutex
	st mdStyles
}

// mdStyles are the styles markdown is drawn with.
type mdStyles struct {
	heading, strong, emph, code, quote, rule lipgloss.Style
}

func newMarkdownRenderer(st Styles) *markdownRenderer {
	r := &markdownRenderer{}
	r.setStyles(st)
	return r
}

// setStyles takes up the UI's styles (rebuilt when the terminal's
// background becomes known).
func (r *markdownRenderer) setStyles(st Styles) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st = mdStyles{
		heading: st.Section,
		strong:  lipgloss.NewStyle().Bold(true),
		emph:    lipgloss.NewStyle().Italic(true),
		code:    st.Value,
		quote:   st.Muted,
		rule:    st.Muted,
	}
}

// margin is the left margin of every block, as glamour drew it.
const margin = "  "

func (r *markdownRenderer) render(md string, width int) (string, error) {
	if width < 10 {
		width = 10
	}
	r.mu.Lock()
	st := r.st
	r.mu.Unlock()
	src := []byte(md)
	doc := goldmark.New().Parser().Parse(text.NewReader(src))
	d := &mdDrawer{src: src, st: st, width: width}
	var blocks []string
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		// A margin on either side, as glamour drew it.
		if b := d.block(n, width-2*len(margin)); b != "" {
			blocks = append(blocks, indent(b, margin))
		}
	}
	return trimBlankLines(strings.Join(blocks, "\n\n")), nil
}

// mdDrawer draws one document.
type mdDrawer struct {
	src   []byte
	st    mdStyles
	width int
}

// block draws a block node in w columns.
func (d *mdDrawer) block(n ast.Node, w int) string {
	w = max(w, 10)
	switch n := n.(type) {
	case *ast.Heading:
		return d.st.heading.Render(wrapText(d.inline(n), w))
	case *ast.Paragraph, *ast.TextBlock:
		return wrapText(d.inline(n), w)
	case *ast.List:
		return d.list(n, w)
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		// Commands are wrapped, not cut: a person copies them.
		var lines []string
		for _, l := range strings.Split(strings.TrimRight(d.lines(n), "\n"), "\n") {
			lines = append(lines, wrapAtSpaces(l, w-2)...)
		}
		for i, l := range lines {
			lines[i] = d.st.code.Render(l)
		}
		return indent(strings.Join(lines, "\n"), "  ")
	case *ast.Blockquote:
		var parts []string
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			parts = append(parts, d.block(c, w-2))
		}
		return indent(d.st.quote.Render(strings.Join(parts, "\n\n")), "│ ")
	case *ast.ThematicBreak:
		return d.st.rule.Render(strings.Repeat("─", min(w, 40)))
	case *ast.HTMLBlock:
		return strings.TrimRight(d.lines(n), "\n")
	}
	return strings.TrimRight(d.lines(n), "\n")
}

// list draws a list: "• " or "N. " and the item's blocks under it.
func (d *mdDrawer) list(l *ast.List, w int) string {
	var items []string
	num := l.Start
	for it := l.FirstChild(); it != nil; it = it.NextSibling() {
		mark := "• "
		if l.IsOrdered() {
			mark = fmt.Sprintf("%d. ", num)
			num++
		}
		hang := strings.Repeat(" ", ansi.StringWidth(mark))
		var parts []string
		for c := it.FirstChild(); c != nil; c = c.NextSibling() {
			parts = append(parts, d.block(c, w-len(hang)))
		}
		sep := "\n"
		if !l.IsTight {
			sep = "\n\n"
		}
		body := indent(strings.Join(parts, sep), hang)
		items = append(items, mark+strings.TrimPrefix(body, hang))
	}
	if l.IsTight {
		return strings.Join(items, "\n")
	}
	return strings.Join(items, "\n\n")
}

// lines is a block's raw lines (code blocks, HTML).
func (d *mdDrawer) lines(n ast.Node) string {
	var b strings.Builder
	lines := n.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		b.Write(seg.Value(d.src))
	}
	return b.String()
}

// inline draws the inline content of a block on one line; the caller wraps.
func (d *mdDrawer) inline(n ast.Node) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		b.WriteString(d.inlineNode(c))
	}
	return b.String()
}

func (d *mdDrawer) inlineNode(n ast.Node) string {
	switch n := n.(type) {
	case *ast.Text:
		s := string(n.Segment.Value(d.src))
		switch {
		case n.HardLineBreak():
			s += "\n"
		case n.SoftLineBreak():
			s += " "
		}
		return s
	case *ast.String:
		return string(n.Value)
	case *ast.CodeSpan:
		var b strings.Builder
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			if t, ok := c.(*ast.Text); ok {
				b.Write(t.Segment.Value(d.src))
			}
		}
		return d.st.code.Render(b.String())
	case *ast.Emphasis:
		if n.Level >= 2 {
			return d.st.strong.Render(d.inline(n))
		}
		return d.st.emph.Render(d.inline(n))
	case *ast.Link:
		label := d.inline(n)
		if dest := string(n.Destination); dest != "" && dest != label {
			return label + " (" + dest + ")"
		}
		return label
	case *ast.AutoLink:
		return string(n.URL(d.src))
	case *ast.RawHTML:
		var b strings.Builder
		for i := 0; i < n.Segments.Len(); i++ {
			seg := n.Segments.At(i)
			b.Write(seg.Value(d.src))
		}
		return b.String()
	}
	return d.inline(n)
}

// wrapText wraps text to limit columns at spaces only, keeping its line
// breaks. ansi.Wordwrap also breaks after every hyphen, which split ids
// such as db-P6FXBT5MOHQ346E7U7IFBDPM2P, rds:app5ec7032-2026-11-25-03-10
// and ARNs across lines, so a person could not copy them in one go.
func wrapText(s string, limit int) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, wrapAtSpaces(l, limit)...)
	}
	return strings.Join(out, "\n")
}

// wrapAtSpaces wraps one line at spaces only, so ids and flags such as
// --db-instance-identifier stay whole, and keeps its indentation.
//
// A word longer than the line starts a line of its own and is cut at the
// width: left to overflow, it would be cut anyway, by the box around it
// (lipgloss wraps at hyphens) or by the terminal (which drops what is past
// its edge, so those characters could not be copied at all). Cut, every
// character stays on screen and the pieces are as few as they can be.
func wrapAtSpaces(line string, limit int) []string {
	if limit < 1 || ansi.StringWidth(line) <= limit {
		return []string{line}
	}
	var out []string
	cur, started := "", false
	for _, word := range strings.Split(line, " ") {
		switch {
		case !started:
			cur, started = word, word != "" || len(out) == 0
		case ansi.StringWidth(cur)+1+ansi.StringWidth(word) <= limit:
			cur += " " + word
		default:
			out = append(out, strings.TrimRight(cur, " "))
			// A run of spaces at the break is dropped, not carried over.
			cur, started = word, word != ""
		}
		for ansi.StringWidth(cur) > limit {
			head := ansi.Truncate(cur, limit, "")
			hw := ansi.StringWidth(head)
			if hw == 0 { // a character wider than the line: nothing to cut
				break
			}
			out = append(out, head)
			cur = ansi.TruncateLeft(cur, hw, "")
		}
	}
	if cur != "" || len(out) == 0 {
		out = append(out, cur)
	}
	return out
}

// indent puts prefix in front of every line.
func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

// stripMarkup is a body shown before the markdown is rendered (or when it
// could not be): the text without emphasis markers and code ticks.
func stripMarkup(md string) string {
	r := strings.NewReplacer("**", "", "__", "", "`", "")
	return r.Replace(md)
}

// trimBlankLines drops leading and trailing blank lines and trailing spaces.
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
