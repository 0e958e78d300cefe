package rehearsal

import (
	"context"
	"time"
)

// CIDelay is how long the simulated CI takes, on the world's clock, from
// seeing the application's db-host change to finishing its deploy: the
// merge, the workflow's build and its `pulumi up`.
const CIDelay = 4 * time.Minute

// ciPoll is how often the simulated CI looks at the application's config.
const ciPoll = 30 * time.Second

// StartCI runs the team's CI for the application stack in this world, for
// rehearsals that redeploy the application through CI: when db-host in
// the application's config differs from what its last update deployed,
// it deploys it CIDelay later (as a merge and the workflow would), which
// shows in the stack's update history. It stops with ctx.
func (w *World) StartCI(ctx context.Context) {
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-w.Clock.After(ciPoll):
			}
			if !w.appChanged(ctx) {
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-w.Clock.After(CIDelay):
			}
			_, _ = w.App.Up(ctx, nil)
		}
	}()
}

// appChanged reports whether the application's staged db-host differs from
// the one its last successful update deployed.
func (w *World) appChanged(ctx context.Context) bool {
	staged, _, err := w.App.GetConfig(ctx, "db-host")
	if err != nil {
		return false
	}
	hs, err := w.App.History(ctx, 10, true)
	if err != nil {
		return false
	}
	for _, h := range hs {
		if h.Result == "succeeded" {
			return staged != h.Config["application:db-host"]
		}
	}
	return false
}
