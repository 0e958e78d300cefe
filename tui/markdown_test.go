package tui

import (
	"context"
	"fmt"
	"image/color"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/datalayer-tool/datalayer/engine"
)

// TestGateBodyHasNoMarkup: the gate's body reads as text, not markdown,
// before it is rendered, after, without colours and on dark and light
// backgrounds.
func TestGateBodyHasNoMarkup(t *testing.T) {
	for _, style := range []string{"no-colour", "dark", "light"} {
		for _, size := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", style, size.w, size.h), func(t *testing.T) {
				s := newScriptedSession(stagingInfo, restoreSteps, nil, true)
				opts := testOptions(at(300))
				opts.NoColor = style == "no-colour"
				m := New(context.Background(), s, opts)
				m.Update(tea.WindowSizeMsg{Width: size.w, Height: size.h})
				if style == "light" {
					m.Update(tea.BackgroundColorMsg{Color: color.White})
					if m.c.dark {
						t.Fatal("a white background did not make the styles light")
					}
				}
				_, cmd := m.Update(eventsMsg{events: gateEvents(), now: at(300)})
				if openKind(m) != engine.PromptGate {
					t.Fatalf("%q open after a gate prompt, want the gate", openKind(m))
				}
				before := ansi.Strip(screenText(m))
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
				after := ansi.Strip(screenText(m))
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

// knownVarsSession is a resumed session: it knows variables no event repeats.
type knownVarsSession struct {
	*scriptedSession
	vars map[string]string
}

func (s knownVarsSession) Vars() map[string]string { return s.vars }

// TestCommandsShowKnownVariables: the explanation's "By hand" commands carry
// the run's values once known; unknown and secret placeholders stay.
func TestCommandsShowKnownVariables(t *testing.T) {
	list := []engine.StepInfo{
		{ID: "fresh", Title: "Take a fresh snapshot", Kind: engine.KindWait, Phase: "prepare",
			Explanation: "Keep a copy first.",
			Commands: []string{
				"create-db-snapshot --db-instance-identifier {instance} --db-snapshot-identifier {instance}-x",
				"pulumi config get db-host --stack {app-stack}   # now {db-host}",
				"restore-db-instance-from-db-snapshot --db-snapshot-identifier {snapshot}",
			}},
	}
	started := engine.Event{Type: engine.EventStepStarted, StepID: "fresh", Time: at(10)}
	tests := []struct {
		name    string
		known   map[string]string // what a resumed session knows already
		events  []engine.Event
		want    []string
		wantNot []string
	}{
		{
			name:    "before any variable only the stacks are known",
			events:  []engine.Event{started},
			want:    []string{"--db-instance-identifier {instance}", "--stack data/staging", "{db-host}", "{snapshot}"},
			wantNot: []string{"{app-stack}"},
		},
		{
			name: "variables from events are filled in, secrets are not",
			events: []engine.Event{started,
				{Type: engine.EventVariable, StepID: "fresh", Time: at(11), Name: "instance", Value: "app5ec7032"},
				{Type: engine.EventVariable, StepID: "fresh", Time: at(11), Name: "db-host", Value: "[secret]", Secret: true},
			},
			want: []string{
				"--db-instance-identifier app5ec7032 --db-snapshot-identifier app5ec7032-x",
				"# now {db-host}", "--db-snapshot-identifier {snapshot}",
			},
			wantNot: []string{"{instance}", "now [secret]"},
		},
		{
			name:   "a resumed run's earlier variables are filled in",
			known:  map[string]string{"instance": "app5ec7032", "snapshot": "pre-release-2026-11-22"},
			events: []engine.Event{started},
			want: []string{
				"--db-instance-identifier app5ec7032",
				"--db-snapshot-identifier pre-release-2026-11-22",
			},
			wantNot: []string{"{instance}", "{snapshot}"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s engine.Session = newScriptedSession(stagingInfo, list, nil, true)
			if tt.known != nil {
				s = knownVarsSession{scriptedSession: s.(*scriptedSession), vars: tt.known}
			}
			m := New(context.Background(), s, testOptions(at(300)))
			// Narrow enough for the explanation to get the lower pane, wide
			// enough for a command to stay on one line.
			_, cmd := m.Update(tea.WindowSizeMsg{Width: 109, Height: 40})
			_, cmd2 := m.Update(eventsMsg{events: tt.events, now: at(300)})
			for _, msg := range runQuiet(cmdWithoutWait(tea.Batch(cmd, cmd2))) {
				m.Update(msg)
			}
			if !strings.HasPrefix(m.explKey, "step:fresh@") || strings.HasSuffix(m.explKey, ":raw") {
				t.Fatalf("the explanation shows %q, want the rendered step", m.explKey)
			}
			view := ansi.Strip(screenText(m))
			for _, w := range tt.want {
				if !strings.Contains(view, w) {
					t.Errorf("the screen lacks %q:\n%s", w, view)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(view, w) {
					t.Errorf("the screen shows %q:\n%s", w, view)
				}
			}
		})
	}
}

// TestMarkdownBlocks: the blocks datalayer writes, drawn as text with a
// margin of two on either side, wrapped to the width; commands wrap at
// spaces rather than get cut.
func TestMarkdownBlocks(t *testing.T) {
	tests := []struct {
		name, md string
		width    int
		want     string
	}{
		{name: "heading and paragraph", width: 40,
			md:   "## Take a snapshot\n\nTakes a **manual snapshot** of the current instance first, so the restore can be `undone`.",
			want: "  Take a snapshot\n\n  Takes a manual snapshot of the\n  current instance first, so the\n  restore can be undone."},
		{name: "bullets and numbers", width: 40,
			md:   "- one\n- two, which is a longer item that wraps\n\n1. first\n2. second",
			want: "  • one\n  • two, which is a longer item that\n    wraps\n\n  1. first\n  2. second"},
		{name: "an indented command wraps", width: 40,
			md:   "By hand:\n\n    aws rds create-db-snapshot --db-instance-identifier app5ec7032",
			want: "  By hand:\n\n    aws rds create-db-snapshot\n    --db-instance-identifier\n    app5ec7032"},
		{name: "fenced diff keeps its lines", width: 60,
			md:   "```diff\n-  engineVersion: \"16.11\",\n+  engineVersion: \"17.7\",\n```",
			want: "    -  engineVersion: \"16.11\",\n    +  engineVersion: \"17.7\","},
		{name: "link", width: 60, md: "See [the guide](https://example.org/guide).",
			want: "  See the guide (https://example.org/guide)."},
	}
	r := newMarkdownRenderer(NewStyles(DefaultTheme(), true))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := r.render(tt.md, tt.width)
			if err != nil {
				t.Fatal(err)
			}
			got := ansi.Strip(out)
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
			for i, l := range strings.Split(got, "\n") {
				if w := ansi.StringWidth(l); w > tt.width {
					t.Errorf("line %d is %d wide, over %d: %q", i, w, tt.width, l)
				}
			}
		})
	}
}

