package tui

import (
	"context"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/datalayer-tool/datalayer/runview"
)

// TestWatchLine: a watched instance's row says what AWS shows of it; an
// instance deleted before the run says so, and one Pulumi has named but
// AWS has not got yet is not called gone.
func TestWatchLine(t *testing.T) {
	m := New(context.Background(), newScriptedSession(createInfo, createSteps, nil, true), testOptions(at(300)))
	tests := []struct {
		name string
		w    runview.Watch
		want string
	}{
		{"deleted before the run", runview.Watch{Kind: "instance", ID: "app5ec7032", Status: "gone", Gone: true, Deleted: true, Since: at(5), Polled: at(5), Progress: -1},
			" ● app5ec7032 deleted (not in AWS) · checked 4m55s ago"},
		{"deleted, known on a resume", runview.Watch{Kind: "instance", ID: "app5ec7032", Status: "gone", Gone: true, Deleted: true, Progress: -1},
			" ● app5ec7032 deleted (not in AWS)"},
		{"named, not in AWS yet", runview.Watch{Kind: "instance", ID: "app9d1f", Status: "gone", Gone: true, Since: at(290), Polled: at(290), Progress: -1},
			" ● app9d1f not in AWS yet · checked 10s ago"},
		{"gone after it was seen", runview.Watch{Kind: "instance", ID: "app5ec7032", Status: "gone", Gone: true, Seen: true, Since: at(240), Polled: at(240), Progress: -1},
			" ● app5ec7032 gone · last seen 1m ago"},
		{"being created", runview.Watch{Kind: "instance", ID: "app9d1f", Status: "creating", Seen: true, Since: at(200), Polled: at(200), Progress: -1, HasInstance: true, EngineVersion: "16.13"},
			" ● app9d1f creating for 1m40s · pg 16.13 · no endpoint yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ansi.Strip(m.watchLine(&tt.w)); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
