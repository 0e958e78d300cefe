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

// deferClassChange asks AWS, when step starts, for an instance class change
// without ApplyImmediately: RDS holds it for the maintenance window, as it
// does with any change of a program that leaves applyImmediately unset.
func deferClassChange(t *testing.T, step string) func(*World, engine.Event) {
	done := false
	return func(w *World, e engine.Event) {
		if done || e.Type != engine.EventStepStarted || e.StepID != step {
			return
		}
		done = true
		c := pulumiclient.NewSimRDSClient(w.URL, "eu-west-2")
		if _, err := c.ModifyDBInstance(context.Background(), &rds.ModifyDBInstanceInput{
			DBInstanceIdentifier: aws.String("app5ec7032"), DBInstanceClass: aws.String("db.t3.medium"), ApplyImmediately: aws.Bool(false),
		}); err != nil {
			t.Errorf("deferred modify: %v", err)
		}
	}
}

// A change RDS holds for the maintenance window leaves the instance
// available with PendingModifiedValues: the deploy's verify used to wait for
// ever. It ends saying what is pending and when it will apply; --yes leaves
// it for the window, as the program asked.
func TestDeployWithAChangeHeldForTheWindowEndsSayingSo(t *testing.T) {
	r := runHeadlessHook(t, engine.Options{Runbook: "deploy", Yes: true}, nil, nil, deferClassChange(t, "preview"))
	if r.err != nil {
		t.Fatalf("the deploy failed: %v\n%s", r.err, r.text())
	}
	for _, want := range []string{"instance class db.t3.small → db.t3.medium", "they apply in the next maintenance window", "UTC (window", "left for the maintenance window"} {
		if !strings.Contains(r.text(), want) {
			t.Errorf("the deploy does not say %q\n%s", want, r.text())
		}
	}
	in, err := r.world.AWS.Instance(context.Background(), "app5ec7032")
	if err != nil || in.Class != "db.t3.small" || in.Pending.InstanceClass != "db.t3.medium" {
		t.Fatalf("the change was not left pending: %+v %v", in, err)
	}
}

// Choosing to apply it now (behind the gate) applies it: the run waits
// until AWS has applied it, and nothing is left pending.
func TestDeployAppliesAHeldChangeNowWhenAsked(t *testing.T) {
	r := runHeadlessHook(t, engine.Options{Runbook: "deploy", Yes: true, Answers: map[string]string{"verify/deferred": "now"}}, nil, nil, deferClassChange(t, "preview"))
	if r.err != nil {
		t.Fatalf("the deploy failed: %v\n%s", r.err, r.text())
	}
	in, err := r.world.AWS.Instance(context.Background(), "app5ec7032")
	if err != nil || in.Class != "db.t3.medium" || in.Deferred() {
		t.Fatalf("the change was not applied: class %s, pending %+v, %v\n%s", in.Class, in.Pending, err, r.text())
	}
	if !strings.Contains(r.text(), "applied the changes: instance class db.t3.small → db.t3.medium") {
		t.Errorf("the run does not say the change was applied\n%s", r.text())
	}
}
