package pulumiclient

import (
	"context"
	"errors"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/clock"
)

type simWorld struct {
	sim    *rdssim.Sim
	clock  clock.Clock
	client *rds.Client
	ws     RehearsalWorkspace
	data   *SimStack
	app    *SimStack
}

func newSimWorld(t *testing.T, scenario string) *simWorld {
	t.Helper()
	clk := clock.NewWall(3000)
	sim, err := rdssim.New(rdssim.Options{Clock: clk, Scenario: scenario})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client := NewSimRDSClient(srv.URL, "eu-west-2")
	ws, err := NewRehearsalWorkspace(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	opts := SimOptions{RDS: client, Clock: clk}
	data, err := OpenSim(ws.DataDir, "staging", opts)
	if err != nil {
		t.Fatal(err)
	}
	app, err := OpenSim(ws.AppDir, "staging", opts)
	if err != nil {
		t.Fatal(err)
	}
	return &simWorld{sim: sim, clock: clk, client: client, ws: ws, data: data, app: app}
}

// collect runs fn with a progress channel and returns what it emitted.
func collect(fn func(chan<- Progress)) []Progress {
	ch := make(chan Progress)
	var got []Progress
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for p := range ch {
			got = append(got, p)
		}
	}()
	fn(ch)
	close(ch)
	wg.Wait()
	return got
}

func (w *simWorld) snapshot(t *testing.T, prefix string) string {
	t.Helper()
	out, err := w.client.DescribeDBSnapshots(context.Background(), &rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String(RehearsalInstanceID)})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range out.DBSnapshots {
		if strings.HasPrefix(aws.ToString(s.DBSnapshotIdentifier), prefix) {
			return aws.ToString(s.DBSnapshotIdentifier)
		}
	}
	t.Fatalf("no snapshot %s*", prefix)
	return ""
}

func (w *simWorld) patch(t *testing.T, e ProgramEdit) {
	t.Helper()
	p, err := LoadProgram(w.ws.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := p.Apply(e)
	if err != nil {
		t.Fatal(err)
	}
	if err := pt.Write(); err != nil {
		t.Fatal(err)
	}
}

func (w *simWorld) instanceExists(t *testing.T, id string) bool {
	t.Helper()
	_, err := w.client.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil && strings.Contains(err.Error(), "DBInstanceNotFound") {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

var newInstanceName = regexp.MustCompile(`^app[0-9a-f]{7}$`)

func TestSimRestore(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t, "default")
	before, err := w.data.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.Identifier != RehearsalInstanceID || !before.TrackedByResourceID() || before.EngineVersionActual != "16.13" || before.EngineVersion != "16.11" {
		t.Fatalf("export before = %+v", before)
	}
	snap := w.snapshot(t, "pre-release-")
	// The program asks for what AWS runs (16.13), as it must: the
	// provider's follow-up modify would refuse 16.11 (see
	// TestSimRestoreAppliesTheProgramAfterwards).
	w.patch(t, SetEngineVersion("16.13"))
	w.patch(t, SetSnapshot(snap))
	plan, err := w.data.Preview(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckRestorePlan(plan); err != nil {
		t.Fatal(err)
	}
	if plan.Changes[OpReplace] != 1 {
		t.Errorf("changes = %v", plan.Changes)
	}
	var sum Summary
	progress := collect(func(ch chan<- Progress) { sum, err = w.data.Up(ctx, ch) })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Result != "succeeded" {
		t.Errorf("result = %q", sum.Result)
	}
	var ops []string
	newID, chosen := "", ""
	for _, p := range progress {
		if p.Type == InstanceType {
			ops = append(ops, string(p.Op)+"/"+string(p.Status))
			if p.Op == OpCreateReplacement && p.Status == StepStarted {
				chosen, _ = p.Inputs["identifier"].(string)
				if id, _ := p.Outputs["identifier"].(string); id != "" || p.ID != "" {
					t.Errorf("the new instance's outputs are known before its create completed: %+v", p)
				}
			}
			if id, _ := p.Outputs["identifier"].(string); p.Op == OpCreateReplacement && p.Status == StepDone {
				newID = id
			}
		}
		if _, leaked := p.Outputs["password"]; leaked {
			t.Errorf("password in progress outputs: %+v", p)
		}
	}
	want := "create-replacement/started create-replacement/done replace/started replace/done delete-replaced/started delete-replaced/done"
	if strings.Join(ops, " ") != want {
		t.Errorf("ops = %s\nwant  %s", strings.Join(ops, " "), want)
	}
	if !newInstanceName.MatchString(newID) || chosen != newID {
		t.Errorf("new instance id %q (chosen at check: %q) is not app+7 hex, or not the one chosen", newID, chosen)
	}
	after, err := w.data.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Identifier != newID || after.SnapshotIdentifier != snap || after.ParameterGroup != "postgres16-force-ssl-off" {
		t.Errorf("export after = %+v", after)
	}
	if w.instanceExists(t, RehearsalInstanceID) {
		t.Error("the old instance still exists")
	}
	if _, err := w.client.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("final-before-deletion")}); err != nil {
		t.Errorf("final snapshot: %v", err)
	}
	// A second preview has nothing to do.
	plan, err = w.data.Preview(ctx, nil)
	if err != nil || plan.Instance() != InstanceUnchanged {
		t.Errorf("second preview: %v %v", plan.Instance(), err)
	}
}

func TestSimFailures(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		scenario string
		snapshot string // "" = the pre-release snapshot
		wantErr  string
		oldGone  bool
	}{
		{"snapshot does not exist", "default", "no-such-snapshot", "DBSnapshotNotFound", false},
		{"final snapshot name taken", "final-snapshot-exists", "", "DBSnapshotAlreadyExists", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newSimWorld(t, tt.scenario)
			before, err := w.data.Export(ctx)
			if err != nil {
				t.Fatal(err)
			}
			snap := tt.snapshot
			if snap == "" {
				snap = w.snapshot(t, "pre-release-")
			}
			w.patch(t, SetEngineVersion("16.13"))
			w.patch(t, SetSnapshot(snap))
			sum, err := w.data.Up(ctx, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("up = %v, want %s", err, tt.wantErr)
			}
			if sum.Result != "failed" {
				t.Errorf("result = %q", sum.Result)
			}
			if w.instanceExists(t, RehearsalInstanceID) == tt.oldGone {
				t.Errorf("old instance exists = %v", !tt.oldGone)
			}
			ls, err := w.data.Lock(ctx)
			if err != nil || ls.Locked {
				t.Errorf("lock after a failed up = %+v %v", ls, err)
			}
			if tt.wantErr == "DBSnapshotNotFound" {
				after, _ := w.data.Export(ctx)
				if after.Identifier != before.Identifier {
					t.Errorf("state changed: %s -> %s", before.Identifier, after.Identifier)
				}
			}
		})
	}
}

