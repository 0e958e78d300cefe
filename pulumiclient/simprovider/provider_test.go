package simprovider

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil/rpcerror"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/clock"
)

// world is the provider served in-process against a fresh RDS simulator
// playing AWS durations 1200 times faster.
type world struct {
	t   *testing.T
	srv *server
	rds *rds.Client
	ctx context.Context
}

func newWorld(t *testing.T) *world {
	t.Helper()
	sim, err := rdssim.New(rdssim.Options{Clock: clock.NewWall(1200)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(sim)
	t.Cleanup(hs.Close)
	env := map[string]string{"AWS_ENDPOINT_URL_RDS": hs.URL, EnvPoll: "20ms", EnvTimeout: "2m"}
	set, err := settingsFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return &world{t: t, srv: newServer(set, nil), rds: set.newRDSClient(""), ctx: ctx}
}

func urnOf(typ, name string) string { return "urn:pulumi:dev::data::" + typ + "::" + name }

func (w *world) pm(m resource.PropertyMap) *pulumirpc.CheckRequest {
	w.t.Helper()
	s, err := marshal(m, "test")
	if err != nil {
		w.t.Fatal(err)
	}
	return &pulumirpc.CheckRequest{News: s}
}

func (w *world) check(typ, name string, olds, news resource.PropertyMap) resource.PropertyMap {
	w.t.Helper()
	req := w.pm(news)
	req.Urn, req.Type, req.Name, req.RandomSeed = urnOf(typ, name), typ, name, []byte(name+time.Now().String())
	if olds != nil {
		req.Olds = w.pm(olds).News
	}
	resp, err := w.srv.Check(w.ctx, req)
	if err != nil || len(resp.Failures) > 0 {
		w.t.Fatalf("check %s: %v %v", name, err, resp.GetFailures())
	}
	out, err := unmarshal(resp.Inputs, "test")
	if err != nil {
		w.t.Fatal(err)
	}
	return out
}

func (w *world) create(typ, name string, inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	w.t.Helper()
	resp, err := w.srv.Create(w.ctx, &pulumirpc.CreateRequest{Urn: urnOf(typ, name), Type: typ, Properties: w.pm(inputs).News})
	if err != nil {
		return "", nil, err
	}
	st, err := unmarshal(resp.Properties, "test")
	if err != nil {
		w.t.Fatal(err)
	}
	return resp.Id, st, nil
}

func (w *world) diff(typ, name string, state, news resource.PropertyMap) *pulumirpc.DiffResponse {
	w.t.Helper()
	resp, err := w.srv.Diff(w.ctx, &pulumirpc.DiffRequest{Urn: urnOf(typ, name), Type: typ, Olds: w.pm(state).News, News: w.pm(news).News})
	if err != nil {
		w.t.Fatal(err)
	}
	return resp
}

func (w *world) instance(id string) (status string, ok bool) {
	w.t.Helper()
	out, err := w.rds.DescribeDBInstances(w.ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if isNotFound(err) {
		return "", false
	}
	if err != nil {
		w.t.Fatal(err)
	}
	return aws.ToString(out.DBInstances[0].DBInstanceStatus), true
}

func (w *world) waitAvailable(id string) {
	w.t.Helper()
	if _, err := (waiter{poll: 20 * time.Millisecond, timeout: time.Minute}).updated(w.ctx, w.rds, id); err != nil { // id: a resource id
		w.t.Fatal(err)
	}
}

// program is the team's instance as a program sets it, in the default
// simulated world's network.
func program(extra map[string]any) resource.PropertyMap {
	m := map[string]any{
		"engine": "postgres", "engineVersion": "16.13", "instanceClass": "db.t3.small", "allocatedStorage": 20,
		"allowMajorVersionUpgrade": true, "username": "dbuser", "skipFinalSnapshot": false,
		"finalSnapshotIdentifier": "final-before-deletion", "publiclyAccessible": true, "storageEncrypted": true,
		"backupRetentionPeriod": 1, "applyImmediately": true, "parameterGroupName": "postgres16-force-ssl-off",
		"maintenanceWindow": "Mon:00:00-Mon:03:00", "dbSubnetGroupName": rdssim.DefaultSubnetGroup,
		"vpcSecurityGroupIds": []any{rdssim.DefaultSecurityGrp},
	}
	for k, v := range extra {
		m[k] = v
	}
	p := resource.NewPropertyMapFromMap(m)
	p["password"] = resource.MakeSecret(resource.NewStringProperty("provider-test-password"))
	return p
}

// TestProviderLifecycleAgainstTheSimulator drives the provider service as
// the engine does: create, an update that names only what changed, a
// console rename the state follows by resource id, and a delete that
// takes the final snapshot the state names.
func TestProviderLifecycleAgainstTheSimulator(t *testing.T) {
	w := newWorld(t)
	inputs := w.check(InstanceType, "app", nil, program(nil))
	id, state, err := w.create(InstanceType, "app", inputs)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	ident := props(state).str("identifier")
	if !strings.HasPrefix(id, "db-") || !strings.HasPrefix(ident, "app") || props(state).str("endpoint") == "" {
		t.Fatalf("create gave id %q, state %v", id, state)
	}
	if !state["password"].IsSecret() {
		t.Error("the password is not a secret in the state")
	}

	// An update of the class names the class alone, and modifies it.
	bigger := w.check(InstanceType, "app", inputs, program(map[string]any{"instanceClass": "db.t3.medium"}))
	d := w.diff(InstanceType, "app", state, bigger)
	if len(d.Diffs) != 1 || d.Diffs[0] != "instanceClass" {
		t.Fatalf("diffs of a class change = %v, want [instanceClass]", d.Diffs)
	}
	resp, err := w.srv.Update(w.ctx, &pulumirpc.UpdateRequest{Urn: urnOf(InstanceType, "app"), Type: InstanceType, Id: id,
		Olds: w.pm(state).News, News: w.pm(bigger).News})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	state, _ = unmarshal(resp.Properties, "test")
	if props(state).str("instanceClass") != "db.t3.medium" {
		t.Errorf("class after the update = %q", props(state).str("instanceClass"))
	}

	// A console rename: the refresh finds the instance by its resource id.
	if _, err := w.rds.ModifyDBInstance(w.ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(ident),
		NewDBInstanceIdentifier: aws.String(ident + "-original"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	w.waitAvailable(id)
	read, err := w.srv.Read(w.ctx, &pulumirpc.ReadRequest{Urn: urnOf(InstanceType, "app"), Type: InstanceType, Id: id,
		Properties: w.pm(state).News, Inputs: w.pm(bigger).News})
	if err != nil {
		t.Fatal(err)
	}
	refreshed, _ := unmarshal(read.Properties, "test")
	readInputs, _ := unmarshal(read.Inputs, "test")
	if read.Id != id || props(refreshed).str("identifier") != ident+"-original" || props(readInputs).str("identifier") != ident+"-original" {
		t.Fatalf("after the rename, read gave id %q identifier %q (inputs %q); want %s and %s-original",
			read.Id, props(refreshed).str("identifier"), props(readInputs).str("identifier"), id, ident)
	}

	// The delete takes the final snapshot the state names.
	refreshed["finalSnapshotIdentifier"] = resource.NewStringProperty("final-from-the-old-state")
	if _, err := w.srv.Delete(w.ctx, &pulumirpc.DeleteRequest{Urn: urnOf(InstanceType, "app"), Type: InstanceType, Id: id,
		Properties: w.pm(refreshed).News}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, ok := w.instance(ident + "-original"); ok {
		t.Error("the instance still exists after the delete")
	}
	if _, err := w.rds.DescribeDBSnapshots(w.ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("final-from-the-old-state")}); err != nil {
		t.Errorf("no final snapshot named as the state says: %v", err)
	}
	gone, err := w.srv.Read(w.ctx, &pulumirpc.ReadRequest{Urn: urnOf(InstanceType, "app"), Type: InstanceType, Id: id, Properties: w.pm(refreshed).News})
	if err != nil || gone.Id != "" {
		t.Errorf("read of a deleted instance = %q, %v; want an empty id", gone.GetId(), err)
	}
}

// TestRestoreAppliesTheProgramWithAFollowUpModify: after a restore the
// provider modifies what the program says differently from the restored
// instance; an engine version below the snapshot's is refused by AWS, and
// the restored instance is reported as a partial create.
func TestRestoreAppliesTheProgramWithAFollowUpModify(t *testing.T) {
	w := newWorld(t)
	snaps, err := w.rds.DescribeDBSnapshots(w.ctx, &rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String(rdssim.DefaultInstanceID)})
	if err != nil {
		t.Fatal(err)
	}
	snap := ""
	for _, s := range snaps.DBSnapshots {
		if strings.HasPrefix(aws.ToString(s.DBSnapshotIdentifier), "pre-release-") && aws.ToString(s.EngineVersion) == "16.13" {
			snap = aws.ToString(s.DBSnapshotIdentifier)
		}
	}
	if snap == "" {
		t.Fatal("no pre-release snapshot on 16.13 in the default world")
	}

	inputs := w.check(InstanceType, "app", nil, program(map[string]any{"snapshotIdentifier": snap, "engineVersion": "16", "backupRetentionPeriod": 7}))
	_, state, err := w.create(InstanceType, "app", inputs)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if n, _ := props(state).num("backupRetentionPeriod"); n != 7 || props(state).str("engineVersion") != "16" {
		t.Errorf("after the restore: retention %d, engine version %q; want 7 and 16", n, props(state).str("engineVersion"))
	}

	older := w.check(InstanceType, "older", nil, program(map[string]any{"snapshotIdentifier": snap, "engineVersion": "16.11"}))
	id, _, err := w.create(InstanceType, "older", older)
	if err == nil {
		t.Fatal("a restore with engineVersion 16.11 from a 16.13 snapshot succeeded; AWS refuses the downgrade")
	}
	var initFailed *pulumirpc.ErrorResourceInitFailed
	for _, d := range rpcerror.Convert(err).Details() {
		if f, ok := d.(*pulumirpc.ErrorResourceInitFailed); ok {
			initFailed = f
		}
	}
	if initFailed == nil || !strings.HasPrefix(initFailed.Id, "db-") || !strings.Contains(err.Error(), "Cannot upgrade postgres from 16.13 to 16.11") {
		t.Fatalf("error = %v (init failure %v, id %q): want a partial create naming the refused downgrade", err, initFailed, id)
	}
	if st, ok := w.instance(props(older).str("identifier")); !ok || st != "available" {
		t.Errorf("the restored instance: %q exists=%v; want it left available, as AWS does", st, ok)
	}
}

func TestWritePluginDirLinksTheBinary(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "plugins")
	for range 2 { // idempotent
		if err := WritePluginDir(dir, exe); err != nil {
			t.Fatal(err)
		}
	}
	target, err := os.Readlink(filepath.Join(dir, PluginName))
	if err != nil || target != exe {
		t.Fatalf("link = %q, %v; want %s", target, err, exe)
	}
	if !InvokedAsPlugin(filepath.Join(dir, PluginName)) || InvokedAsPlugin(exe) {
		t.Error("InvokedAsPlugin does not tell the link from the binary")
	}
	if err := WritePluginDir(dir, filepath.Join(dir, "missing")); err == nil {
		t.Error("a plugin dir for a missing binary was written")
	}
}

// TestPointInTimeRestoreLikeTheRealProvider: restoreToPointInTime creates
// the instance with RestoreDBInstanceToPointInTime and the program's
// settings (not AWS's defaults), AWS records the restore's source, and the
// state keeps the block (AWS does not report it) so the next diff is none.
func TestPointInTimeRestoreLikeTheRealProvider(t *testing.T) {
	w := newWorld(t)
	src, err := w.rds.DescribeDBInstances(w.ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(rdssim.DefaultInstanceID)})
	if err != nil {
		t.Fatal(err)
	}
	latest := aws.ToTime(src.DBInstances[0].LatestRestorableTime)
	if latest.IsZero() {
		t.Fatal("the default instance has no LatestRestorableTime")
	}
	at := latest.Add(-time.Minute).UTC().Format(time.RFC3339)

	tests := []struct {
		name  string
		block map[string]any
		fails string
	}{
		{"at a time", map[string]any{"sourceDbInstanceIdentifier": rdssim.DefaultInstanceID, "restoreTime": at}, ""},
		{"latest", map[string]any{"sourceDbInstanceIdentifier": rdssim.DefaultInstanceID, "useLatestRestorableTime": true}, ""},
		{"before the window", map[string]any{"sourceDbInstanceIdentifier": rdssim.DefaultInstanceID, "restoreTime": "2001-01-01T00:00:00Z"}, "InvalidRestoreFault"},
		{"no such source", map[string]any{"sourceDbInstanceIdentifier": "no-such-instance", "useLatestRestorableTime": true}, "DBInstanceNotFound"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("pitr%d", i)
			inputs := w.check(InstanceType, name, nil, program(map[string]any{
				"restoreToPointInTime": tt.block, "engineVersion": "16", "backupRetentionPeriod": 7}))
			id, state, err := w.create(InstanceType, name, inputs)
			if tt.fails != "" {
				if err == nil || !strings.Contains(err.Error(), tt.fails) || !strings.Contains(err.Error(), "restore to point-in-time") {
					t.Fatalf("create = %v; want the provider's error with AWS's %s", err, tt.fails)
				}
				if _, ok := w.instance(props(inputs).str("identifier")); ok {
					t.Errorf("a refused restore left an instance")
				}
				return
			}
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			ident := props(state).str("identifier")
			if !strings.HasPrefix(id, "db-") || props(state).str("parameterGroupName") != "postgres16-force-ssl-off" ||
				!slices.Equal(props(state).strs("vpcSecurityGroupIds"), []string{rdssim.DefaultSecurityGrp}) {
				t.Errorf("state = %v; want the program's parameter and security groups, not AWS's defaults", state)
			}
			if n, _ := props(state).num("backupRetentionPeriod"); n != 7 {
				t.Errorf("retention %d after the follow-up modify; want 7", n)
			}
			pt, ok := props(state).pointInTime("restoreToPointInTime")
			if !ok || pt.SourceID != rdssim.DefaultInstanceID {
				t.Errorf("the state lost the block: %v", state["restoreToPointInTime"])
			}
			if d := (instance{}).diff(state, inputs); len(d) != 0 {
				t.Errorf("diff after the create = %v; want none", d)
			}
			evs, err := w.rds.DescribeEvents(w.ctx, &rds.DescribeEventsInput{SourceIdentifier: aws.String(ident), SourceType: "db-instance", Duration: aws.Int32(60)})
			if err != nil {
				t.Fatal(err)
			}
			want := "Restored from DB instance " + rdssim.DefaultInstanceID + " to " + ident + "."
			found := false
			for _, e := range evs.Events {
				found = found || aws.ToString(e.Message) == want
			}
			if !found {
				t.Errorf("no event %q on %s", want, ident)
			}
		})
	}
}
