package pulumiclient

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// TestIntegrationRepairInterruptedReplacement is the state repair the
// runbook's resume makes after a restore's `pulumi up` is killed while it
// creates the replacement, run against the real pulumi CLI: the kill leaves
// the lock and a pending create whose checked inputs name the new instance;
// cancel removes the lock; AdoptReplacement records the new instance as
// the replacement and the old one as pending deletion (through `pulumi
// stack import`); a refresh reads both; the preview then makes no second
// instance; and `up` finishes the replacement: the old instance deleted
// with the final snapshot its state names.
func TestIntegrationRepairInterruptedReplacement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newITEnv(t)
	dir := e.project("data", map[string]string{"Pulumi.yaml": dataProgram, "Pulumi.staging.yaml": dataStackConfig})
	s := e.open(dir)
	if _, err := s.Up(ctx, nil); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	first, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// The restore's up, killed once AWS has accepted the restore.
	patchProgram(t, dir, SetSnapshot(e.preRelease()))
	hard := e.opts
	hard.InterruptGrace = time.Millisecond
	hs, err := OpenLocal(ctx, dir, "staging", hard)
	if err != nil {
		t.Fatal(err)
	}
	upCtx, cancel := context.WithCancel(ctx)
	restores := e.sim.Sim.RequestCounts()["RestoreDBInstanceFromDBSnapshot"]
	var once sync.Once
	log := newProgressLog(func(p Progress) {
		if p.Type == InstanceType && p.Op == OpCreateReplacement && p.Status == StepStarted {
			once.Do(func() {
				go func() {
					for e.sim.Sim.RequestCounts()["RestoreDBInstanceFromDBSnapshot"] == restores && upCtx.Err() == nil {
						time.Sleep(5 * time.Millisecond)
					}
					cancel()
				}()
			})
		}
	})
	_, err = hs.Up(upCtx, log.ch)
	log.close()
	cancel()
	if err == nil {
		t.Fatal("the killed up reported success")
	}

	// What the kill left: the lock of a process that is gone, and a
	// pending create that names the instance AWS is restoring.
	ls, err := s.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !ls.Locked || len(ls.Locks) != 1 || ls.Locks[0].PID <= 0 || ls.Locks[0].Host == "" {
		t.Fatalf("lock after the kill = %+v", ls)
	}
	if host, _ := os.Hostname(); ls.Locks[0].Host != host {
		t.Errorf("the lock's holder is on %q, not this host %q", ls.Locks[0].Host, host)
	}
	st, err := s.ReadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var created *PendingOperation
	for i, op := range st.PendingOperations {
		if op.Type == "creating" {
			created = &st.PendingOperations[i]
		}
	}
	if created == nil {
		t.Fatalf("no pending create after the kill: %+v", st.PendingOperations)
	}
	newID := created.PendingIdentifier()
	if !newInstanceName.MatchString(newID) || newID == first.Identifier {
		t.Fatalf("the pending create names %q (inputs %v)", newID, created.Inputs)
	}
	if _, ok := e.instance(newID); !ok {
		t.Fatalf("AWS has no %s although the restore was accepted", newID)
	}

	// The repair: remove the stale lock, record the replacement.
	if err := s.Cancel(ctx); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	var resourceID string
	for i := 0; i < 4000; i++ {
		out := e.instanceInfo(newID)
		if out.status == "available" {
			resourceID = out.resourceID
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resourceID == "" {
		t.Fatalf("%s never became available", newID)
	}
	if err := s.EditState(ctx, func(st *State) error {
		return st.AdoptReplacement(created.URN, resourceID, newID, created.Inputs)
	}); err != nil {
		t.Fatalf("adopt the replacement: %v", err)
	}
	if ls, err := s.Lock(ctx); err != nil || ls.Locked || len(ls.PendingOperations) > 0 {
		t.Fatalf("after the repair: %+v %v", ls, err)
	}
	if _, err := s.Refresh(ctx, false, nil); err != nil {
		t.Fatalf("refresh after the repair: %v", err)
	}
	plan, err := s.Preview(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, p := range plan.InstanceSteps() {
		if p.Op != OpSame {
			ops = append(ops, string(p.Op))
		}
	}
	t.Logf("the plan after the repair: %v", plan.Steps)
	if slices.Contains(ops, string(OpCreateReplacement)) || slices.Contains(ops, string(OpReplace)) || !slices.Contains(ops, string(OpDeleteReplaced)) {
		t.Fatalf("after the repair the plan is %v: want the old instance's delete and no second instance", ops)
	}
	if _, err := s.Up(ctx, nil); err != nil {
		t.Fatalf("up after the repair: %v", err)
	}
	if _, ok := e.instance(first.Identifier); ok {
		t.Errorf("the old instance %s still exists", first.Identifier)
	}
	if !e.snapshotExists("final-before-deletion") {
		t.Error("no final snapshot of the old instance")
	}
	after, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Identifier != newID || after.ID != resourceID {
		t.Fatalf("the state tracks %s (%s), want %s (%s)", after.Identifier, after.ID, newID, resourceID)
	}
	if n := e.sim.Sim.RequestCounts()["RestoreDBInstanceFromDBSnapshot"]; n != restores+1 {
		t.Errorf("the restore reached AWS %d times", n-restores)
	}
	if plan, err := s.Preview(ctx, nil); err != nil || hasPlanChanges(plan) {
		t.Fatalf("a preview after the finished replacement: %+v %v", plan.Steps, err)
	}
}

func hasPlanChanges(p Plan) bool {
	for _, s := range p.Steps {
		if s.Op != OpSame && s.Op != "" {
			return true
		}
	}
	return false
}

type instanceInfo struct{ status, resourceID string }

func (e *itEnv) instanceInfo(id string) instanceInfo {
	e.t.Helper()
	out, err := e.rds.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		if strings.Contains(err.Error(), "DBInstanceNotFound") {
			return instanceInfo{}
		}
		e.t.Fatal(err)
	}
	db := out.DBInstances[0]
	return instanceInfo{status: aws.ToString(db.DBInstanceStatus), resourceID: aws.ToString(db.DbiResourceId)}
}