// TestWrapText: text wraps at spaces only, so the ids a person copies during
// an incident (resource ids, instance names, snapshot ids, ARNs) are never
// split at their hyphens; a word longer than the line gets a line of its own
// and is cut at the width.
func TestWrapText(t *testing.T) {
	tests := []struct {
		name, in string
		limit    int
		want     string
	}{
		{name: "fits", in: "restore app5ec7032", limit: 40, want: "restore app5ec7032"},
		{name: "resource id stays whole", limit: 30,
			in:   "The instance's resource id is db-P6FXBT5MOHQ346E7U7IFBDPM2P, kept.",
			want: "The instance's resource id is\ndb-P6FXBT5MOHQ346E7U7IFBDPM2P,\nkept."},
		{name: "instance name stays whole", limit: 20,
			in:   "then delete the old app5ec7032-final instance",
			want: "then delete the old\napp5ec7032-final\ninstance"},
		{name: "snapshot id stays whole", limit: 40,
			in:   "from snapshot rds:app5ec7032-2026-11-25-03-10 now",
			want: "from snapshot\nrds:app5ec7032-2026-11-25-03-10 now"},
		{name: "ARN longer than the line gets its own line, cut at the width", limit: 20,
			in:   "see arn:aws:rds:eu-west-1:123456789012:db:app5ec7032 now",
			want: "see\narn:aws:rds:eu-west-\n1:123456789012:db:ap\np5ec7032 now"},
		{name: "line breaks are kept", limit: 40, in: "one\ntwo three", want: "one\ntwo three"},
		{name: "each line wraps on its own", limit: 10,
			in: "alpha beta gamma\ndelta", want: "alpha beta\ngamma\ndelta"},
		{name: "indentation is kept", limit: 12, in: "    aws rds describe", want: "    aws rds\ndescribe"},
		{name: "spaces at a break are dropped", limit: 10, in: "alpha beta   gamma", want: "alpha beta\ngamma"},
		{name: "styles do not count and carry over a cut", limit: 12,
			in:   "\x1b[1mapp5ec7032-final\x1b[0m is up",
			want: "\x1b[1mapp5ec7032-f\x1b[0m\n\x1b[1minal\x1b[0m is up"},
		{name: "empty", limit: 10, in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := wrapText(tt.in, tt.limit)
			if got != tt.want {
				t.Errorf("wrapText(%q, %d) =\n%q\nwant\n%q", tt.in, tt.limit, got, tt.want)
			}
			for i, l := range strings.Split(got, "\n") {
				if w := ansi.StringWidth(l); w > tt.limit {
					t.Errorf("line %d is %d wide, over %d: %q", i, w, tt.limit, l)
				}
			}
			if strings.Join(strings.Fields(ansi.Strip(got)), "") != strings.Join(strings.Fields(ansi.Strip(tt.in)), "") {
				t.Errorf("wrapping lost or added characters: %q from %q", got, tt.in)
			}
		})
	}
}