func TestSimUpgrade(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		scenario string
		want     string // AWS's version after the up, and the state's
	}{
		{"default", "17.6"},
		// The AWS provider records what runs: the next preview shows the
		// upgrade again.
		{"upgrade-precheck-fails", "16.13"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			w := newSimWorld(t, tt.scenario)
			// AWS refuses a major upgrade that keeps a custom group of the
			// old family: the program brings a postgres17 group along.
			prog, err := LoadProgram(w.ws.DataDir)
			if err != nil {
				t.Fatal(err)
			}
			pt, err := prog.ApplyMajorUpgrade(MajorUpgrade{EngineVersion: "17.6", Family: "postgres17", GroupName: "postgres17-force-ssl-off",
				Parameters: []ParameterDecl{{Name: "rds.force_ssl", Value: "0"}}})
			if err != nil {
				t.Fatal(err)
			}
			if err := pt.Write(); err != nil {
				t.Fatal(err)
			}
			plan, err := w.data.Preview(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Instance() != InstanceUpdated {
				t.Fatalf("plan = %v", plan.Instance())
			}
			sum, err := w.data.Up(ctx, nil)
			if err != nil || sum.Result != "succeeded" {
				t.Fatalf("up = %+v %v (a precheck failure must not fail the update)", sum, err)
			}
			e, err := w.data.Export(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if e.EngineVersion != tt.want || e.EngineVersionActual != tt.want {
				t.Errorf("engine version in state %q, in AWS %q; want %s in both", e.EngineVersion, e.EngineVersionActual, tt.want)
			}
			if plan, err := w.data.Preview(ctx, nil); err != nil || (plan.Instance() == InstanceUpdated) != (tt.want != "17.6") {
				t.Errorf("preview after the up = %v %v", plan.Instance(), err)
			}
		})
	}
}

