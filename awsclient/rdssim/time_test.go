package rdssim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/datalayer-tool/datalayer/clock"
)

// futureByDesign are the elements whose dates AWS itself reports ahead of
// now: when a pending maintenance action will be applied.
var futureByDesign = map[string]bool{"AutoAppliedAfterDate": true, "ForcedApplyDate": true, "CurrentApplyDate": true}

var timestampElement = regexp.MustCompile(`<(\w+)>(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)</`)

// wallCheck serves a simulator and checks every answer as it leaves: no
// timestamp in it may be after its client's now (the clock's reading once
// the answer is written).
type wallCheck struct {
	h   http.Handler
	clk clock.Clock

	mu      sync.Mutex
	checked int
	late    []string
}

func (c *wallCheck) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, r)
	now := c.clk.Now()
	body := rec.Body.Bytes()
	c.mu.Lock()
	for _, m := range timestampElement.FindAllSubmatch(body, -1) {
		at, err := time.Parse(time.RFC3339Nano, string(m[2]))
		if err != nil {
			c.late = append(c.late, fmt.Sprintf("unparsable %s %s", m[1], m[2]))
			continue
		}
		c.checked++
		if !futureByDesign[string(m[1])] && at.After(now) {
			c.late = append(c.late, fmt.Sprintf("%s %s is after the client's now %s", m[1], m[2], now.Format(time.RFC3339Nano)))
		}
	}
	c.mu.Unlock()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}

// verify fails the test if any answer reported a time after now, or if
// nothing was checked at all.
func (c *wallCheck) verify(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.checked == 0 {
		t.Fatal("no timestamp went over the wire: the check checked nothing")
	}
	for _, l := range c.late {
		t.Error(l)
	}
}

// wallEnv serves a simulator on clk behind a wallCheck, with the real SDK.
func wallEnv(t *testing.T, clk clock.Clock) (*wallCheck, string, *rds.Client) {
	t.Helper()
	s := must(New(Options{Clock: clk}))
	check := &wallCheck{h: s, clk: clk}
	srv := httptest.NewServer(check)
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region: "eu-west-2", Credentials: credentials.NewStaticCredentialsProvider("AKIDTESTWALL00000001", "secret", ""),
		Retryer: fastRetryer(3), HTTPClient: srv.Client(),
	}
	return check, srv.URL, rds.NewFromConfig(cfg, func(o *rds.Options) { o.BaseEndpoint = aws.String(srv.URL) })
}

// TestDurationsShrinkClocksDoNot plays the world 60 times faster on a
// manual clock: each operation reaches its next state after its AWS
// duration divided by 60 of the clock's instants, not before, and reports
// times on that clock — never ahead of it.
func TestDurationsShrinkClocksDoNot(t *testing.T) {
	const speed = 60
	clk := clock.NewManualSpeed(t0, speed)
	check, _, c := wallEnv(t, clk)
	ctx := context.Background()
	wall := func(d time.Duration) time.Duration { return clock.Speed(speed).RealTime(d) }
	status := func(id string) string {
		out, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
		if err != nil {
			return "error: " + err.Error()
		}
		return aws.ToString(out.DBInstances[0].DBInstanceStatus)
	}
	snapStatus := func(id string) string {
		out, err := c.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(id)})
		if err != nil {
			return "error: " + err.Error()
		}
		return aws.ToString(out.DBSnapshots[0].Status)
	}
	tests := []struct {
		name  string
		start func() error
		after time.Duration // AWS time until the state is reached
		state func() string
		want  string
	}{
		{"restore creates for 5 minutes", func() error {
			_, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{
				DBInstanceIdentifier: aws.String("restored"), DBSnapshotIdentifier: aws.String("after-postgres-update-167"),
			})
			return err
		}, CreateDuration, func() string { return status("restored") }, "backing-up"},
		{"then backs up for 2", func() error { return nil }, InitialBackup, func() string { return status("restored") }, "available"},
		{"a manual snapshot takes 3", func() error {
			_, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("restored"), DBSnapshotIdentifier: aws.String("check")})
			return err
		}, SnapshotDuration, func() string { return snapStatus("check") }, "available"},
		{"a rename is done after 3", func() error {
			_, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
				DBInstanceIdentifier: aws.String("restored"), NewDBInstanceIdentifier: aws.String("renamed"), ApplyImmediately: aws.Bool(true),
			})
			return err
		}, RenameDone, func() string { return status("renamed") }, "available"},
	}
	for _, tt := range tests {
		if err := tt.start(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		// A second short of the shrunk duration nothing has happened yet.
		clk.Advance(wall(tt.after) - time.Second)
		if got := tt.state(); got == tt.want {
			t.Fatalf("%s: already %s a second before %v of the clock (%v of AWS time at %gx)", tt.name, got, wall(tt.after), tt.after, float64(speed))
		}
		clk.Advance(time.Second)
		if got := tt.state(); got != tt.want {
			t.Fatalf("%s: %s after %v of the clock, want %s", tt.name, got, wall(tt.after), tt.want)
		}
	}
	// The restore's events are where a client's own window finds them.
	restored := t0.Add(wall(CreateDuration))
	out, err := c.DescribeEvents(ctx, &rds.DescribeEventsInput{
		SourceType: types.SourceTypeDbInstance, SourceIdentifier: aws.String("restored"),
		StartTime: aws.Time(t0), EndTime: aws.Time(clk.Now()),
	})
	if err != nil {
		t.Fatal(err)
	}
	var at time.Time
	for _, e := range out.Events {
		if id := IdentifyEvent(aws.ToString(e.Message)); id == "RDS-EVENT-0043" {
			at = aws.ToTime(e.Date)
		}
	}
	if !at.Equal(restored) {
		t.Fatalf("the restore's RDS-EVENT-0043 is dated %v, want %v (5 AWS minutes at 60x after %v); events: %v", at, restored, t0, out.Events)
	}
	in := must(c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("renamed")})).DBInstances[0]
	if got := aws.ToTime(in.InstanceCreateTime); !got.Equal(restored) {
		t.Fatalf("InstanceCreateTime %v, want %v", got, restored)
	}
	check.verify(t)
}

