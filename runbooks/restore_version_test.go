package runbooks

import "testing"

func TestOlderVersion(t *testing.T) {
	tests := []struct {
		program, snapshot string
		want              bool
	}{
		{"16.11", "16.13", true}, // the rehearsal's program and snapshot: AWS would refuse 16.11
		{"16.13", "16.13", false},
		{"16.13", "16.7", false}, // the restore is then upgraded to 16.13: allowed
		{"16", "16.13", false},   // a major alone follows the minor
		{"15.8", "16.3", true},
		{"17.6", "16.13", false},
		{"", "16.13", false},
	}
	for _, tt := range tests {
		if got := olderVersion(tt.program, tt.snapshot); got != tt.want {
			t.Errorf("olderVersion(%q, %q) = %v, want %v", tt.program, tt.snapshot, got, tt.want)
		}
	}
}
