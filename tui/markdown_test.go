package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// TestGateBodyHasNoMarkup: the gate's body reads as text, not markdown,
// before glamour has rendered it, after, and in every style.
func TestGateBodyHasNoMarkup(t *testing.T) {
	for _, style := range []string{"ascii", "notty", "dark"} {
		for _, size := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", style, size.w, size.h), func(t *testing.T) {
				s := newScriptedSession(stagingInfo, restoreSteps, nil, true)
				opts := testOptions(at(300))
				opts.MarkdownStyle = style
				m := New(context.Background(), s, opts)
				m.Update(tea.WindowSizeMsg{Width: size.w, Height: size.h})
				_, cmd := m.Update(eventsMsg{events: gateEvents(), now: at(300)})
				if m.mode != modeGate {
					t.Fatalf("mode %s after a gate prompt, want gate", m.mode)
				}
				before := ansi.Strip(m.View())
				rendered := 0
				for _, msg := range runQuiet(cmdWithoutWait(cmd)) {
					if mm, ok := msg.(markdownMsg); ok && strings.HasPrefix(mm.key, "prompt:") {
						if mm.err != nil {
							t.Fatalf("render the body: %v", mm.err)
						}
						rendered++
					}
					m.Update(msg)
				}
				if rendered == 0 {
					t.Fatal("the gate asked for no markdown render of its body")
				}
				after := ansi.Strip(m.View())
				for name, view := range map[string]string{"before rendering": before, "rendered": after} {
					if strings.Contains(view, "**") {
						t.Errorf("%s, the gate shows markdown markup:\n%s", name, view)
					}
					if !strings.Contains(view, "then delete") || !strings.Contains(view, "app5ec7032 (a") {
						t.Errorf("%s, the gate lacks its body text:\n%s", name, view)
					}
					if got := len(strings.Split(view, "\n")); got != size.h {
						t.Errorf("%s, the frame is %d lines tall, want %d", name, got, size.h)
					}
				}
				if after == before {
					t.Errorf("the rendered body looks like the unrendered one:\n%s", after)
				}
			})
		}
	}
}

func TestStripMarkup(t *testing.T) {
	tests := []struct{ in, want string }{
		{"`pulumi up` on stack **staging** will:", "pulumi up on stack staging will:"},
		{"delete __app__ now", "delete app now"},
		{"no markup, rds:app5ec7032-2026-11-25", "no markup, rds:app5ec7032-2026-11-25"},
	}
	for _, tt := range tests {
		if got := stripMarkup(tt.in); got != tt.want {
			t.Errorf("stripMarkup(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
