package rehearsal

import (
	"strings"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/clock"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/runview"
)

// A failed poll reaches the screen in a real run: the simulator drops
// connections (network-loss) or throttles (throttling), the run's one
// poller reports the failed looks, the engine emits them, and the view
// model both renderers read shows "poll failed" until a good look clears
// it. The events are the engine's own, live and as the journal keeps them
// (a resumed run and the report read those); before the engine had
// payloads of its own, the journal's form lost the error and the TUI never
// showed the failure.
func TestPollFailuresReachTheView(t *testing.T) {
	const outage = 5 * time.Minute
	for _, code := range []string{rdssim.FaultDrop, "Throttling"} {
		t.Run(code, func(t *testing.T) {
			// From the start of the wait for the restored instance, every
			// describe fails for five AWS minutes: an outage in time, not
			// on request numbers (which other callers and the poller's
			// schedule share out), so whole looks fail whatever that
			// schedule is (a look a minute at most while the change is
			// not due, each call's 10 tries well inside the outage), and
			// the looks after it succeed (the restore takes about 7
			// minutes; the wait's limit is an hour). The world's clock
			// reads the wall: the outage's AWS minutes are that much less
			// of it.
			hook := func(w *World, e engine.Event) {
				if e.Type == engine.EventStepStarted && e.StepID == "wait-restored" {
					now := w.Clock.Now()
					w.Sim.InjectFault(rdssim.Fault{Name: "poll-outage", Code: code, Actions: []string{"DescribeDBInstances"},
						NotBefore: now, NotAfter: now.Add(clock.SpeedOf(w.Clock).RealTime(outage))})
				}
			}
			r := runHeadlessHook(t, engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "console", "lost": "isolated"}}, nil, nil, hook)
			if r.err != nil {
				t.Fatalf("run failed under %s: %v\n%s", code, r.err, r.text())
			}
			journal, err := engine.ReadJournalFile(r.run.JournalPath())
			if err != nil {
				t.Fatal(err)
			}
			for _, src := range []struct {
				name   string
				events []engine.Event
			}{{"live", r.events}, {"journal", journal}} {
				var info engine.RunInfo
				if src.events[0].Run != nil {
					info = *src.events[0].Run
				}
				s := runview.New(info, nil, nil, 0)
				shown, cleared, logged := "", false, false
				for _, e := range src.events {
					s.Apply(e)
					failed := e.Type == engine.EventStatus && e.Status != nil && e.Status.Error != ""
					switch {
					case failed && e.Status.ID == "":
						if s.PollErr != e.Status.Error {
							t.Fatalf("%s: after a failed look (%q) the view's poll error is %q", src.name, e.Status.Error, s.PollErr)
						}
						shown = s.PollErr
					case e.Type == engine.EventStatus && !failed && shown != "":
						cleared = cleared || s.PollErr == ""
					}
				}
				for _, l := range s.Log {
					logged = logged || strings.Contains(l.Text, "poll failed (still watching): ")
				}
				if shown == "" {
					t.Fatalf("%s: no failed look reached the view under %s", src.name, code)
				}
				if !cleared {
					t.Errorf("%s: a good look after the failure did not clear %q", src.name, shown)
				}
				if !logged {
					t.Errorf("%s: the log has no \"poll failed\" line", src.name)
				}
			}
		})
	}
}
