package pulumiclient

import (
	"context"
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/opthistory"
)

// History implements Stack with `pulumi stack history --json`; secrets
// are shown only when asked (the Automation API would show them by
// default).
func (s *LocalStack) History(ctx context.Context, n int, showSecrets bool) ([]Update, error) {
	if n <= 0 {
		n = 10
	}
	hs, err := s.stack.History(ctx, n, 1, opthistory.ShowSecrets(showSecrets))
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", s.name, cliError(err))
	}
	out := make([]Update, 0, len(hs))
	for _, h := range hs {
		out = append(out, updateFrom(h))
	}
	return out, nil
}

func updateFrom(h auto.UpdateSummary) Update {
	u := Update{Version: h.Version, Kind: h.Kind, Result: h.Result, Message: h.Message, Start: parseHistoryTime(h.StartTime), Config: map[string]string{}}
	for k, v := range h.Config {
		u.Config[k] = v.Value
		if v.Secret && v.Value == "" {
			u.Config[k] = secretPlaceholder
		}
	}
	if h.EndTime != nil {
		u.End = parseHistoryTime(*h.EndTime)
	}
	return u
}

// historyTimeLayouts are the forms `pulumi stack history --json` has
// written times in.
var historyTimeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999 -0700 MST", "2006-01-02T15:04:05.000Z"}

func parseHistoryTime(s string) time.Time {
	for _, l := range historyTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// secretPlaceholder stands for a secret value that was not decrypted.
const secretPlaceholder = "[secret]"