// TestTimeOnTheWire runs the simulator at --speed 600 on the wall clock,
// restores an instance and waits for it as a client would, then asks for
// the instance's events within the client's own time window, through the
// real SDK and through the official AWS CLI: both find the restore's
// events. No answer reported a time after the wall clock's now.
func TestTimeOnTheWire(t *testing.T) {
	const cli = "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("the AWS CLI v2 is missing at %s (%v): scripts/test.sh installs it (apt-get install -y awscli)", cli, err)
	}
	check, url, c := wallEnv(t, clock.NewWall(600))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The client's own window: from its now before the restore (to the
	// second, as a person types it) to its now once the instance is ready.
	start := time.Now().UTC().Truncate(time.Second)
	if _, err := c.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{
		DBInstanceIdentifier: aws.String("restored"), DBSnapshotIdentifier: aws.String("after-postgres-update-167"),
	}); err != nil {
		t.Fatal(err)
	}
	for {
		out, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("restored")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.DBInstances[0].DBInstanceStatus) == "available" {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the restore never became available")
		case <-time.After(20 * time.Millisecond):
		}
	}
	end := time.Now().UTC().Add(time.Second).Truncate(time.Second)
	want := []string{"RDS-EVENT-0043", "RDS-EVENT-0001", "RDS-EVENT-0002"}

	out, err := c.DescribeEvents(ctx, &rds.DescribeEventsInput{
		SourceType: types.SourceTypeDbInstance, SourceIdentifier: aws.String("restored"),
		StartTime: aws.Time(start), EndTime: aws.Time(end),
	})
	if err != nil {
		t.Fatal(err)
	}
	var sdkIDs []string
	for _, e := range out.Events {
		id := IdentifyEvent(aws.ToString(e.Message))
		sdkIDs = append(sdkIDs, id)
	}
	for _, id := range want {
		if !slices.Contains(sdkIDs, id) {
			t.Errorf("SDK: describe-events from %v to %v lacks %s: %v", start, end, id, sdkIDs)
		}
	}

	work := t.TempDir()
	cmd := exec.CommandContext(ctx, cli, "--endpoint-url", url, "--region", "eu-west-2", "--output", "json",
		"rds", "describe-events", "--source-type", "db-instance", "--source-identifier", "restored",
		"--start-time", start.Format(time.RFC3339), "--end-time", end.Format(time.RFC3339))
	// Dummy keys and no user configuration, as scripts/awscli-conformance.sh.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "AWS_")
	})
	cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID=AKIDTESTWALL00000002", "AWS_SECRET_ACCESS_KEY=dummy",
		"AWS_CONFIG_FILE="+work+"/none", "AWS_SHARED_CREDENTIALS_FILE="+work+"/none", "AWS_PAGER=")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("aws rds describe-events: %v\n%s%s", err, raw, stderr.String())
	}
	var cliOut struct {
		Events []struct{ Message string }
	}
	if err := json.Unmarshal(raw, &cliOut); err != nil {
		t.Fatalf("aws rds describe-events printed %s: %v", raw, err)
	}
	var cliIDs []string
	for _, e := range cliOut.Events {
		id := IdentifyEvent(e.Message)
		cliIDs = append(cliIDs, id)
	}
	for _, id := range want {
		if !slices.Contains(cliIDs, id) {
			t.Errorf("AWS CLI: describe-events --start-time %s --end-time %s lacks %s: %s", start.Format(time.RFC3339), end.Format(time.RFC3339), id, raw)
		}
	}
	check.verify(t)
}
