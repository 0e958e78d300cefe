package awsclient_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
)

// TestPointInTimeRestore: the restore runbook's point-in-time path: the
// window, a restore 20 minutes back with the stack's settings, and the
// event that records it.
func TestPointInTimeRestore(t *testing.T) {
	e, clk := newEnv(t, "default")
	orig, err := e.c.Instance(ctx(t), app)
	if err != nil {
		t.Fatal(err)
	}
	if lag := t0.Sub(orig.LatestRestorable); lag <= 0 || lag > 5*time.Minute {
		t.Errorf("LatestRestorable %s at %s", orig.LatestRestorable, t0)
	}
	backups, err := e.c.AutomatedBackups(ctx(t), app)
	if err != nil || len(backups) != 1 {
		t.Fatalf("automated backups %+v, %v", backups, err)
	}
	b := backups[0]
	if b.Status != "active" || b.ResourceID != orig.ResourceID || !b.Latest.Equal(orig.LatestRestorable) || !b.Earliest.Equal(t0.Add(-24*time.Hour)) {
		t.Errorf("automated backup %+v", b)
	}
	s := awsclient.PointInTimeSettings{RestoreSettings: awsclient.SettingsFrom(orig, "", "app5ec7032-pitr"), SourceInstanceID: app, RestoreTime: t0.Add(-20 * time.Minute)}
	in, err := e.c.RestoreToPointInTime(ctx(t), s)
	if err != nil {
		t.Fatal(err)
	}
	if in.Status != "creating" || in.ParameterGroup != orig.ParameterGroup || in.SubnetGroup != orig.SubnetGroup {
		t.Errorf("restored: %+v", in)
	}
	clk.Advance(rdssim.CreateDuration + rdssim.PITRReplay + rdssim.InitialBackup)
	evs, err := e.c.Events(ctx(t), "app5ec7032-pitr", t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 || evs[0].ID != awsclient.EventRestoredToPoint || !strings.Contains(evs[0].Message, "from DB instance "+app) {
		t.Errorf("events of the restored instance: %+v", evs)
	}

	bad := s
	bad.InstanceID = "app5ec7032-late"
	bad.RestoreTime = clk.Now().Add(time.Minute)
	if _, err := e.c.RestoreToPointInTime(ctx(t), bad); !errors.Is(err, awsclient.ErrInvalidInput) || !strings.Contains(err.Error(), "restorable window") {
		t.Errorf("a time after the window: %v", err)
	}
	before := e.sim.Requests()
	for name, mod := range map[string]func(*awsclient.PointInTimeSettings){
		"no source":       func(p *awsclient.PointInTimeSettings) { p.SourceInstanceID = "" },
		"two sources":     func(p *awsclient.PointInTimeSettings) { p.SourceResourceID = orig.ResourceID },
		"time and latest": func(p *awsclient.PointInTimeSettings) { p.UseLatest = true },
		"no time":         func(p *awsclient.PointInTimeSettings) { p.RestoreTime = time.Time{} },
		"no param group":  func(p *awsclient.PointInTimeSettings) { p.ParameterGroup = "" },
	} {
		p := s
		mod(&p)
		if _, err := e.c.RestoreToPointInTime(ctx(t), p); !errors.Is(err, awsclient.ErrInvalidInput) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if e.sim.Requests() != before {
		t.Error("invalid settings reached AWS")
	}
}

// TestRestoreDeletedInstance: the instance was deleted keeping its
// automated backups; they are found and restored by resource id.
func TestRestoreDeletedInstance(t *testing.T) {
	e, clk := newEnv(t, "default")
	orig, _ := e.c.Instance(ctx(t), app)
	_, err := e.raw.DeleteDBInstance(ctx(t), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(app),
		FinalDBSnapshotIdentifier: aws.String("final-before-deletion"), DeleteAutomatedBackups: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(30 * time.Minute)
	backups, err := e.c.AutomatedBackups(ctx(t), app)
	if err != nil || len(backups) != 1 || backups[0].Status != "retained" || backups[0].ResourceID != orig.ResourceID {
		t.Fatalf("retained backups %+v, %v", backups, err)
	}
	s := awsclient.PointInTimeSettings{RestoreSettings: awsclient.SettingsFrom(orig, "", app), SourceResourceID: orig.ResourceID, UseLatest: true}
	in, err := e.c.RestoreToPointInTime(ctx(t), s)
	if err != nil {
		t.Fatal(err)
	}
	if in.ID != app || in.ResourceID == orig.ResourceID {
		t.Errorf("restored %s %s", in.ID, in.ResourceID)
	}
	if none, err := e.c.AutomatedBackups(ctx(t), "never-existed"); err != nil || len(none) != 0 {
		t.Errorf("an instance without backups: %+v, %v", none, err)
	}
}
