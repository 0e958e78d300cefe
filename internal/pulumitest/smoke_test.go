package pulumitest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

const instanceType = "aws:rds/instance:Instance"

// TestSmokeUpThenRestoreBySnapshot drives the real pulumi CLI through the
// Automation API on a YAML program: up creates a parameter group and an
// instance in the simulator; setting snapshotIdentifier previews as a
// replacement; the up that follows restores a new instance and deletes the
// old one after its final snapshot.
func TestSmokeUpThenRestoreBySnapshot(t *testing.T) {
	t.Parallel()
	f := deploySmoke(t, "")
	ctx, stack, dir, program, client, oldID := f.ctx, f.stack, f.dir, f.program, f.client, f.id

	// Restore: set snapshotIdentifier.
	restore := strings.Replace(program, "# SNAPSHOT", "snapshotIdentifier: after-postgres-update-167", 1)
	if err := os.WriteFile(filepath.Join(dir, "Main.yaml"), []byte(restore), 0o644); err != nil {
		t.Fatal(err)
	}
	evs := make(chan events.EngineEvent)
	opsc := make(chan []apitype.OpType)
	go func() {
		var ops []apitype.OpType
		for e := range evs {
			if e.ResourcePreEvent != nil && e.ResourcePreEvent.Metadata.Type == instanceType {
				ops = append(ops, e.ResourcePreEvent.Metadata.Op)
			}
		}
		opsc <- ops
	}()
	pv, err := stack.Preview(ctx, optpreview.EventStreams(evs))
	if err != nil {
		t.Fatalf("preview: %v\n%s", err, pv.StdErr)
	}
	ops := <-opsc
	for _, want := range []apitype.OpType{apitype.OpCreateReplacement, apitype.OpReplace, apitype.OpDeleteReplaced} {
		if !slices.Contains(ops, want) {
			t.Errorf("preview ops on %s = %v, want %s among them", instanceType, ops, want)
		}
	}
	if pv.ChangeSummary[apitype.OpReplace] != 1 {
		t.Errorf("preview change summary = %v, want exactly one replace", pv.ChangeSummary)
	}

	up2, err := stack.Up(ctx, optup.SuppressProgress())
	if err != nil {
		t.Fatalf("up (restore): %v\n%s", err, up2.StdErr)
	}
	newID, _ := up2.Outputs["identifier"].Value.(string)
	if newID == oldID || !strings.HasPrefix(newID, "app") {
		t.Fatalf("identifier after restore = %q, want a new app + 7 hex name (old %s)", newID, oldID)
	}
	if got := aws.ToString(describe(t, client, newID).DBInstanceStatus); got != "available" {
		t.Errorf("restored instance %s is %q, want available", newID, got)
	}
	if _, err := client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(oldID)}); err == nil {
		t.Errorf("old instance %s still exists after the replacement", oldID)
	}
	snaps, err := client.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("smoke-final-before-deletion")})
	if err != nil || len(snaps.DBSnapshots) != 1 || aws.ToString(snaps.DBSnapshots[0].DBInstanceIdentifier) != oldID {
		t.Errorf("final snapshot of %s: %+v, %v", oldID, snaps, err)
	}
}

// smoke is a deployed smoke stack.
type smoke struct {
	ctx     context.Context
	sim     *Sim
	stack   auto.Stack
	dir     string
	program string
	client  *rds.Client
	id      string // the instance's identifier
}

