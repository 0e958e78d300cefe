package runbooks

import (
	"strings"
	"testing"
	"time"
)

func TestParseRestorePoint(t *testing.T) {
	now := time.Date(2026, 12, 2, 14, 30, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Time
		latest bool
		err    string
	}{
		{in: "2026-12-02T14:01:00Z", want: time.Date(2026, 12, 2, 14, 1, 0, 0, time.UTC)},
		{in: "latest", latest: true},
		{in: "LATEST", latest: true},
		{in: "20m", want: now.Add(-20 * time.Minute)},
		{in: "1h30m", want: now.Add(-90 * time.Minute)},
		{in: "2d", want: now.Add(-48 * time.Hour)},
		{in: "2026-12-02T15:01:00+01:00", err: "not in UTC"},
		{in: "2026-12-02T15:01:00Z", err: "in the future"},
		{in: "yesterday", err: "neither a UTC time"},
		{in: "-5m", err: "neither a UTC time"},
		{in: "", err: "--to is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			at, latest, err := ParseRestorePoint(tt.in, now)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil || latest != tt.latest || !at.Equal(tt.want) {
				t.Errorf("= %v latest=%v %v; want %v latest=%v", at, latest, err, tt.want, tt.latest)
			}
		})
	}
}

func TestParseDamageTime(t *testing.T) {
	now := time.Date(2026, 12, 2, 14, 30, 0, 0, time.UTC)
	tests := []struct {
		in    string
		want  time.Time
		known bool
		err   bool
	}{
		{in: "now", want: now, known: true},
		{in: "", want: now, known: true},
		{in: "don't know", known: false},
		{in: "unknown", known: false},
		{in: "14:02", want: time.Date(2026, 12, 2, 14, 2, 0, 0, time.UTC), known: true},
		{in: "15:00", want: time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC), known: true}, // later today: yesterday's
		{in: "20m", want: now.Add(-20 * time.Minute), known: true},
		{in: "2026-12-02T13:00:00Z", want: time.Date(2026, 12, 2, 13, 0, 0, 0, time.UTC), known: true},
		{in: "after lunch", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			at, known, err := parseDamageTime(tt.in, now)
			if (err != nil) != tt.err || known != tt.known || !at.Equal(tt.want) {
				t.Errorf("= %v known=%v err=%v; want %v known=%v err=%v", at, known, err, tt.want, tt.known, tt.err)
			}
		})
	}
}

func TestLossWords(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{30 * time.Second, "under a minute"},
		{90 * time.Second, "about 1 minute"},
		{20*time.Minute + 10*time.Second, "about 20 minutes"},
		{9 * time.Hour, "about 9 hours"},
		{9*time.Hour + 5*time.Minute, "about 9 hours 5 minutes"},
		{72 * time.Hour, "about 3 days"},
	}
	for _, tt := range tests {
		if got := lossWords(tt.d); got != tt.want {
			t.Errorf("lossWords(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestRestoreReport(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"point in time", map[string]string{"restore-from": "time", "restore-time": "2026-12-02T14:01:00Z", "restore-source": "app5ec7032",
			"damage-time": "2026-12-02T14:02:00Z", "window-seen-at": "2026-12-02T14:30:00Z", "window-earliest": "2026-12-01T14:30:00Z",
			"window-latest": "2026-12-02T14:27:00Z", "data-loss": "about 29 minutes (what was written after 2026-12-02 14:01:00 UTC)"},
			[]string{"## Restore point", "- Restored to: 2026-12-02T14:01:00Z (point in time, source app5ec7032)",
				"- Restorable window at 2026-12-02T14:30:00Z: 2026-12-01T14:30:00Z to 2026-12-02T14:27:00Z", "- Data-loss window: about 29 minutes"}},
		{"point given with --to", map[string]string{"restore-from": "time", "restore-time": "latest", "restore-source": "db-ABC",
			"point-given": "latest", "damage-time": "now", "data-loss": "under a minute (what was written after 2026-12-02 14:29:40 UTC)"},
			[]string{"- Restored to: the latest restorable time (point in time, source db-ABC)", "- Point given: --to latest", "- Restorable window: none"}},
		{"snapshot", map[string]string{"restore-from": "snapshot", "snapshot": "rds:app-1", "data-loss": "about 9 hours (since the snapshot was taken)"},
			[]string{"- Restored from: snapshot rds:app-1", "- Restorable window: none", "- Data-loss window: about 9 hours"}},
		{"not a restore", map[string]string{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := restoreReport(tt.vars)
			if len(tt.want) == 0 && got != "" {
				t.Errorf("report = %q, want none", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("report lacks %q:\n%s", w, got)
				}
			}
		})
	}
}
