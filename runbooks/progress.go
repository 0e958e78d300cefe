package runbooks

import (
	"strings"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// progress forwards Pulumi engine events to the session until the channel
// closes; it returns a channel to give the stack and a wait function. The
// callback (may be nil) sees every event first.
func progress(x *engine.Exec, each func(pulumiclient.Progress)) (chan<- pulumiclient.Progress, func()) {
	ch := make(chan pulumiclient.Progress, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for p := range ch {
			if each != nil {
				each(p)
			}
			x.EmitPulumi(PulumiStep(p), progressText(p))
		}
	}()
	return ch, func() { <-done }
}

func progressText(p pulumiclient.Progress) string {
	switch p.Status {
	case pulumiclient.Diagnostic:
		return p.Severity + ": " + p.Message
	case pulumiclient.Summarised:
		return "summary: " + p.Message
	}
	s := string(p.Status) + " " + string(p.Op) + " " + p.Type + " " + p.Name
	if p.ID != "" {
		s += " (" + p.ID + ")"
	}
	return strings.TrimSpace(s)
}

// PulumiStep is the engine's payload of a Pulumi client's progress event:
// the one place it is built. Outputs and inputs are not kept.
func PulumiStep(p pulumiclient.Progress) engine.PulumiStep {
	return engine.PulumiStep{
		Time: p.Time, URN: p.URN, Type: p.Type, Name: p.Name, Op: string(p.Op), Status: engine.PulumiStatus(p.Status),
		Keys: append([]string(nil), p.Keys...), Diffs: append([]string(nil), p.Diffs...),
		Severity: p.Severity, Message: p.Message, ID: p.ID,
	}
}
