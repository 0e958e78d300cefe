package runbooks

import (
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// The restore's watch for the application's CI deploy tells a new update
// from the one before the change by number where the backend numbers
// updates (Pulumi Cloud, the simulated engine), and by start time where it
// does not: a DIY backend's `pulumi stack history --json` numbers every
// update 0, so the watch never saw the CI's deploy (DIFFERENTIAL.md).
func TestLaterUpdate(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		h             pulumiclient.Update
		beforeVersion int
		beforeStart   time.Time
		want          bool
	}{
		{"numbered, after", pulumiclient.Update{Version: 8, Start: t0.Add(-time.Hour)}, 7, t0, true},
		{"numbered, the one before", pulumiclient.Update{Version: 7, Start: t0}, 7, t0, false},
		{"numbered, none before", pulumiclient.Update{Version: 1, Start: t0}, 0, time.Time{}, true},
		{"DIY backend, started later", pulumiclient.Update{Version: 0, Start: t0.Add(5 * time.Minute)}, 0, t0, true},
		{"DIY backend, the one before", pulumiclient.Update{Version: 0, Start: t0}, 0, t0, false},
		{"DIY backend, an older one", pulumiclient.Update{Version: 0, Start: t0.Add(-time.Hour)}, 0, t0, false},
		{"DIY backend, none before", pulumiclient.Update{Version: 0, Start: t0}, 0, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := laterUpdate(tt.h, tt.beforeVersion, tt.beforeStart); got != tt.want {
				t.Errorf("laterUpdate(%+v, %d, %s) = %v, want %v", tt.h, tt.beforeVersion, tt.beforeStart, got, tt.want)
			}
		})
	}
	if got := updateName(pulumiclient.Update{Version: 0, Start: t0}); got != "the update started 2026-12-02T10:00:00Z" {
		t.Errorf("updateName of an unnumbered update = %q", got)
	}
	if got := updateName(pulumiclient.Update{Version: 3, Start: t0}); got != "update #3" {
		t.Errorf("updateName of update 3 = %q", got)
	}
}
