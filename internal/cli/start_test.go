package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/datalayer-tool/datalayer/tui"
)

// startScreenRun runs the command line as Execute does, on a terminal
// (unless plain), with pick standing in for the person at the start screen.
// It records what the start screen was asked.
func startScreenRun(t *testing.T, terminal bool, pick picker, args ...string) (result, []tui.StartOptions) {
	t.Helper()
	var out, errOut syncBuffer
	var asked []tui.StartOptions
	env := map[string]string{"HOME": t.TempDir(), "TERM": "xterm-256color", "DATALAYER_STATE_DIR": t.TempDir()}
	a := &app{
		io: IO{
			In: strings.NewReader(""), Out: &out, Err: &errOut,
			OutTerminal: terminal, InTerminal: terminal,
			Env: func(k string) string { return env[k] },
		},
		pick: func(ctx context.Context, o tui.StartOptions) (tui.StartChoice, error) {
			asked = append(asked, o)
			if pick == nil {
				t.Fatal("the start screen was shown")
			}
			return pick(ctx, o)
		},
	}
	root := a.newRoot()
	root.SetArgs(args)
	root.SetIn(a.io.In)
	root.SetOut(&out)
	root.SetErr(&errOut)
	ctx := context.Background()
	cmd, err := root.ExecuteContextC(ctx)
	code := a.exitCode(ctx, cmd, err)
	return result{code, out.String(), errOut.String()}, asked
}

func choose(runbook, stack string) picker {
	return func(context.Context, tui.StartOptions) (tui.StartChoice, error) {
		return tui.StartChoice{Runbook: runbook, Stack: stack}, nil
	}
}

func TestStartScreenDecision(t *testing.T) {
	cancelled := func(context.Context, tui.StartOptions) (tui.StartChoice, error) {
		return tui.StartChoice{}, fmt.Errorf("esc: %w", tui.ErrStartCancelled)
	}
	tests := []struct {
		name     string
		terminal bool
		pick     picker
		args     []string
		code     int
		wantErr  string
		asked    bool   // the start screen was shown
		runbook  string // what it was told the runbook is ("" when it asks)
		stacks   bool   // it asked for a stack
	}{
		{"rehearse without runbook, no terminal", false, nil, []string{"rehearse"}, ExitUsage, "name one runbook", false, "", false},
		{"rehearse without runbook, --plain on a terminal", true, nil, []string{"rehearse", "--plain"}, ExitUsage, "name one runbook", false, "", false},
		{"deploy without stack, no terminal", false, nil, []string{"deploy"}, ExitUsage, `"stack" not set: add --stack NAME (one of staging, production)`, false, "", false},
		{"restore without stack, --plain on a terminal", true, nil, []string{"restore", "--plain"}, ExitUsage, `"stack" not set`, false, "", false},
		{"rehearse cancelled", true, cancelled, []string{"rehearse"}, ExitInterrupted, "interrupted", true, "", false},
		{"restore cancelled", true, cancelled, []string{"restore"}, ExitInterrupted, "interrupted", true, "restore", true},
		// The choice goes through the same checks as flags would.
		{"chosen production refuses --yes", true, choose("restore", "production"), []string{"restore", "--yes"}, ExitUsage, "never accepted on the production stack production", true, "restore", true},
		{"chosen runbook meets --method", true, choose("deploy", ""), []string{"rehearse", "--method", "pulumi"}, ExitUsage, "belongs to the restore runbook, not deploy", true, "", false},
		{"a given runbook is not asked", true, nil, []string{"rehearse", "deploy", "--method", "pulumi"}, ExitUsage, "not deploy", false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, asked := startScreenRun(t, tt.terminal, tt.pick, tt.args...)
			if r.code != tt.code || !strings.Contains(r.errOut, tt.wantErr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", r.code, r.errOut, tt.code, tt.wantErr)
			}
			if (len(asked) > 0) != tt.asked {
				t.Fatalf("start screen shown %d times, want shown=%v", len(asked), tt.asked)
			}
			if !tt.asked {
				return
			}
			o := asked[0]
			if o.Runbook != tt.runbook || (len(o.Stacks) > 0) != tt.stacks {
				t.Fatalf("start screen asked with runbook %q and %d stacks", o.Runbook, len(o.Stacks))
			}
			if tt.stacks {
				want := []tui.StartStack{{Name: "staging"}, {Name: "production", Production: true}}
				if fmt.Sprint(o.Stacks) != fmt.Sprint(want) {
					t.Fatalf("stacks offered %+v, want %+v", o.Stacks, want)
				}
			}
		})
	}
}

// TestStartScreenChoiceRuns: a stack chosen on the start screen is used as
// --stack would be, up to the point where the real clients are built.
func TestStartScreenChoiceRuns(t *testing.T) {
	isolateAWS(t)
	r, asked := startScreenRun(t, true, choose("deploy", "staging"), "deploy")
	if len(asked) != 1 || asked[0].Runbook != "deploy" {
		t.Fatalf("start screen asked %+v", asked)
	}
	// No Pulumi program in the working directory: the stack was accepted
	// and the run got as far as opening it.
	if r.code != ExitUsage || !strings.Contains(r.errOut, "data.dir: no Pulumi program") {
		t.Fatalf("exit %d, stderr %q", r.code, r.errOut)
	}
}