// deploySmoke runs pulumi up on testdata/smoke against a new simulator with
// the scenario and checks the instance is available there.
func deploySmoke(t *testing.T, scenario string) smoke {
	t.Helper()
	tools := Tools(t)
	sim := StartSim(t, scenario)
	env := Env(t, tools, sim.URL)
	ctx := Context(t, 8*time.Minute)

	program, err := os.ReadFile(filepath.Join("testdata", "smoke", "Main.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := NewYAMLProject(t, tools, "smoke", string(program))
	stack, err := auto.UpsertStackLocalSource(ctx, "dev", dir, WorkspaceOptions(t, tools, env)...)
	if err != nil {
		t.Fatalf("create stack: %v", err)
	}
	if err := stack.SetConfig(ctx, "aws:region", auto.ConfigValue{Value: "eu-west-2"}); err != nil {
		t.Fatalf("set aws:region: %v", err)
	}

	up, err := stack.Up(ctx, optup.SuppressProgress())
	if err != nil {
		t.Fatalf("up: %v\n%s", err, up.StdErr)
	}
	oldID, _ := up.Outputs["identifier"].Value.(string)
	oldResourceID, _ := up.Outputs["resourceId"].Value.(string)
	if !strings.HasPrefix(oldID, "app") || len(oldID) != len("app")+7 {
		t.Fatalf("identifier output = %q, want app + 7 hex characters", oldID)
	}
	if !strings.HasPrefix(oldResourceID, "db-") {
		t.Fatalf("resourceId output = %q, want db-...", oldResourceID)
	}
	if want := oldID + ".c9akciq32x1z.eu-west-2.rds.amazonaws.com:5432"; up.Outputs["endpoint"].Value != want {
		t.Errorf("endpoint output = %v, want %s", up.Outputs["endpoint"].Value, want)
	}

	client := rdsClient(sim.URL)
	db := describe(t, client, oldID)
	if got := aws.ToString(db.DBInstanceStatus); got != "available" {
		t.Fatalf("instance %s is %q in the simulator, want available", oldID, got)
	}
	if len(db.DBParameterGroups) != 1 || aws.ToString(db.DBParameterGroups[0].DBParameterGroupName) != "smoke-postgres16-force-ssl-off" {
		t.Errorf("instance parameter groups = %+v, want smoke-postgres16-force-ssl-off", db.DBParameterGroups)
	}
	if aws.ToString(db.DbiResourceId) != oldResourceID {
		t.Errorf("DbiResourceId = %s, want the stack's resourceId %s", aws.ToString(db.DbiResourceId), oldResourceID)
	}
	return smoke{ctx: ctx, sim: sim, stack: stack, dir: dir, program: string(program), client: client, id: oldID}
}

func rdsClient(url string) *rds.Client {
	return rds.New(rds.Options{
		Region:       "eu-west-2",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDDATALAYERTEST01", "datalayer-test-secret", ""),
	})
}

func describe(t *testing.T, c *rds.Client, id string) *rdstypes.DBInstance {
	t.Helper()
	out, err := c.DescribeDBInstances(t.Context(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil || len(out.DBInstances) != 1 {
		t.Fatalf("describe %s in the simulator: %v", id, err)
	}
	return &out.DBInstances[0]
}

// TestSmokeRestoreBelowTheSnapshotsVersionFails: after the restore the
// provider modifies what the program says differently; an engineVersion
// below the snapshot's is refused by AWS, the up fails, and — as with a
// partial create — the state keeps the restored instance while the old one
// waits, pending deletion.
func TestSmokeRestoreBelowTheSnapshotsVersionFails(t *testing.T) {
	t.Parallel()
	f := deploySmoke(t, "")
	if _, err := f.client.CreateDBSnapshot(f.ctx, &rds.CreateDBSnapshotInput{
		DBInstanceIdentifier: aws.String(f.id), DBSnapshotIdentifier: aws.String("smoke-on-16-13"),
	}); err != nil {
		t.Fatal(err)
	}
	for {
		out, err := f.client.DescribeDBSnapshots(f.ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("smoke-on-16-13")})
		if err == nil && aws.ToString(out.DBSnapshots[0].Status) == "available" {
			break
		}
		select {
		case <-f.ctx.Done():
			t.Fatal("the snapshot never became available")
		case <-time.After(50 * time.Millisecond):
		}
	}
	older := strings.Replace(f.program, "# SNAPSHOT", "snapshotIdentifier: smoke-on-16-13", 1)
	older = strings.Replace(older, `engineVersion: "16.13"`, `engineVersion: "16.11"`, 1)
	if err := os.WriteFile(filepath.Join(f.dir, "Main.yaml"), []byte(older), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := f.stack.Up(f.ctx, optup.SuppressProgress())
	if err == nil || !strings.Contains(err.Error()+res.StdOut+res.StdErr, "Cannot upgrade postgres from 16.13 to 16.11") {
		t.Fatalf("up of a restore to 16.11 from a 16.13 snapshot = %v, want AWS's refusal of the downgrade\n%s", err, res.StdOut)
	}
	exp, err := f.stack.Export(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var d apitype.DeploymentV3
	if err := json.Unmarshal(exp.Deployment, &d); err != nil {
		t.Fatal(err)
	}
	var live, pendingDelete []string
	for _, r := range d.Resources {
		if string(r.Type) != instanceType {
			continue
		}
		ident, _ := r.Outputs["identifier"].(string)
		if r.Delete {
			pendingDelete = append(pendingDelete, ident)
		} else {
			live = append(live, ident)
			if len(r.InitErrors) == 0 {
				t.Errorf("the restored instance %s has no init errors in the state", ident)
			}
		}
	}
	if len(live) != 1 || live[0] == f.id || !slices.Equal(pendingDelete, []string{f.id}) {
		t.Errorf("state after the failed restore: live %v, pending delete %v; want the restored instance live and %s pending delete", live, pendingDelete, f.id)
	}
	if got := aws.ToString(describe(t, f.client, f.id).DBInstanceStatus); got != "available" {
		t.Errorf("the old instance is %q, want it untouched (available)", got)
	}
}
