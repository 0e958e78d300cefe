package pulumiclient

// The simulated engine decides outcomes as the pulumi CLI and the AWS
// provider do (issue 12; docs/FIDELITY.md). Each test fails on the engine
// as it was before.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
)

// TestSimRestoreAppliesTheProgramAfterwards: after the restore the AWS
// provider modifies what the program says differently from the restored
// instance. The rehearsal's program asks for 16.11 while the snapshot is
// of 16.13: AWS refuses the downgrade, the up fails, and as a partial
// create the state holds the restored instance while the old one waits,
// pending deletion. With the program fixed, the next up finishes: it
// updates the restored instance and deletes the old one with its final
// snapshot.
func TestSimRestoreAppliesTheProgramAfterwards(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t, "default")
	w.patch(t, SetSnapshot(w.snapshot(t, "pre-release-")))
	sum, err := w.data.Up(ctx, nil)
	if err == nil || !strings.Contains(err.Error(), "Cannot upgrade postgres from 16.13 to 16.11") || sum.Result != "failed" {
		t.Fatalf("restore with engineVersion 16.11 from a 16.13 snapshot = %+v %v; want AWS's refusal", sum, err)
	}
	st, _ := w.data.load()
	if st.Instance == nil || st.Old == nil || len(st.Instance.InitErrors) != 1 || outStr(st.Old, "identifier") != RehearsalInstanceID {
		t.Fatalf("state after the partial create: instance %+v, pending delete %+v", st.Instance, st.Old)
	}
	restored := outStr(st.Instance, "identifier")
	if !w.instanceExists(t, restored) || !w.instanceExists(t, RehearsalInstanceID) {
		t.Fatalf("both instances must exist: restored %s, old %s", restored, RehearsalInstanceID)
	}
	if ls, err := w.data.Lock(ctx); err != nil || ls.Locked || len(ls.PendingOperations) != 0 {
		t.Errorf("after a failed up: %+v %v", ls, err)
	}
	exp, err := w.data.Export(ctx)
	if err != nil || exp.Identifier != restored {
		t.Errorf("export after the partial create = %s, %v; want the restored %s", exp.Identifier, err, restored)
	}

	w.patch(t, SetEngineVersion("16.13"))
	plan, err := w.data.Preview(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, s := range plan.InstanceSteps() {
		ops = append(ops, string(s.Op))
	}
	if !slices.Equal(ops, []string{"update", "delete-replaced"}) {
		t.Errorf("preview after fixing the program: %v, want the restored instance updated and the old one deleted", ops)
	}
	if sum, err := w.data.Up(ctx, nil); err != nil || sum.Result != "succeeded" {
		t.Fatalf("up after fixing the program = %+v %v", sum, err)
	}
	if w.instanceExists(t, RehearsalInstanceID) {
		t.Error("the old instance still exists")
	}
	if _, err := w.client.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String("final-before-deletion")}); err != nil {
		t.Errorf("final snapshot of the old instance: %v", err)
	}
}

// TestSimDeleteUsesTheOldStatesFinalSnapshot: a restore whose program also
// renames the final snapshot deletes the old instance with the name in the
// OLD state, as the engine hands the provider the old resource's state.
func TestSimDeleteUsesTheOldStatesFinalSnapshot(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t, "default")
	w.patch(t, SetEngineVersion("16.13"))
	w.patch(t, SetSnapshot(w.snapshot(t, "pre-release-")))
	p, err := LoadProgram(w.ws.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p.Path)
	if err != nil {
		t.Fatal(err)
	}
	renamed := strings.Replace(string(b), `finalSnapshotIdentifier: "final-before-deletion"`, `finalSnapshotIdentifier: "final-2"`, 1)
	if renamed == string(b) {
		t.Fatal("the fixture has no finalSnapshotIdentifier to rename")
	}
	if err := os.WriteFile(p.Path, []byte(renamed), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := w.data.Up(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"final-before-deletion": true, "final-2": false} {
		_, err := w.client.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(name)})
		if got := err == nil; got != want {
			t.Errorf("snapshot %s exists = %v, want %v", name, got, want)
		}
	}
	if e, _ := w.data.Export(ctx); e.FinalSnapshotIdentifier != "final-2" {
		t.Errorf("the new instance's state names final snapshot %q, want final-2", e.FinalSnapshotIdentifier)
	}
}