func TestSimDriftAndLock(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t, "default")
	if _, err := w.data.Export(ctx); err != nil {
		t.Fatal(err)
	}
	w.sim.Mutate(func(world *rdssim.World) {
		for _, in := range world.Instances {
			if in.ID == RehearsalInstanceID {
				in.Class = "db.t3.medium"
			}
		}
	})
	var sum Summary
	var err error
	progress := collect(func(ch chan<- Progress) { sum, err = w.data.Refresh(ctx, true, ch) })
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range progress {
		if p.Type == InstanceType && p.Op == OpUpdate && strings.Join(p.Diffs, ",") == "instanceClass" {
			found = true
		}
	}
	if !found || sum.Changes[OpUpdate] != 1 {
		t.Errorf("drift not shown: %+v %+v", sum, progress)
	}
	// A preview-only refresh does not change the state; a real one does.
	if e, _ := w.data.Export(ctx); e.Class != "db.t3.small" {
		t.Errorf("preview-only refresh wrote the state: %s", e.Class)
	}
	if _, err := w.data.Refresh(ctx, false, nil); err != nil {
		t.Fatal(err)
	}
	if e, _ := w.data.Export(ctx); e.Class != "db.t3.medium" {
		t.Errorf("refresh did not adopt the drift: %s", e.Class)
	}

	// A lock left by a dead update: the operation that took it ended
	// without releasing it.
	token, err := w.data.takeLock()
	if err != nil {
		t.Fatal(err)
	}
	endOperation(token)
	_, err = w.data.Up(ctx, nil)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pulumi cancel --stack staging") {
		t.Fatalf("up on a locked stack = %v", err)
	}
	ls, _ := w.data.Lock(ctx)
	if !ls.Locked || !strings.Contains(ls.Fix, "pulumi cancel --stack staging") {
		t.Errorf("lock = %+v", ls)
	}
	if err := w.data.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	if ls, _ := w.data.Lock(ctx); ls.Locked {
		t.Error("still locked after Cancel")
	}
}

func TestSimApplicationConfig(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t, "default")
	v, secret, err := w.app.GetConfig(ctx, "db-host")
	if err != nil || v != RehearsalDBHost || !secret {
		t.Fatalf("db-host = %q secret=%v err=%v", v, secret, err)
	}
	plan, err := w.app.Preview(ctx, nil)
	if err != nil || len(plan.Steps) != 1 || plan.Steps[0].Op != OpSame {
		t.Fatalf("preview before change = %+v %v", plan, err)
	}
	newHost := "app3f9b2c1.c9akciq32x1z.eu-west-2.rds.amazonaws.com"
	if err := w.app.SetConfig(ctx, "db-host", newHost, true); err != nil {
		t.Fatal(err)
	}
	v, secret, err = w.app.GetConfig(ctx, "db-host")
	if err != nil || v != newHost || !secret {
		t.Fatalf("db-host after set = %q secret=%v err=%v", v, secret, err)
	}
	plan, err = w.app.Preview(ctx, nil)
	if err != nil || plan.Steps[0].Op != OpUpdate {
		t.Fatalf("preview after change = %+v %v", plan, err)
	}
	if _, err := w.app.Up(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if plan, _ = w.app.Preview(ctx, nil); plan.Steps[0].Op != OpSame {
		t.Errorf("preview after up = %+v", plan)
	}
	if _, err := OpenSim(w.ws.AppDir, "sandbox", SimOptions{RDS: w.client}); !errors.Is(err, ErrUnknownStack) || !strings.Contains(err.Error(), "production, staging") {
		t.Errorf("unknown stack = %v", err)
	}
	if _, err := OpenSim(t.TempDir(), "staging", SimOptions{RDS: w.client}); !errors.Is(err, ErrNotProject) {
		t.Errorf("not a project = %v", err)
	}
}

