package tui

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// syncBuffer is an output the test reads while the program writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// colourSGR matches a foreground or background colour in an SGR sequence
// (16, 256 or true colour).
var colourSGR = regexp.MustCompile(`\x1b\[[0-9;]*(3[0-7]|9[0-7]|4[0-7]|10[0-7]|[34]8;[25];)[0-9;]*m`)

// wideColourSGR matches a 256 or true colour.
var wideColourSGR = regexp.MustCompile(`\x1b\[[0-9;]*[34]8;[25];[0-9;]*m`)

// TestNoColorHonoured runs the program with Run's options, colours forced
// on (CLICOLOR_FORCE, a 256-colour TERM): the screen has colours, and with
// NO_COLOR set as well it has none (bold and the like may stay); on a
// 16-colour terminal the colours degrade to those 16. The test
// output is no terminal, so the program is given a size.
func TestNoColorHonoured(t *testing.T) {
	for _, tt := range []struct {
		name       string
		term       string
		noColor    bool
		wantColour bool
		want256    bool // 256 or true colours, beyond the 16
	}{
		{name: "colours forced", term: "xterm-256color", wantColour: true, want256: true},
		{name: "16 colours degrade", term: "xterm", wantColour: true},
		{name: "NO_COLOR wins", term: "xterm-256color", noColor: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TERM", tt.term)
			t.Setenv("COLORTERM", "")
			t.Setenv("CLICOLOR_FORCE", "1")
			if tt.noColor {
				t.Setenv("NO_COLOR", "1")
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out := &syncBuffer{}
			s := newScriptedSession(stagingInfo, restoreSteps, restoreScript(false)[:4], true)
			opts := testOptions(at(3))
			opts.NoColor = false // what NO_COLOR decides is under test
			opts.Input, opts.Output, opts.Summary = bytes.NewReader(nil), out, io.Discard
			opts = runOptions(opts)
			p := tea.NewProgram(New(ctx, s, opts), append(programOptions(ctx, opts), tea.WithWindowSize(100, 30))...)
			done := make(chan error, 1)
			go func() { _, err := p.Run(); done <- err }()
			deadline := time.Now().Add(20 * time.Second)
			for !bytes.Contains([]byte(out.String()), []byte("Check who we are")) {
				if time.Now().After(deadline) {
					t.Fatalf("nothing drawn: %q", out.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond)
			cancel()
			<-done
			if got := colourSGR.MatchString(out.String()); got != tt.wantColour {
				t.Errorf("colours on screen = %v, want %v; a colour sequence: %q", got, tt.wantColour, colourSGR.FindString(out.String()))
			}
			if got := wideColourSGR.MatchString(out.String()); got != tt.want256 {
				t.Errorf("256 or true colours on screen = %v, want %v: %q", got, tt.want256, wideColourSGR.FindString(out.String()))
			}
		})
	}
}
