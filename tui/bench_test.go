package tui

import (
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// longRun is n events of a long run: log lines, poller samples of six
// instances and snapshots, Pulumi progress and step changes.
func longRun(n int) []engine.Event {
	evs := make([]engine.Event, 0, n)
	for i := 0; len(evs) < n; i++ {
		when := at(i)
		step := restoreSteps[(i/200)%len(restoreSteps)].ID
		switch i % 10 {
		case 0:
			evs = append(evs, engine.Event{Type: engine.EventStepStarted, StepID: step, Time: when, Expected: 5 * time.Minute})
		case 1, 2:
			id := fmt.Sprintf("app%07x", i%3)
			evs = append(evs, engine.Event{Type: engine.EventStatus, StepID: step, Time: when,
				Status: sampleOf(awsclient.Change{Kind: "instance", ID: id, NewStatus: []string{"creating", "available", "modifying"}[i%3], At: when, Instance: instance(id, "creating", "16.13")})})
		case 3:
			id := fmt.Sprintf("snap-%d", i%3)
			evs = append(evs, engine.Event{Type: engine.EventStatus, StepID: step, Time: when,
				Status: sampleOf(awsclient.Change{Kind: "snapshot", ID: id, NewStatus: "creating", At: when, Snapshot: &awsclient.Snapshot{ID: id, Status: "creating", PercentProgress: int32(i % 100)}})})
		case 4:
			evs = append(evs, engine.Event{Type: engine.EventPulumi, StepID: step, Time: when, Pulumi: stepOf(pulumiclient.Progress{
				URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpCreateReplacement, Status: pulumiclient.StepStarted})})
		case 9:
			evs = append(evs, engine.Event{Type: engine.EventStepFinished, StepID: step, Time: when, Elapsed: 9 * time.Second})
		default:
			evs = append(evs, engine.Event{Type: engine.EventOutput, StepID: step, Time: when,
				Text: fmt.Sprintf("line %d: rds describe-db-instances app5ec7032 → available, pg 16.13, endpoint app5ec7032.c9akciq32x1z.eu-west-2.rds.amazonaws.com", i)})
		}
	}
	return evs
}

// loadedModel is a model that has seen n events, with every markdown render
// done.
func loadedModel(b *testing.B, n, w, h int) *Model {
	s := newScriptedSession(stagingInfo, restoreSteps, nil, true)
	m := New(b.Context(), s, testOptions(at(n)))
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	evs := longRun(n)
	for i := 0; i < len(evs); i += maxBatch {
		_, cmd := m.Update(eventsMsg{events: evs[i:min(i+maxBatch, len(evs))], now: at(i)})
		for _, msg := range runQuiet(cmdWithoutWait(cmd)) {
			m.Update(msg)
		}
	}
	return m
}

// cmdWithoutWait drops the Cmd that waits for the next event (it would
// block): only markdown renders are left to run.
func cmdWithoutWait(cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() tea.Msg {
		done := make(chan tea.Msg, 1)
		go func() { done <- cmd() }()
		select {
		case msg := <-done:
			if batch, ok := msg.(tea.BatchMsg); ok {
				var keep tea.BatchMsg
				for _, c := range batch {
					keep = append(keep, cmdWithoutWait(c))
				}
				return keep
			}
			return msg
		case <-time.After(time.Second):
			return nil
		}
	}
}

func BenchmarkView(b *testing.B) {
	for _, bc := range []struct{ events, w, h int }{{5000, 80, 24}, {5000, 200, 60}, {20000, 120, 40}} {
		b.Run(fmt.Sprintf("%devents_%dx%d", bc.events, bc.w, bc.h), func(b *testing.B) {
			m := loadedModel(b, bc.events, bc.w, bc.h)
			if len(m.run.Log) < 1000 {
				b.Fatalf("only %d log lines", len(m.run.Log))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkEventBatch is the cost of taking in one batch of 256 events on a
// long run (Update plus the viewport sync), the other half of a frame.
func BenchmarkEventBatch(b *testing.B) {
	m := loadedModel(b, 5000, 120, 40)
	batch := longRun(maxBatch)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m.Update(eventsMsg{events: batch, now: at(5000)})
	}
}
