// Package version holds the build's version, stamped at link time with
// -ldflags "-X github.com/datalayer-tool/datalayer/internal/version.Version=...".
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Version is the release version; "dev" when not stamped.
var Version = "dev"

// Commit is the git commit the binary was built from, when stamped.
var Commit = ""

// Date is the build date, when stamped.
var Date = ""

// Info is what `datalayer version` prints.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Date      string `json:"date,omitempty"`
	GoVersion string `json:"go"`
	Platform  string `json:"platform"`
}

// Get returns the build's version information. When the binary was not
// stamped, it falls back on what the Go toolchain recorded (module version
// for `go install`, VCS revision for a build inside a checkout).
func Get() Info {
	info := Info{
		Version:   Version,
		Commit:    Commit,
		Date:      Date,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	if info.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	stamped := info.Commit != ""
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if !stamped {
				info.Commit = s.Value
			}
		case "vcs.time":
			if info.Date == "" {
				info.Date = s.Value
			}
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if !stamped && dirty && info.Commit != "" {
		info.Commit += "-dirty"
	}
	return info
}

// String formats the information on one line, e.g.
// "datalayer 1.2.0 (commit abc1234, built 2026-11-25T22:00:00Z, go1.26.8 linux/amd64)".
func (i Info) String() string {
	var extra []string
	if i.Commit != "" {
		c, dirty := strings.CutSuffix(i.Commit, "-dirty")
		if len(c) > 12 {
			c = c[:12]
		}
		if dirty {
			c += "-dirty"
		}
		extra = append(extra, "commit "+c)
	}
	if i.Date != "" {
		extra = append(extra, "built "+i.Date)
	}
	extra = append(extra, i.GoVersion+" "+i.Platform)
	return fmt.Sprintf("datalayer %s (%s)", i.Version, strings.Join(extra, ", "))
}
