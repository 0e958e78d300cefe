package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/datalayer-tool/datalayer/runview"
)

// clockDuration formats a duration as m:ss, or h:mm:ss from an hour on.
func clockDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d.Round(time.Second) / time.Second)
	h, mi, se := s/3600, (s/60)%60, s%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, mi, se)
	}
	return fmt.Sprintf("%d:%02d", mi, se)
}

// shortDuration formats a duration as 4s, 2m10s, 1h02m or 3d4h.
func shortDuration(d time.Duration) string { return runview.Short(d) }

// fit cuts every line to width w and makes the block exactly h lines tall.
func fit(s string, w, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// truncate cuts one line to width w with an ellipsis.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// padRight pads a line with spaces to width w (it never cuts).
func padRight(s string, w int) string {
	if n := w - ansi.StringWidth(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// principal shortens an IAM ARN to what follows the account:
// arn:aws:iam::123456789012:user/x becomes user/x.
func principal(arn string) string {
	if i := strings.LastIndex(arn, ":"); i >= 0 && strings.HasPrefix(arn, "arn:") {
		return arn[i+1:]
	}
	return arn
}
