package tui

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/datalayer-tool/datalayer/engine"
)

// countingWriter counts what the renderer writes to the terminal.
type countingWriter struct {
	mu     sync.Mutex
	bytes  int
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.bytes += len(p)
	w.writes++
	w.mu.Unlock()
	return len(p), nil
}

func (w *countingWriter) read() (bytes, writes int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bytes, w.writes
}

// feedSession is a session whose events the test sends one by one.
type feedSession struct {
	ch chan engine.Event
}

func (s *feedSession) Info() engine.RunInfo        { return stagingInfo }
func (s *feedSession) Steps() []engine.StepInfo    { return restoreSteps }
func (s *feedSession) Events() <-chan engine.Event { return s.ch }
func (s *feedSession) Answer(engine.Answer) error  { return nil }

// waitQuiet waits until the writer has taken more than after bytes and then
// nothing for quiet, and returns the count.
func waitQuiet(w *countingWriter, after int, quiet time.Duration) int {
	deadline := time.Now().Add(10 * time.Second)
	last, lastChange := after, time.Now()
	for time.Now().Before(deadline) {
		n, _ := w.read()
		if n != last {
			last, lastChange = n, time.Now()
		}
		if last > after && time.Since(lastChange) >= quiet {
			return last
		}
		time.Sleep(2 * time.Millisecond)
	}
	return last
}

// BenchmarkScrollingLogBytes is what the renderer writes to the terminal for
// 100 frames of a scrolling log at 120×40, on the alternate screen as a run
// draws: one log line per frame, each frame waited for before the next line
// is sent. It reports bytes per frame (the figure BENCHMARKS.md quotes) and
// the writes per frame. Run with -benchtime 1x.
func BenchmarkScrollingLogBytes(b *testing.B) {
	const frames = 100
	for b.Loop() {
		s := &feedSession{ch: make(chan engine.Event)}
		opts := testOptions(at(0))
		m := New(context.Background(), s, opts)
		w := &countingWriter{}
		p := tea.NewProgram(m, tea.WithInput(nil), tea.WithOutput(w), tea.WithWindowSize(120, 40))
		done := make(chan error, 1)
		go func() { _, err := p.Run(); done <- err }()
		p.Send(tea.WindowSizeMsg{Width: 120, Height: 40})
		s.ch <- engine.Event{Type: engine.EventStepStarted, StepID: "fresh", Time: at(0)}
		base := waitQuiet(w, 0, 50*time.Millisecond)
		start := base
		_, startWrites := w.read()
		for i := range frames {
			s.ch <- engine.Event{Type: engine.EventOutput, StepID: "fresh", Time: at(i + 1),
				Text: fmt.Sprintf("line %03d: rds describe-db-snapshots app5ec7032-before-restore → creating, %d%% done", i, i)}
			n := waitQuiet(w, base, 25*time.Millisecond)
			if n == base {
				b.Fatalf("frame %d was never drawn", i)
			}
			base = n
		}
		total, writes := w.read()
		p.Quit()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(total-start)/frames, "B/frame")
		b.ReportMetric(float64(writes-startWrites)/frames, "writes/frame")
	}
}
