package rehearsal

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// decoyID is an instance someone else restores in the same account while
// the Pulumi restore runs.
const decoyID = "app9d3c0ff"

// restoreDecoyWhen starts, when step starts, a restore of another instance
// in the same account, from a snapshot of the same instance: an instance
// that is created at the same time, named like Pulumi's, and newer.
func restoreDecoyWhen(t *testing.T, step string) func(*World, engine.Event) {
	done := false
	return func(w *World, e engine.Event) {
		if done || e.Type != engine.EventStepStarted || e.StepID != step {
			return
		}
		done = true
		ctx := context.Background()
		snaps, err := w.AWS.Snapshots(ctx, pulumiclient.RehearsalInstanceID)
		if err != nil || len(snaps) == 0 {
			t.Errorf("no snapshot to restore the decoy from: %v", err)
			return
		}
		c := pulumiclient.NewSimRDSClient(w.URL, "eu-west-2")
		if _, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{
			DBInstanceIdentifier: aws.String(decoyID), DBSnapshotIdentifier: aws.String(snaps[0].ID),
			DBInstanceClass: aws.String("db.t3.small"),
		}); err != nil {
			t.Errorf("restore the decoy: %v", err)
		}
	}
}

// Another instance being created in the account during a Pulumi restore is
// never taken for the replacement: the name comes from Pulumi's own events,
// and AWS confirms it was restored from the snapshot picked. The
// application ends up pointed at the instance the stack's state holds.
func TestPulumiRestoreIgnoresAnotherInstanceCreatedMeanwhile(t *testing.T) {
	r := runHeadlessHook(t, engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}, nil, nil,
		restoreDecoyWhen(t, "up"))
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	ctx := context.Background()
	if _, err := r.world.AWS.Instance(ctx, decoyID); err != nil {
		t.Fatalf("the decoy was never created, so the test proves nothing: %v", err)
	}
	exp, err := r.world.Data.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	newID, _ := r.run.Var("new-instance")
	if newID != exp.Identifier || newID == decoyID {
		t.Fatalf("new-instance = %q, the stack's state holds %q (decoy %s)\n%s", newID, exp.Identifier, decoyID, r.text())
	}
	host, _, err := r.world.App.GetConfig(ctx, "db-host")
	if err != nil || !strings.HasPrefix(host, exp.Identifier+".") {
		t.Fatalf("the application's db-host %q (%v) does not name the replacement %s", host, err, exp.Identifier)
	}
	if !strings.Contains(r.text(), "AWS confirms "+newID+" was restored from") {
		t.Errorf("the replacement's snapshot was not checked with AWS\n%s", r.text())
	}
}
