package version

import (
	"strings"
	"testing"
)

func TestInfoString(t *testing.T) {
	tests := []struct {
		name string
		info Info
		want string
	}{
		{"dev", Info{Version: "dev", GoVersion: "go1.26.8", Platform: "linux/amd64"}, "datalayer dev (go1.26.8 linux/amd64)"},
		{"stamped", Info{Version: "1.2.0", Commit: "0123456789abcdef", Date: "2026-11-25", GoVersion: "go1.26.8", Platform: "darwin/arm64"},
			"datalayer 1.2.0 (commit 0123456789ab, built 2026-11-25, go1.26.8 darwin/arm64)"},
		{"dirty", Info{Version: "dev", Commit: "0123456789abcdef-dirty", GoVersion: "go1.26.8", Platform: "linux/arm64"},
			"datalayer dev (commit 0123456789ab-dirty, go1.26.8 linux/arm64)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.info.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestGetUsesStampedVersion(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "9.9.9"
	got := Get()
	if got.Version != "9.9.9" {
		t.Fatalf("Get().Version = %q, want the stamped 9.9.9", got.Version)
	}
	if !strings.HasPrefix(got.GoVersion, "go") {
		t.Fatalf("Get().GoVersion = %q, want a Go version", got.GoVersion)
	}
}
