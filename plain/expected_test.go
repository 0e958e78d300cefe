package plain

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/engine"
)

// TestExpectedDurationsNameTheirRun: a step's expected duration comes from
// the last run of the same kind, and the line that shows it names that
// run. A real run (deploy, upgrade, restore --stack) never expects from a
// rehearsal, whose AWS is simulated, nor speaks of one; it used to say
// "took 3s last rehearsal" whatever run had left the timings. The runs are
// the engine's own, in one state directory, in this order.
func TestExpectedDurationsNameTheirRun(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))
	book := &engine.Runbook{Name: "test", Steps: []*engine.Step{
		{ID: "wait", Title: "Wait for AWS", Kind: engine.KindAction, Phase: "apply", Explanation: "x",
			Do: func(x *engine.Exec) error { clk.Advance(3 * time.Second); return nil }},
	}}
	// A rehearsal's timings file from before real runs' were kept apart.
	if err := os.MkdirAll(filepath.Join(dir, "timings"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "timings", "test.json"), []byte(`{"run":"old","stack":"staging","steps":{"wait":7000000000}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, tt := range []struct {
		name string
		opts engine.Options
		want string // "": no expected duration
	}{
		{"a first rehearsal", engine.Options{Stack: "staging", Rehearsal: true}, ""},
		{"a first real run, after a rehearsal and beside the old file", engine.Options{Stack: "staging"}, ""},
		{"production after a real staging run", engine.Options{Stack: "production", Production: true}, "(took 3s in the last run on staging)"},
		{"a rehearsal after a real run", engine.Options{Stack: "staging", Rehearsal: true}, "(took 3s in the last rehearsal)"},
		{"a real run after a real run and a rehearsal", engine.Options{Stack: "staging"}, "(took 3s in the last run on staging)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			o.Runbook, o.StateDir, o.RunID, o.Yes = "test", dir, "r"+string(rune('a'+i)), true
			text := renderRun(t, book, o, clk)
			if strings.Contains(text, "rehearsal") != o.Rehearsal {
				t.Errorf("rehearsal %v, and the output speaks of one %v:\n%s", o.Rehearsal, !o.Rehearsal, text)
			}
			if tt.want == "" && strings.Contains(text, "(took ") {
				t.Errorf("an expected duration shown:\n%s", text)
			}
			if tt.want != "" && !strings.Contains(text, "▶ wait: Wait for AWS "+tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, text)
			}
		})
	}
}

// TestSkippedStepsExpectNothing: a step skipped last time (a manual task
// --yes leaves to a person) was not timed, so the next run expects no
// duration for it; it used to say "(took 0s in the last rehearsal)".
func TestSkippedStepsExpectNothing(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))
	book := &engine.Runbook{Name: "test", Steps: []*engine.Step{
		{ID: "wait", Title: "Wait for AWS", Kind: engine.KindAction, Phase: "apply", Explanation: "x",
			Do: func(x *engine.Exec) error { clk.Advance(3 * time.Second); return nil }},
		{ID: "by-hand", Title: "Check the application", Kind: engine.KindManual, Phase: "verify", Explanation: "x",
			// Its prompt and answer take a moment, which is not the task's time.
			Do: func(x *engine.Exec) error {
				clk.Advance(300 * time.Millisecond)
				return engine.Skip("not done: --yes never ticks a task for a person")
			}},
	}}
	var text string
	for _, id := range []string{"r1", "r2"} {
		text = renderRun(t, book, engine.Options{Runbook: "test", Stack: "staging", Rehearsal: true, StateDir: dir, RunID: id, Yes: true}, clk)
	}
	if !strings.Contains(text, "▶ wait: Wait for AWS (took 3s in the last rehearsal)") {
		t.Errorf("the step done last time has no expected duration:\n%s", text)
	}
	if !strings.Contains(text, "▶ by-hand: Check the application\n") {
		t.Errorf("the step skipped last time shows an expected duration:\n%s", text)
	}
}

// renderRun runs book on the engine with o and returns its plain output.
func renderRun(t *testing.T, book *engine.Runbook, o engine.Options, clk clock.Clock) string {
	t.Helper()
	run, err := engine.NewRun(book, o, engine.Deps{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	run.Start(context.Background())
	var out bytes.Buffer
	if err := Render(context.Background(), run, &out, nil, Options{UTC: true}); err != nil {
		t.Fatalf("render: %v\n%s", err, out.String())
	}
	if err := run.Wait(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