// TestSimCtrlCLetsTheOperationInFlightFinish: an interrupt within the
// grace period stops as the CLI's first Ctrl-C: the restore in flight
// finishes and is recorded, the delete of the old instance does not start,
// the lock is released and nothing stays pending. The next up deletes the
// old instance.
func TestSimCtrlCLetsTheOperationInFlightFinish(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t, "default")
	patient, err := OpenSim(w.ws.DataDir, "staging", SimOptions{RDS: w.client, Clock: w.clock, InterruptGrace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	w.patch(t, SetEngineVersion("16.13"))
	w.patch(t, SetSnapshot(w.snapshot(t, "pre-release-")))
	sum, err := w.interruptWhenPending(t, patient)
	if err == nil || sum.Result != "cancelled" || !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "grace period") {
		t.Fatalf("interrupted up = %+v %v; want a clean cancel", sum, err)
	}
	if ls, err := patient.Lock(ctx); err != nil || ls.Locked || len(ls.PendingOperations) != 0 {
		t.Fatalf("after a clean cancel: %+v %v", ls, err)
	}
	st, _ := patient.load()
	if st.Instance == nil || st.Old == nil || outStr(st.Old, "identifier") != RehearsalInstanceID || len(st.Instance.InitErrors) != 0 {
		t.Fatalf("state after the clean cancel: instance %+v, pending delete %+v", st.Instance, st.Old)
	}
	if !w.instanceExists(t, RehearsalInstanceID) {
		t.Fatal("the old instance was deleted although the update was cancelled before its delete")
	}
	sum, err = patient.Up(ctx, nil)
	if err != nil || sum.Result != "succeeded" || w.instanceExists(t, RehearsalInstanceID) {
		t.Fatalf("the next up = %+v %v; want the old instance deleted", sum, err)
	}
}

// TestSimRefreshReadsByResourceID: after a console rename swap (the
// original renamed away, a restored copy renamed to its name), a refresh
// follows the resource id: the state tracks the renamed original.
func TestSimRefreshReadsByResourceID(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t, "default")
	before, err := w.data.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.consoleSwap(t)
	if _, err := w.data.Refresh(ctx, false, nil); err != nil {
		t.Fatal(err)
	}
	after, err := w.data.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.ID != before.ID || after.ResourceID != before.ResourceID || after.Identifier != RehearsalInstanceID+"-original" {
		t.Errorf("after the swap and a refresh the state tracks %s (id %s, resource id %s); want the renamed original %s-original (%s)",
			after.Identifier, after.ID, after.ResourceID, RehearsalInstanceID, before.ID)
	}
}

// consoleSwap renames the original away and a restored copy to its name,
// as the console method does.
func (w *simWorld) consoleSwap(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := w.client.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{
		DBInstanceIdentifier: aws.String("restored"), DBSnapshotIdentifier: aws.String(w.snapshot(t, "pre-release-")),
	})
	must(err)
	w.waitStatus(t, "restored", "available")
	_, err = w.client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(RehearsalInstanceID),
		NewDBInstanceIdentifier: aws.String(RehearsalInstanceID + "-original"), ApplyImmediately: aws.Bool(true)})
	must(err)
	w.waitStatus(t, RehearsalInstanceID+"-original", "available")
	for i := 0; ; i++ { // AWS refuses the old name for a while
		_, err = w.client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("restored"),
			NewDBInstanceIdentifier: aws.String(RehearsalInstanceID), ApplyImmediately: aws.Bool(true)})
		if err == nil || i > 2000 || !strings.Contains(err.Error(), "DBInstanceAlreadyExists") {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	must(err)
	w.waitStatus(t, RehearsalInstanceID, "available")
}

func (w *simWorld) waitStatus(t *testing.T, id, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		out, err := w.client.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
		if err == nil && aws.ToString(out.DBInstances[0].DBInstanceStatus) == want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s never became %s", id, want)
}

// TestSimRefreshClearsPendingOperationsButCreates: as the CLI's snapshot
// after a refresh, only pending creates stay.
func TestSimRefreshClearsPendingOperationsButCreates(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t, "default")
	if _, err := w.data.Export(ctx); err != nil {
		t.Fatal(err)
	}
	st, _ := w.data.load()
	urn := w.data.urn(InstanceType, "app")
	st.Pending = []simPending{{URN: urn, Type: "updating"}, {URN: urn, Type: "creating"}, {URN: urn, Type: "deleting"}}
	if err := w.data.save(st); err != nil {
		t.Fatal(err)
	}
	if _, err := w.data.Refresh(ctx, true, nil); err != nil {
		t.Fatal(err)
	}
	if st, _ := w.data.load(); len(st.Pending) != 3 {
		t.Errorf("a preview-only refresh changed the pending operations: %+v", st.Pending)
	}
	if _, err := w.data.Refresh(ctx, false, nil); err != nil {
		t.Fatal(err)
	}
	st, _ = w.data.load()
	if len(st.Pending) != 1 || st.Pending[0].Type != "creating" {
		t.Errorf("pending after a refresh = %+v, want the create alone", st.Pending)
	}
}

