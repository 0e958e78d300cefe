package pulumitest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optdestroy"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
)

// TestSmokeRefreshShowsDrift changes the instance class behind Pulumi's back;
// refresh records it and the next preview plans the way back.
func TestSmokeRefreshShowsDrift(t *testing.T) {
	t.Parallel()
	f := deploySmoke(t, "")
	if _, err := f.client.ModifyDBInstance(f.ctx, &rds.ModifyDBInstanceInput{
		DBInstanceIdentifier: aws.String(f.id), DBInstanceClass: aws.String("db.t3.medium"), ApplyImmediately: aws.Bool(true),
	}); err != nil {
		t.Fatalf("out-of-band modify: %v", err)
	}
	for {
		db := describe(t, f.client, f.id)
		if aws.ToString(db.DBInstanceStatus) == "available" && aws.ToString(db.DBInstanceClass) == "db.t3.medium" {
			break
		}
		select {
		case <-f.ctx.Done():
			t.Fatalf("the out-of-band modify never finished: %s %s", aws.ToString(db.DBInstanceStatus), aws.ToString(db.DBInstanceClass))
		case <-time.After(50 * time.Millisecond):
		}
	}

	ref, err := f.stack.Refresh(f.ctx, optrefresh.SuppressProgress())
	if err != nil {
		t.Fatalf("refresh: %v\n%s", err, ref.StdErr)
	}
	if ref.Summary.ResourceChanges == nil || (*ref.Summary.ResourceChanges)["update"] != 1 {
		t.Errorf("refresh changes = %v, want one update (the drifted instance)", ref.Summary.ResourceChanges)
	}

	evs := make(chan events.EngineEvent)
	done := make(chan []string)
	go func() {
		var diffs []string
		for e := range evs {
			if m := e.ResourcePreEvent; m != nil && m.Metadata.Type == instanceType && m.Metadata.Op == "update" {
				diffs = append(diffs, m.Metadata.Diffs...)
			}
		}
		done <- diffs
	}()
	if _, err := f.stack.Preview(f.ctx, optpreview.EventStreams(evs)); err != nil {
		t.Fatalf("preview after refresh: %v", err)
	}
	if diffs := <-done; !slices.Contains(diffs, "instanceClass") {
		t.Errorf("preview after refresh: update diffs on the instance = %v, want instanceClass", diffs)
	}
}

// TestSmokeDeleteFailsWhenFinalSnapshotExists: a final snapshot name that is
// taken makes the delete fail, and the instance stays.
func TestSmokeDeleteFailsWhenFinalSnapshotExists(t *testing.T) {
	t.Parallel()
	f := deploySmoke(t, "")
	if _, err := f.client.CreateDBSnapshot(f.ctx, &rds.CreateDBSnapshotInput{
		DBInstanceIdentifier: aws.String("app5ec7032"), DBSnapshotIdentifier: aws.String("smoke-final-before-deletion"),
	}); err != nil {
		t.Fatalf("take the final snapshot's name: %v", err)
	}
	res, err := f.stack.Destroy(f.ctx, optdestroy.SuppressProgress())
	if err == nil {
		t.Fatal("destroy succeeded although the final snapshot name was taken")
	}
	if !strings.Contains(err.Error()+res.StdOut+res.StdErr, "DBSnapshotAlreadyExists") {
		t.Errorf("destroy error does not name DBSnapshotAlreadyExists: %v\n%s", err, res.StdOut)
	}
	if got := aws.ToString(describe(t, f.client, f.id).DBInstanceStatus); got != "available" {
		t.Errorf("instance %s after the failed delete is %q, want available", f.id, got)
	}
}

// TestSmokePreviewNamesOnlyTheChangedInput: a class change previews as an
// update of instanceClass alone, as with the real provider; inputs the
// program leaves to AWS (port, storage type, ...) are no change.
func TestSmokePreviewNamesOnlyTheChangedInput(t *testing.T) {
	t.Parallel()
	f := deploySmoke(t, "")
	bigger := strings.Replace(f.program, "instanceClass: db.t3.small", "instanceClass: db.t3.medium", 1)
	if err := os.WriteFile(filepath.Join(f.dir, "Main.yaml"), []byte(bigger), 0o644); err != nil {
		t.Fatal(err)
	}
	evs := make(chan events.EngineEvent)
	done := make(chan [][]string)
	go func() {
		var diffs [][]string
		for e := range evs {
			if m := e.ResourcePreEvent; m != nil && m.Metadata.Type == instanceType {
				diffs = append(diffs, m.Metadata.Diffs)
			}
		}
		done <- diffs
	}()
	if _, err := f.stack.Preview(f.ctx, optpreview.EventStreams(evs)); err != nil {
		t.Fatalf("preview: %v", err)
	}
	if diffs := <-done; len(diffs) != 1 || !slices.Equal(diffs[0], []string{"instanceClass"}) {
		t.Errorf("preview of a class change: the instance's diffs = %v, want [[instanceClass]]", diffs)
	}
}
