package tui

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/rehearsal"
)

// TestSecretsNeverOnScreen runs a Pulumi-method restore rehearsal (it reads
// the application's secret db-host, builds the new one and writes it)
// through the UI on a wide terminal, switching between the log and the
// explanation pane and resizing the terminal as it goes, and scans
// everything ever drawn for the secrets: the db-host (every endpoint of the
// account ends the same way) and the rehearsal's AWS keys. The run must
// finish in the UI despite the resizes.
var sizesDuringRun = []struct{ w, h int }{{80, 24}, {40, 12}, {200, 50}, {240, 60}}

func TestSecretsNeverOnScreen(t *testing.T) {
	secrets := []string{"c9akciq32x1z", "rehearsal-secret-key", "AKIAREHEARSAL0000000"}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run, world, err := rehearsal.Start(ctx, engine.Options{Runbook: "restore", Yes: true, Speed: 600, StateDir: t.TempDir(), Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = world.Close() })
	run.Start(ctx)
	opts := testOptions(time.Time{})
	opts.Clock = world.Clock
	r := &recorder{Model: New(ctx, run, opts)}
	tm := teatest.NewTestModel(t, r, teatest.WithInitialTermSize(240, 60))

	// Both what was written to the terminal and the text of every frame.
	var drawn bytes.Buffer
	for tick := 0; !strings.Contains(r.drawn(), "Run finished"); tick++ {
		if ctx.Err() != nil {
			t.Fatalf("the run did not finish in time; the screen shows:\n%s", screenText(r.Model))
		}
		if _, err := io.Copy(&drawn, tm.Output()); err != nil {
			t.Fatalf("read the screen: %v", err)
		}
		if tick%10 == 9 {
			tm.Send(press("tab"))
		}
		if tick%25 == 24 { // the terminal is resized while the run goes on
			size := sizesDuringRun[(tick/25)%len(sizesDuringRun)]
			tm.Send(tea.WindowSizeMsg{Width: size.w, Height: size.h})
		}
		time.Sleep(20 * time.Millisecond)
	}
	tm.Send(press("q"))
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(30*time.Second)).(*recorder).Model
	if err := run.Wait(); err != nil {
		t.Fatalf("the run failed: %v", err)
	}
	if fm.Failure() != "" || !fm.Finished() || fm.Interrupted() {
		t.Fatalf("the UI ended with failure %q, finished %v, interrupted %v", fm.Failure(), fm.Finished(), fm.Interrupted())
	}
	if _, err := io.Copy(&drawn, tm.Output()); err != nil {
		t.Fatal(err)
	}
	newID, _ := run.Var("new-instance")
	if newID == "" || !strings.Contains(r.drawn(), newID) {
		t.Fatalf("the new instance %q never showed: the scan would prove nothing", newID)
	}
	for where, text := range map[string]string{"the output": drawn.String(), "the frames": r.drawn(), "the final view": screenText(fm)} {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				i := strings.Index(text, s)
				t.Errorf("%s shows the secret %q: …%s…", where, s, text[max(0, i-80):min(len(text), i+len(s)+20)])
			}
		}
	}
}