// TestSimInterruptedUp: Ctrl-C while AWS creates the restored instance.
// As with the CLI, the create runs on; it outlasts the 30 s grace
// period, so it is abandoned as the kill that follows leaves it: the stack
// stays locked with the pending create.
func TestSimInterruptedUp(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t, "default")
	w.patch(t, SetEngineVersion("16.13"))
	w.patch(t, SetSnapshot(w.snapshot(t, "pre-release-")))
	sum, err := w.interruptWhenPending(t, w.data)
	if err == nil || sum.Result != "cancelled" || !strings.Contains(err.Error(), "grace period") {
		t.Fatalf("interrupted up = %+v %v", sum, err)
	}
	ls, err := w.data.Lock(ctx)
	if err != nil || !ls.Locked || len(ls.PendingOperations) != 1 ||
		!strings.Contains(ls.Fix, "pulumi cancel --stack staging") || !strings.Contains(ls.Fix, "pulumi refresh --clear-pending-creates --stack staging") {
		t.Fatalf("lock after the interruption = %+v %v", ls, err)
	}
	if _, err := w.data.Up(ctx, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("up on the locked stack = %v", err)
	}
	if err := w.data.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := w.data.ClearPendingOperations(ctx); err != nil || n != 1 {
		t.Fatalf("clear = %d %v", n, err)
	}
	if ls, _ := w.data.Lock(ctx); ls.Locked || len(ls.PendingOperations) != 0 {
		t.Errorf("after cancel and clear: %+v", ls)
	}
	// The old instance is untouched; a new up completes the restore.
	if !w.instanceExists(t, RehearsalInstanceID) {
		t.Fatal("the old instance was deleted by an interrupted up")
	}
	if sum, err := w.data.Up(ctx, nil); err != nil || sum.Result != "succeeded" {
		t.Fatalf("up after recovery = %+v %v", sum, err)
	}
}

// interruptWhenPending runs Up and cancels its context as soon as the
// state records a pending operation (the restore reached AWS), as Ctrl-C.
func (w *simWorld) interruptWhenPending(t *testing.T, s *SimStack) (Summary, error) {
	t.Helper()
	upCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sum Summary
	var err error
	collect(func(ch chan<- Progress) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			sum, err = s.Up(upCtx, ch)
		}()
		for {
			select {
			case <-done:
				return
			default:
			}
			if ls, _ := s.Lock(context.Background()); len(ls.PendingOperations) > 0 {
				cancel()
				<-done
				return
			}
			time.Sleep(time.Millisecond)
		}
	})
	return sum, err
}

// TestSimPointInTimeRestore: restoreToPointInTime in the program replaces
// the instance with a point-in-time restore (the preview is exactly the
// replacement), AWS records it as restored from the old instance, the
// state keeps the block so a second preview is no change, and removing
// the block afterwards would replace again (it is not computed).
func TestSimPointInTimeRestore(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		latest bool
	}{{"a minute before the latest restorable time", false}, {"the latest restorable time", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newSimWorld(t, "default")
			// The middle of the window (its length is the retention
			// period in AWS time: seconds of the test's clock).
			bs, err := w.client.DescribeDBInstanceAutomatedBackups(ctx, &rds.DescribeDBInstanceAutomatedBackupsInput{DBInstanceIdentifier: aws.String(RehearsalInstanceID)})
			if err != nil || len(bs.DBInstanceAutomatedBackups) != 1 || bs.DBInstanceAutomatedBackups[0].RestoreWindow == nil {
				t.Fatalf("automated backups: %v %+v", err, bs)
			}
			win := bs.DBInstanceAutomatedBackups[0].RestoreWindow
			mid := aws.ToTime(win.EarliestTime).Add(aws.ToTime(win.LatestTime).Sub(aws.ToTime(win.EarliestTime)) / 2)
			pt := PointInTime{SourceInstanceID: RehearsalInstanceID, UseLatest: tt.latest}
			if !tt.latest {
				pt.RestoreTime = mid.UTC().Format(time.RFC3339)
			}
			w.patch(t, SetEngineVersion("16.13"))
			w.patch(t, SetPointInTime(pt))
			plan, err := w.data.Preview(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckRestorePlan(plan); err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, s := range plan.InstanceSteps() {
				if s.Op == OpReplace {
					keys = s.Keys
				}
			}
			if !slices.Equal(keys, []string{"restoreToPointInTime"}) {
				t.Errorf("replace keys = %v, want [restoreToPointInTime]", keys)
			}
			if _, err := w.data.Up(ctx, nil); err != nil {
				t.Fatal(err)
			}
			after, err := w.data.Export(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !newInstanceName.MatchString(after.Identifier) || after.RestoreToPointInTime == nil || *after.RestoreToPointInTime != pt ||
				after.ParameterGroup != "postgres16-force-ssl-off" {
				t.Errorf("export after = %+v (block %+v)", after, after.RestoreToPointInTime)
			}
			evs, err := w.client.DescribeEvents(ctx, &rds.DescribeEventsInput{SourceIdentifier: aws.String(after.Identifier), SourceType: "db-instance", Duration: aws.Int32(60)})
			if err != nil {
				t.Fatal(err)
			}
			want, found := "Restored from DB instance "+RehearsalInstanceID+" to "+after.Identifier+".", false
			for _, e := range evs.Events {
				found = found || aws.ToString(e.Message) == want
			}
			if !found {
				t.Errorf("AWS does not record %q", want)
			}
			if w.instanceExists(t, RehearsalInstanceID) {
				t.Error("the old instance still exists")
			}
			plan, err = w.data.Preview(ctx, nil)
			if err != nil || plan.Instance() != InstanceUnchanged {
				t.Errorf("second preview: %v %v", plan.Instance(), err)
			}
			w.patch(t, SetPointInTime(PointInTime{}))
			plan, err = w.data.Preview(ctx, nil)
			if err != nil || plan.Instance() != InstanceReplaced {
				t.Errorf("preview with the block removed: %v %v; want a replacement", plan.Instance(), err)
			}
		})
	}
}

