package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/engine"
)

// TestPacedClockShowsAWSTime: a rehearsal's clock reads the wall clock and
// plays AWS durations faster. Seven wall seconds of a running step at 60×
// are seven AWS minutes: the step list and the live status say so, and a
// step is late only past its expected AWS duration.
func TestPacedClockShowsAWSTime(t *testing.T) {
	o := testOptions(at(290))
	o.Clock = clock.NewManualSpeed(at(290), 60)
	m := New(context.Background(), newScriptedSession(stagingInfo, restoreSteps, nil, true), o)
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	m.Update(eventsMsg{now: at(290), events: []engine.Event{
		{Type: engine.EventStepStarted, StepID: "up", Time: at(290), Expected: 8 * time.Minute},
		{Type: engine.EventStatus, StepID: "up", Time: at(290), Status: statusChange("instance", "app3f9a1c2", "", "creating", at(290))},
	}})
	m.Update(tickMsg{now: at(297)})
	v := screenText(m)
	for _, want := range []string{"7:00 / ~8:00", "creating for 7m"} {
		if !strings.Contains(v, want) {
			t.Errorf("after 7 s of wall time at 60x the screen lacks %q:\n%s", want, v)
		}
	}
	if got := m.since(at(290)); got != 7*time.Minute {
		t.Errorf("since = %v, want 7m", got)
	}
}
