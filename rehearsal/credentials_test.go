package rehearsal

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/internal/pulumitest"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// When AWS refuses the keys Pulumi's AWS provider signs with, the
// operation's error says so on either engine: the real CLI only exits
// with "exit status 1" (the ExpiredToken is in the provider's
// diagnostics), so the runbook could not name the problem or the next
// action (DIFFERENTIAL.md, credentials-expire).
func TestPulumiRefusedCredentialsAreNamed(t *testing.T) {
	engines := map[string]func(t *testing.T) Engine{
		"simulated": func(*testing.T) Engine { return Engine{} },
		"pulumi": func(t *testing.T) Engine {
			return Engine{Name: EnginePulumi, Pulumi: pulumitest.Tools(t).Pulumi}
		},
	}
	for _, name := range []string{"simulated", "pulumi"} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			w, err := New(ctx, Options{Scenario: "credentials-expire", Speed: 600, Engine: engines[name](t)})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			// The simulator expires the keys from its 41st request on.
			for i := 0; i < 60; i++ {
				_, err = w.Data.Refresh(ctx, true, nil)
				if err != nil {
					break
				}
			}
			var ce *pulumiclient.CredentialsError
			if !errors.Is(err, pulumiclient.ErrAWSCredentials) || !errors.As(err, &ce) || ce.Code != "ExpiredToken" {
				t.Fatalf("refresh with expired keys = %v; want a CredentialsError naming ExpiredToken", err)
			}
		})
	}
}

// A Pulumi restore whose credentials expire stops with the problem named
// and the next action for this very run, wherever it stops (in
// datalayer's own AWS calls or in Pulumi's): before, a stop in Pulumi's
// showed AWS's raw ExpiredToken text only, and one in datalayer's said
// `datalayer resume` without the run.
func TestCredentialsExpireAdviceNamesTheRun(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "restore", Scenario: "credentials-expire", Yes: true, Flags: map[string]string{"method": "pulumi", "lost": "whole"}}, nil)
	if r.err == nil {
		t.Fatalf("the run finished although the credentials expired\n%s", r.text())
	}
	msg := r.err.Error()
	for _, want := range []string{"your AWS session expired", "datalayer resume " + r.run.Info().RunID + "`"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the run's error does not say %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "`datalayer resume`") {
		t.Errorf("the run's error still advises a resume without the run: %s", msg)
	}
}

// When the network to AWS is gone, the simulated Pulumi engine's error is
// marked as the provider not reaching AWS (the real CLI's the same way,
// from its diagnostics: pulumiclient.TestMarkUnreachable), so the step
// says so with the next action instead of Pulumi's raw EOF.
func TestPulumiUnreachableAWSIsNamed(t *testing.T) {
	ctx := context.Background()
	w, err := New(ctx, Options{Speed: 600})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	now := w.Clock.Now()
	w.Sim.InjectFault(rdssim.Fault{Name: "outage", Code: rdssim.FaultDrop, NotBefore: now, NotAfter: now.Add(time.Hour)})
	_, err = w.Data.Refresh(ctx, true, nil)
	var ue *pulumiclient.UnreachableError
	if !errors.Is(err, pulumiclient.ErrAWSUnreachable) || !errors.As(err, &ue) {
		t.Fatalf("refresh with the network gone = %v; want an UnreachableError", err)
	}
}