// TestSimPreviewTakesNoLock: as with the CLI's file backend, a preview
// neither takes the lock nor stops at it; an update does.
func TestSimPreviewTakesNoLock(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t, "default")
	token, err := w.data.takeLock() // another update runs
	if err != nil {
		t.Fatal(err)
	}
	defer endOperation(token)
	// Its operation is in flight in this process: the lock is a running
	// update's, to wait for, not a stale one to cancel.
	if ls, err := w.data.Lock(ctx); err != nil || ls.RunningPID != os.Getpid() || !strings.Contains(ls.Fix, "let it finish") {
		t.Errorf("lock of an update in flight = %+v %v", ls, err)
	}
	if _, err := w.data.Preview(ctx, nil); err != nil {
		t.Errorf("preview on a locked stack = %v, want it to run", err)
	}
	if _, err := w.data.Refresh(ctx, true, nil); err != nil {
		t.Errorf("preview-only refresh on a locked stack = %v, want it to run", err)
	}
	if _, err := w.data.Refresh(ctx, false, nil); !errors.Is(err, ErrLocked) {
		t.Errorf("refresh on a locked stack = %v, want ErrLocked", err)
	}
	w.data.releaseLock()
	if _, err := w.data.Preview(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if l, _ := w.data.readLock(); l != nil {
		t.Errorf("a preview left a lock: %+v", l)
	}
}

