package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tmux runs one tmux server of its own (its own socket), so the test never
// touches anyone's sessions.
type tmux struct {
	t      *testing.T
	socket string
	target string
}

func (x *tmux) cmd(args ...string) (string, error) {
	full := append([]string{"-L", x.socket}, args...)
	out, err := exec.Command("tmux", full...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("tmux %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func (x *tmux) must(args ...string) string {
	x.t.Helper()
	out, err := x.cmd(args...)
	if err != nil {
		x.t.Fatal(err)
	}
	return out
}

// screen is what the pane shows now, as plain text.
func (x *tmux) screen() string {
	x.t.Helper()
	return x.must("capture-pane", "-p", "-t", x.target)
}

// typeText types text literally, then presses the keys (tmux key names).
func (x *tmux) typeText(text string, keys ...string) {
	x.t.Helper()
	if text != "" {
		x.must("send-keys", "-t", x.target, "-l", text)
	}
	if len(keys) > 0 {
		x.must(append([]string{"send-keys", "-t", x.target}, keys...)...)
	}
}

var (
	gateRE     = regexp.MustCompile(`Type (\S+) to go on`)
	exitRE     = regexp.MustCompile(`datalayer exited with status (\d+)`)
	finishedRE = regexp.MustCompile(`Run (finished|failed|stopped)`)
)

// TestRehearseRestoreInTmux runs `datalayer rehearse restore` in a 100×30
// tmux pane, answers every decision with its recommendation, ticks every
// manual step, types every gate's name, and checks the final screen.
func TestRehearseRestoreInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed; scripts/test.sh installs it (apt-get install tmux)")
	}
	tests := []struct {
		name string
		args []string
	}{
		{name: "pulumi method", args: []string{"rehearse", "restore", "--speed", "120"}},
		{name: "console method", args: []string{"rehearse", "restore", "--speed", "120", "--method", "console"}},
	}
	bin := binary(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := t.TempDir()
			x := &tmux{t: t, socket: fmt.Sprintf("datalayer-e2e-%d-%d", os.Getpid(), i), target: "run"}
			t.Cleanup(func() { _, _ = x.cmd("kill-server") })

			// The shell line keeps the pane open after the program ends, so
			// the exit status can be read.
			line := fmt.Sprintf("env DATALAYER_STATE_DIR=%q HOME=%q %q %s; echo; echo \"datalayer exited with status $?\"; sleep 600",
				state, state, bin, strings.Join(tt.args, " "))
			x.must("new-session", "-d", "-s", "run", "-x", "100", "-y", "30", "sh", "-c", line)

			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			final, answered := drive(ctx, t, x, nil, nil)
			t.Logf("answered %d prompts; final screen:\n%s", answered, final)

			for _, want := range []string{"Run finished", "datalayer report", "REHEARSAL"} {
				if !strings.Contains(final, want) {
					t.Errorf("the final screen does not say %q", want)
				}
			}
			for _, bad := range []string{"✗", "Run failed", "waiting for you"} {
				if strings.Contains(final, bad) {
					t.Errorf("the final screen shows %q", bad)
				}
			}
			if answered < 2 {
				t.Errorf("only %d prompts were answered; a restore asks at least a decision and a gate", answered)
			}

			// q closes the finished screen; the program exits 0.
			x.typeText("", "q")
			deadline := time.Now().Add(30 * time.Second)
			for {
				s := x.screen()
				if m := exitRE.FindStringSubmatch(s); m != nil {
					if m[1] != "0" {
						t.Fatalf("datalayer exited with status %s:\n%s", m[1], s)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("datalayer did not exit after q:\n%s", s)
				}
				time.Sleep(200 * time.Millisecond)
			}
		})
	}
}

// chooser answers a decision as the person at the keyboard wants: given
// the screen of an open decision, it returns how the label of the option to
// choose begins, or "" to take the one the cursor starts on (the
// recommendation).
type chooser func(screen string) string

// drive answers prompts until the run ends, and returns the final screen
// and how many prompts it answered. onScreen, when given, sees every screen
// captured on the way (to check no frame shows a secret); choose, when
// given, picks options of decisions (moving the cursor with the arrow keys
// before enter), else every decision takes its recommendation.
func drive(ctx context.Context, t *testing.T, x *tmux, onScreen func(string), choose chooser) (string, int) {
	t.Helper()
	var last string
	answered := 0
	lastAnswer := ""
	lastAt := time.Time{}
	for {
		s := x.screen()
		if onScreen != nil {
			onScreen(s)
		}
		last = s
		if finishedRE.MatchString(s) {
			return s, answered
		}
		if m := exitRE.FindStringSubmatch(s); m != nil {
			t.Fatalf("datalayer exited (status %s) before the run finished:\n%s", m[1], s)
		}
		if ctx.Err() != nil {
			t.Fatalf("the run did not finish in time; the screen:\n%s", last)
		}
		// One answer per screen: wait for the screen to move on, but try
		// again if it has not after a while (a key lost in a redraw).
		key := promptKey(s)
		if key != "" && (key != lastAnswer || time.Since(lastAt) > 5*time.Second) {
			switch {
			case strings.Contains(s, "Gate ·"):
				m := gateRE.FindStringSubmatch(s)
				if m == nil {
					t.Fatalf("a gate without a name to type:\n%s", s)
				}
				x.typeText(m[1], "Enter")
			case strings.Contains(s, "Your turn ·"):
				x.typeText("", "x")
			case strings.Contains(s, "Decision ·"):
				if want := pick(choose, s); want != "" {
					cur, ok := cursorOption(s)
					if !ok {
						t.Fatalf("a decision to answer with %q shows no cursor:\n%s", want, s)
					}
					if !strings.HasPrefix(cur, want) {
						// Not there yet: one step down, then look again
						// once the cursor has moved.
						x.typeText("", "Down")
						waitCursorMoved(ctx, x, cur)
						continue
					}
				}
				x.typeText("", "Enter")
			}
			if key != lastAnswer {
				answered++
			}
			lastAnswer, lastAt = key, time.Now()
		}
		time.Sleep(150 * time.Millisecond)
	}
}

func pick(choose chooser, screen string) string {
	if choose == nil {
		return ""
	}
	return choose(screen)
}

// cursorOption is the start of the option the cursor of an open choice is
// on ("> " marks it), as far as its first line shows it.
func cursorOption(s string) (string, bool) {
	for _, l := range strings.Split(s, "\n") {
		if i := strings.Index(l, "┃ > "); i >= 0 {
			return strings.TrimSpace(strings.TrimRight(l[i+len("┃ > "):], "│ ")), true
		}
	}
	return "", false
}

// waitCursorMoved waits (a few seconds at most) until the cursor of the
// open choice is no longer on the option that starts with from.
func waitCursorMoved(ctx context.Context, x *tmux, from string) {
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if cur, ok := cursorOption(x.screen()); !ok || cur != from {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// promptKey identifies the open prompt on a screen (its modal heading), or
// "" when none is open.
func promptKey(s string) string {
	lines := strings.Split(s, "\n")
	for n, l := range lines {
		for _, kind := range []string{"Gate ·", "Your turn ·", "Decision ·"} {
			i := strings.Index(l, kind)
			if i < 0 {
				continue
			}
			key := strings.TrimSpace(strings.Trim(l[i:], "│┃ "))
			// The prompt's own title follows; two prompts of one step differ there.
			for _, next := range lines[n+1:] {
				if t := strings.TrimSpace(strings.Trim(next, "│┃ ")); t != "" {
					return key + " / " + t
				}
			}
			return key
		}
	}
	return ""
}
