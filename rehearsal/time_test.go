package rehearsal

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// TestRehearsalTimeOnTheWire rehearses a Pulumi restore at --speed 600.
// The restore's `up` lasts its AWS duration in the step timings (what a real
// run shows as expected), while the wall clock moved a fraction of it; a
// client's own time window around now finds the new instance's events; and
// nothing the journal, the request log or the simulator recorded is after
// the wall clock.
func TestRehearsalTimeOnTheWire(t *testing.T) {
	before := time.Now()
	r := runHeadless(t, engine.Options{Runbook: "restore", Yes: true, Speed: 600, Flags: map[string]string{"method": "pulumi", "lost": "whole", "app-deploy": "up"}}, nil)
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	now := time.Now()
	var upStarted, upFinished time.Time
	var upTook time.Duration
	for _, e := range r.events {
		if e.Time.After(now) || e.Time.Before(before) {
			t.Errorf("event %s %s at %v, outside the wall-clock run [%v, %v]", e.Type, e.StepID, e.Time, before, now)
		}
		if e.StepID == "up" && e.Type == engine.EventStepStarted {
			upStarted = e.Time
		}
		if e.StepID == "up" && e.Type == engine.EventStepFinished {
			upFinished, upTook = e.Time, e.Elapsed
		}
	}
	// The replacement creates the instance (5 AWS minutes) and backs it up
	// (2) before Pulumi calls the create done.
	if aws := rdssim.CreateDuration + rdssim.InitialBackup; upTook < aws {
		t.Errorf("up took %v in the step timings, want at least the %v it takes on AWS", upTook, aws)
	}
	if wall := upFinished.Sub(upStarted); wall <= 0 || wall > upTook/10 {
		t.Errorf("up took %v of wall time for %v of AWS time at 600x", wall, upTook)
	}
	b, err := os.ReadFile(filepath.Join(r.world.Options.StateDir, "timings", "restore.rehearsal.json"))
	if err != nil {
		t.Fatalf("no saved timings: %v", err)
	}
	var saved engine.Timings
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatal(err)
	}
	if saved.Steps["up"] != upTook {
		t.Errorf("saved timing of up %v, want %v (AWS time)", saved.Steps["up"], upTook)
	}

	newID, _ := r.run.Var("new-instance")
	client := pulumiclient.NewSimRDSClient(r.world.URL, "eu-west-2")
	out, err := client.DescribeEvents(context.Background(), &rds.DescribeEventsInput{
		SourceType: rdstypes.SourceTypeDbInstance, SourceIdentifier: aws.String(newID),
		StartTime: aws.Time(before), EndTime: aws.Time(time.Now()),
	})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range out.Events {
		if rdssim.IdentifyEvent(aws.ToString(e.Message)) == "RDS-EVENT-0043" {
			found = true
		}
		if aws.ToTime(e.Date).After(time.Now()) {
			t.Errorf("event %q dated %v, after now", aws.ToString(e.Message), aws.ToTime(e.Date))
		}
	}
	if !found {
		t.Errorf("no restore event for %s between the run's start and now: %v", newID, out.Events)
	}
	log, err := os.ReadFile(filepath.Join(r.world.Dir, reqFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(log)), "\n") {
		at, err := time.Parse(time.RFC3339, strings.Fields(l)[0])
		if err != nil || at.After(time.Now()) || at.Before(before.Truncate(time.Second)) {
			t.Errorf("request log line %q: not a wall-clock time of the run (%v)", l, err)
		}
	}
}

// TestOpenRefusesAWorldWithAClockAhead: a world saved before time stayed on
// the wall clock holds instants ahead of it; reopening it is refused with
// what to do instead, not silently run with times in the future.
func TestOpenRefusesAWorldWithAClockAhead(t *testing.T) {
	dir := t.TempDir()
	o := engine.Options{Runbook: "deploy", Yes: true, Speed: 600, StateDir: dir}
	_, w, err := Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	metaPath := filepath.Join(w.Dir, metaFile)
	b, err := os.ReadFile(metaPath)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "clock")
	b, _ = json.Marshal(m)
	if err := os.WriteFile(metaPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), w.Dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "older datalayer") || !strings.Contains(err.Error(), "datalayer rehearse") {
		t.Fatalf("Open of an old world = %v, want a refusal naming what to do", err)
	}
}