// TestSimCreateByRestoreAfterDelete: the instance was deleted outside
// Pulumi (automated backups retained, a final snapshot taken); the refresh
// drops it from the state, so the program's restore is a create, not a
// replacement. The preview's create carries the restore input; the up
// restores (to a point in time by resource id, or from the snapshot) with
// the settings the program resolves, and deletes nothing.
func TestSimCreateByRestoreAfterDelete(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		pitr  bool
		event string
	}{
		{"to the latest restorable time of the retained backups", true, "Restored from DB instance " + RehearsalInstanceID + " to "},
		{"from the final snapshot", false, "Restored from snapshot " + RehearsalInstanceID + "-final"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newSimWorld(t, "default")
			before, err := w.data.Export(ctx)
			if err != nil {
				t.Fatal(err)
			}
			in, err := w.client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(RehearsalInstanceID)})
			if err != nil {
				t.Fatal(err)
			}
			resourceID := aws.ToString(in.DBInstances[0].DbiResourceId)
			if _, err := w.client.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(RehearsalInstanceID),
				FinalDBSnapshotIdentifier: aws.String(RehearsalInstanceID + "-final"), DeleteAutomatedBackups: aws.Bool(false)}); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(time.Minute); w.instanceExists(t, RehearsalInstanceID); time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the instance was never deleted")
				}
			}
			if _, err := w.data.Refresh(ctx, false, nil); err != nil {
				t.Fatal(err)
			}
			// The instance ran 16.13 (AWS upgraded the minor): a program at
			// 16.11 would fail the follow-up modify, as for real.
			w.patch(t, SetEngineVersion("16.13"))
			pt := PointInTime{SourceResourceID: resourceID, UseLatest: true}
			if tt.pitr {
				w.patch(t, SetPointInTime(pt))
			} else {
				w.patch(t, SetSnapshot(RehearsalInstanceID+"-final"))
			}
			plan, err := w.data.Preview(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			create, err := CheckRestoreCreatePlan(plan)
			if err != nil {
				t.Fatal(err)
			}
			gotPT, gotSnap := RestoreInputs(create.Inputs)
			if tt.pitr && (gotPT == nil || *gotPT != pt || gotSnap != "") || !tt.pitr && (gotPT != nil || gotSnap != RehearsalInstanceID+"-final") {
				t.Errorf("the create's restore inputs = %+v, %q", gotPT, gotSnap)
			}
			if _, err := w.data.Up(ctx, nil); err != nil {
				t.Fatal(err)
			}
			after, err := w.data.Export(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !newInstanceName.MatchString(after.Identifier) || after.ParameterGroup != before.ParameterGroup || after.Class != before.Class ||
				!slices.Equal(after.SecurityGroups, before.SecurityGroups) || after.SubnetGroup != before.SubnetGroup {
				t.Errorf("export after = %+v; want a new instance with the settings before %+v", after, before)
			}
			evs, err := w.client.DescribeEvents(ctx, &rds.DescribeEventsInput{SourceIdentifier: aws.String(after.Identifier), SourceType: "db-instance", Duration: aws.Int32(60)})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, e := range evs.Events {
				found = found || strings.HasPrefix(aws.ToString(e.Message), tt.event)
			}
			if !found {
				t.Errorf("AWS does not record %q for %s", tt.event, after.Identifier)
			}
			plan, err = w.data.Preview(ctx, nil)
			if err != nil || plan.Instance() != InstanceUnchanged {
				t.Errorf("second preview: %v %v; want no change", plan.Instance(), err)
			}
		})
	}
}
