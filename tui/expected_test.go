package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"
)

// TestRealRunNamesItsExpectations: on a real run the log names the run a
// step's expected duration comes from, and nothing on screen speaks of a
// rehearsal (it said "took 4m0s last rehearsal" on production).
func TestRealRunNamesItsExpectations(t *testing.T) {
	info := productionInfo
	info.ExpectedFrom = "the last run on staging"
	s := newScriptedSession(info, restoreSteps, restoreScript(false), true)
	r := &recorder{Model: New(context.Background(), s, testOptions(at(152)))}
	tm := teatest.NewTestModel(t, r, teatest.WithInitialTermSize(120, 40))
	waitFor(t, r, "Nothing needs a restore")
	tm.Send(press("enter"))
	waitFor(t, r, "maintenance switch")
	tm.Send(press("x"))
	waitFor(t, r, "▶ fresh: Take a fresh snapshot of app5ec7032 (took 4m0s in the last run on staging)", "45%")
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second))
	if drawn := r.drawn(); strings.Contains(strings.ToLower(drawn), "rehearsal") {
		t.Errorf("a real run's screen speaks of a rehearsal:\n%s", drawn)
	}
}