// TestSimLockHoldsAcrossProcesses: another process holding the stack's
// lock stops this one's update; of simulated stacks racing for the lock,
// exactly one gets it.
func TestSimLockHoldsAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t, "default")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSimHoldLockHelper$")
	cmd.Env = append(os.Environ(), "DATALAYER_SIM_LOCK_DIR="+w.ws.DataDir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := stdout.Read(buf)
	if !strings.Contains(string(buf[:n]), "locked") {
		t.Fatalf("helper: %q", buf[:n])
	}
	if _, err := w.data.Up(ctx, nil); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", cmd.Process.Pid)) {
		t.Errorf("up while another process holds the lock = %v", err)
	}
	if ls, err := w.data.Lock(ctx); err != nil || ls.RunningPID != cmd.Process.Pid {
		t.Errorf("lock held by another running process = %+v %v, want it running", ls, err)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	if _, err := w.data.Up(ctx, nil); err != nil {
		t.Errorf("up once the other process released the lock = %v", err)
	}

	var wins sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 8 {
		s, err := OpenSim(w.ws.DataDir, "staging", SimOptions{RDS: w.client, Clock: w.clock})
		if err != nil {
			t.Fatal(err)
		}
		wins.Add(1)
		go func() {
			defer wins.Done()
			if token, err := s.takeLock(); err == nil {
				endOperation(token)
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wins.Wait()
	if won != 1 {
		t.Errorf("%d stacks took the same lock at once, want 1", won)
	}
}

// TestSimHoldLockHelper is run by TestSimLockHoldsAcrossProcesses in a
// process of its own: it takes the lock and holds it until stdin closes.
func TestSimHoldLockHelper(t *testing.T) {
	dir := os.Getenv("DATALAYER_SIM_LOCK_DIR")
	if dir == "" {
		return // only as a helper process
	}
	s, err := OpenSim(dir, "staging", SimOptions{RDS: NewSimRDSClient("http://127.0.0.1:9", "")})
	if err != nil {
		t.Fatal(err)
	}
	token, err := s.takeLock()
	if err != nil {
		t.Fatal(err)
	}
	defer endOperation(token)
	fmt.Println("locked")
	_, _ = os.Stdin.Read(make([]byte, 1))
	s.releaseLock()
}

// TestSimRetriesLikeTheAWSProvider: six throttled answers in a row to the
// delete of the replaced instance are retried through, as the AWS provider
// tries each call 25 times (the SDK's default gives up after 3).
func TestSimRetriesLikeTheAWSProvider(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t, "default")
	w.patch(t, SetEngineVersion("16.13"))
	w.patch(t, SetSnapshot(w.snapshot(t, "pre-release-")))
	w.sim.InjectFault(rdssim.Fault{Name: "burst", Code: "Throttling", Actions: []string{"DeleteDBInstance"}, From: 1, Times: 6})
	sum, err := w.data.Up(ctx, nil)
	if err != nil || sum.Result != "succeeded" {
		t.Fatalf("up through a throttling burst = %+v %v", sum, err)
	}
	if w.instanceExists(t, RehearsalInstanceID) {
		t.Error("the old instance still exists")
	}
}

// TestSimParameterGroupCallsRetry: the parameter-group reads and writes of
// the simulated engine ride out throttling as its instance calls do (a
// rehearsal under the throttling scenario failed its preview on one).
func TestSimParameterGroupCallsRetry(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t, "default")
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
	w.sim.InjectFault(rdssim.Fault{Name: "burst", Code: "Throttling", Actions: []string{"DescribeDBParameterGroups", "CreateDBParameterGroup", "ModifyDBParameterGroup"}, From: 1, Times: 6})
	if _, err := w.data.Preview(ctx, nil); err != nil {
		t.Fatalf("preview through a throttling burst: %v", err)
	}
	if sum, err := w.data.Up(ctx, nil); err != nil || sum.Result != "succeeded" {
		t.Fatalf("up through a throttling burst = %+v %v", sum, err)
	}
}

// TestSimPreviewShowsWhatARestoreDidNotTake: after a console swap and the
// state pointed at the restored instance, the refresh reads RDS's default
// maintenance window (a restore cannot take one), and the preview proposes
// the program's window back, as the real provider's diff of inputs against
// state does; the up modifies it and the next preview proposes nothing.
// Before, the simulated engine compared only the engine version, the
// snapshot and the final-snapshot settings, and proposed nothing.
func TestSimPreviewShowsWhatARestoreDidNotTake(t *testing.T) {
	ctx := context.Background()
	w := newSimWorld(t, "default")
	w.patch(t, SetEngineVersion("16.13"))
	if _, err := w.data.Refresh(ctx, false, nil); err != nil {
		t.Fatal(err)
	}
	w.consoleSwap(t)
	out, err := w.client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(RehearsalInstanceID)})
	if err != nil {
		t.Fatal(err)
	}
	restored := out.DBInstances[0]
	if strings.EqualFold(aws.ToString(restored.PreferredMaintenanceWindow), "mon:00:00-mon:03:00") {
		t.Fatalf("the restored instance has the program's window already: %s", aws.ToString(restored.PreferredMaintenanceWindow))
	}
	err = w.data.EditState(ctx, func(s *State) error {
		r, err := s.LiveInstance()
		if err != nil {
			return err
		}
		r.ID = aws.ToString(restored.DbiResourceId)
		r.Outputs["resourceId"] = r.ID
		r.Outputs["identifier"] = RehearsalInstanceID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.data.Refresh(ctx, false, nil); err != nil {
		t.Fatal(err)
	}
	plan, err := w.data.Preview(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	steps := plan.InstanceSteps()
	// The swap's bare restore took no settings: the parameter group and
	// public access come back as changes too.
	if len(steps) != 1 || steps[0].Op != OpUpdate || !slices.Contains(steps[0].Diffs, "maintenanceWindow") || !slices.Contains(steps[0].Diffs, "publiclyAccessible") {
		t.Fatalf("preview after the repair = %+v; want an update of maintenanceWindow and publiclyAccessible", steps)
	}
	if sum, err := w.data.Up(ctx, nil); err != nil || sum.Result != "succeeded" {
		t.Fatalf("up = %+v %v", sum, err)
	}
	out, err = w.client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(RehearsalInstanceID)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.DBInstances[0].PreferredMaintenanceWindow); got != "mon:00:00-mon:03:00" || !aws.ToBool(out.DBInstances[0].PubliclyAccessible) {
		t.Errorf("after the up: window %s, public %v; want mon:00:00-mon:03:00, true", got, aws.ToBool(out.DBInstances[0].PubliclyAccessible))
	}
	plan, err = w.data.Preview(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := plan.InstanceSteps(); len(s) != 1 || s[0].Op != OpSame {
		t.Errorf("preview after the up = %+v; want no change", s)
	}
}
