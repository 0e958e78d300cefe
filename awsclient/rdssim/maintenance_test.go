package rdssim

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// TestMaintenanceOptIns: next-maintenance waits for the maintenance window
// and then applies; undo-opt-in cancels it; immediate applies at once and
// can't be undone; a db-upgrade moves the engine version.
func TestMaintenanceOptIns(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	arn := "arn:aws:rds:eu-west-2:123456789012:db:" + DefaultInstanceID
	auto := t0.AddDate(0, 0, 10)
	e.sim.Mutate(func(w *World) {
		app := w.Instance(DefaultInstanceID)
		app.EngineVersion = "16.11"
		app.Maintenance = []MaintenanceAction{
			{Action: "db-upgrade", Description: "Automatic minor version upgrade to postgres 16.13", Target: "16.13", AutoAppliedAfter: auto},
			{Action: "hardware-maintenance", Description: "Hardware maintenance of the underlying host"},
		}
	})
	apply := func(action, optIn string) (*rds.ApplyPendingMaintenanceActionOutput, error) {
		return e.rds.ApplyPendingMaintenanceAction(ctx, &rds.ApplyPendingMaintenanceActionInput{ResourceIdentifier: aws.String(arn), ApplyAction: aws.String(action), OptInType: aws.String(optIn)})
	}
	pending := func() map[string]string {
		out := must(e.rds.DescribePendingMaintenanceActions(ctx, &rds.DescribePendingMaintenanceActionsInput{ResourceIdentifier: aws.String(arn)}))
		m := map[string]string{}
		for _, r := range out.PendingMaintenanceActions {
			for _, d := range r.PendingMaintenanceActionDetails {
				m[aws.ToString(d.Action)] = aws.ToString(d.OptInStatus) + "@" + aws.ToTime(d.CurrentApplyDate).Format(time.RFC3339)
			}
		}
		return m
	}
	// Before any opt-in, CurrentApplyDate is the first window after AutoAppliedAfterDate.
	window := nextWindow("mon:00:00-mon:03:00", auto)
	if got := pending()["db-upgrade"]; got != "@"+window.Format(time.RFC3339) {
		t.Errorf("db-upgrade before opt-in: %s, want its first window after %s (%s)", got, auto, window)
	}
	if got := pending()["hardware-maintenance"]; got != "@0001-01-01T00:00:00Z" {
		t.Errorf("without dates or opt-in CurrentApplyDate is blank: %s", got)
	}

	// next-maintenance, then undone: nothing happens at the window.
	must(apply("hardware-maintenance", "next-maintenance"))
	must(apply("hardware-maintenance", "undo-opt-in"))
	// next-maintenance for the db-upgrade: applied when the window opens.
	out := must(apply("db-upgrade", "next-maintenance"))
	at := aws.ToTime(out.ResourcePendingMaintenanceActions.PendingMaintenanceActionDetails[0].CurrentApplyDate)
	if at.Weekday() != time.Monday || at.Hour() != 0 || !at.After(t0) {
		t.Fatalf("next maintenance window %s, want the next Monday 00:00", at)
	}
	e.clk.Advance(at.Sub(t0) - time.Minute)
	if got := e.status(t, DefaultInstanceID); got != "available" {
		t.Fatalf("before the window: %s", got)
	}
	e.clk.Advance(2 * time.Minute)
	if got := e.status(t, DefaultInstanceID); got != "maintenance" {
		t.Fatalf("in the window: %s", got)
	}
	_, err := apply("db-upgrade", "undo-opt-in")
	wantCode(t, err, "InvalidParameterCombination", 400)
	e.clk.Advance(MaintenanceDuration)
	in := e.instance(t, DefaultInstanceID)
	if aws.ToString(in.DBInstanceStatus) != "available" || aws.ToString(in.EngineVersion) != "16.13" {
		t.Fatalf("after the db-upgrade: %s %s", aws.ToString(in.DBInstanceStatus), aws.ToString(in.EngineVersion))
	}
	if got := pending(); len(got) != 1 || got["hardware-maintenance"] != "@0001-01-01T00:00:00Z" {
		t.Errorf("left pending: %v (the undone hardware maintenance stays, not applied)", got)
	}
	_, err = apply("ca-certificate-rotation", "immediate")
	wantCode(t, err, "InvalidParameterValue", 400)
	_, err = apply("reboot", "immediate")
	wantCode(t, err, "InvalidParameterValue", 400)
}
