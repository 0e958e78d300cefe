package awsclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/clock"
)

// t0 is the simulated "now" every test starts at.
var t0 = time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)

const app = rdssim.DefaultInstanceID

// env is one simulator behind a real HTTP server, and the real SDK client
// pointed at it.
type env struct {
	sim *rdssim.Sim
	clk clock.Clock
	srv *httptest.Server
	cfg aws.Config
	c   *awsclient.Client
	raw *rds.Client // for what the runbooks leave to Pulumi (upgrade, delete)
}

// fastRetry is the SDK's standard retryer with 1 ms waits and no client-side
// retry quota, so fault scenarios run fast.
func fastRetry(attempts int) awsclient.Option {
	return awsclient.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
			o.RateLimiter = ratelimit.None
		})
	})
}

func staticConfig(key string) aws.Config {
	return aws.Config{Region: "eu-west-2", Credentials: credentials.NewStaticCredentialsProvider(key, "secret", "")}
}

func newEnvClock(t testing.TB, scenario string, clk clock.Clock, opts ...awsclient.Option) *env {
	t.Helper()
	sim, err := rdssim.New(rdssim.Options{Clock: clk, Scenario: scenario})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg := staticConfig("AKIDSIMTEST")
	all := append([]awsclient.Option{
		awsclient.WithEndpoint(srv.URL), awsclient.WithClock(clk), fastRetry(5),
		awsclient.WithWaiterDelay(10*time.Millisecond, 50*time.Millisecond),
		awsclient.WithRenameBackoff(awsclient.RenameBackoff{First: 10 * time.Second, Max: 40 * time.Second, Tick: 5 * time.Second, Poll: 5 * time.Second}),
	}, opts...)
	raw := rds.NewFromConfig(cfg, func(o *rds.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.Retryer = retry.AddWithMaxAttempts(o.Retryer, 10)
	})
	return &env{sim: sim, clk: clk, srv: srv, cfg: cfg, c: awsclient.New(cfg, all...), raw: raw}
}

func newEnv(t testing.TB, scenario string, opts ...awsclient.Option) (*env, *clock.Manual) {
	clk := clock.NewManual(t0)
	return newEnvClock(t, scenario, clk, opts...), clk
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// driveClock advances a manual clock by step whenever something waits on it,
// until stop is closed; it lets code that sleeps on the clock run to the end.
func driveClock(clk *clock.Manual, step time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			if clk.Waiters() > 0 {
				clk.Advance(step)
			} else {
				time.Sleep(50 * time.Microsecond)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func TestIdentity(t *testing.T) {
	tests := []struct {
		scenario string
		arn      string
	}{
		{"default", "arn:aws:iam::123456789012:user/planx-staging-pulumi"},
		{"wrong-profile", "arn:aws:iam::123456789012:user/docker-user"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			e, _ := newEnv(t, tt.scenario)
			id, err := e.c.Identity(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			want := awsclient.Identity{Account: "123456789012", ARN: tt.arn, UserID: id.UserID, CredentialSource: "StaticCredentials",
				Region: "eu-west-2", Endpoint: e.srv.URL}
			if id != want || !strings.HasPrefix(id.UserID, "AIDA") {
				t.Errorf("Identity = %+v, want %+v", id, want)
			}
		})
	}
}

// TestLoad checks that the SDK's own settings reach the client: endpoint
// variables, env keys versus a profile, and which source won.
func TestLoad(t *testing.T) {
	e, _ := newEnv(t, "default")
	dir := t.TempDir()
	credFile := filepath.Join(dir, "credentials")
	cfgFile := filepath.Join(dir, "config")
	if err := os.WriteFile(credFile, []byte("[planx-staging-pulumi]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgFile, []byte("[profile planx-staging-pulumi]\nregion = eu-west-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		env        map[string]string
		lo         awsclient.LoadOptions
		source     string
		profile    string
		errKind    awsclient.Kind
		errContain string
	}{
		{name: "env keys and AWS_ENDPOINT_URL", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s",
			"AWS_REGION": "eu-west-2", "AWS_ENDPOINT_URL": e.srv.URL}, source: "EnvConfigCredentials"},
		{name: "env keys win over AWS_PROFILE, profile still reported", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s",
			"AWS_PROFILE": "planx-staging-pulumi", "AWS_ENDPOINT_URL_RDS": e.srv.URL, "AWS_ENDPOINT_URL_STS": e.srv.URL},
			source: "EnvConfigCredentials", profile: "planx-staging-pulumi"},
		{name: "profile from AWS_PROFILE", env: map[string]string{"AWS_PROFILE": "planx-staging-pulumi", "AWS_ENDPOINT_URL": e.srv.URL},
			source: "SharedConfigCredentials: " + credFile, profile: "planx-staging-pulumi"},
		{name: "profile given in code beats env keys", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s"},
			lo: awsclient.LoadOptions{Profile: "planx-staging-pulumi", Endpoint: e.srv.URL}, source: "SharedConfigCredentials: " + credFile, profile: "planx-staging-pulumi"},
		{name: "unknown profile", lo: awsclient.LoadOptions{Profile: "nope"}, errKind: awsclient.KindInvalidInput, errContain: `profile "nope" does not exist`},
		{name: "no region", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s"}, errKind: awsclient.KindInvalidInput, errContain: "set AWS_REGION"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
				"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_RDS", "AWS_ENDPOINT_URL_STS"} {
				t.Setenv(k, "")
				os.Unsetenv(k)
			}
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credFile)
			t.Setenv("AWS_CONFIG_FILE", cfgFile)
			t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := awsclient.Load(ctx(t), tt.lo, fastRetry(2))
			if tt.errContain != "" {
				if err == nil || awsclient.KindOf(err) != tt.errKind || !strings.Contains(err.Error(), tt.errContain) {
					t.Fatalf("Load error = %v, want %v containing %q", err, tt.errKind, tt.errContain)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			id, err := c.Identity(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if id.CredentialSource != tt.source || id.Profile != tt.profile || id.Endpoint != e.srv.URL || id.Region != "eu-west-2" ||
				id.ARN != "arn:aws:iam::123456789012:user/planx-staging-pulumi" {
				t.Errorf("Identity = %+v, want source %q, profile %q, endpoint %s", id, tt.source, tt.profile, e.srv.URL)
			}
			if _, err := c.Instance(ctx(t), app); err != nil {
				t.Errorf("RDS through the loaded config: %v", err)
			}
		})
	}
}

func TestInstance(t *testing.T) {
	e, _ := newEnv(t, "default")
	in, err := e.c.Instance(ctx(t), app)
	if err != nil {
		t.Fatal(err)
	}
	want := awsclient.Instance{
		ID: app, ResourceID: in.ResourceID, ARN: "arn:aws:rds:eu-west-2:123456789012:db:app5ec7032", Status: "available",
		Engine: "postgres", EngineVersion: "16.13", Class: "db.t3.small", AllocatedStorage: 20, StorageType: "gp3",
		StorageEncrypted: true, PubliclyAccessible: true, ParameterGroup: "postgres16-force-ssl-off", ParameterApplyStatus: "in-sync",
		SecurityGroups: []string{"sg-0a1b2c3d4e5f60718"}, SubnetGroup: "data-db-subnet-group-3f9a1c2", OptionGroup: "default:postgres-16",
		Address: "app5ec7032.c9akciq32x1z.eu-west-2.rds.amazonaws.com", Port: 5432, AvailabilityZone: "eu-west-2a",
		BackupRetention: 1, MaintenanceWindow: "mon:00:00-mon:03:00", Created: in.Created, LatestRestorable: t0.Add(-5 * time.Minute), Tags: map[string]string{"Name": "app"},
	}
	if fmt.Sprintf("%+v", in) != fmt.Sprintf("%+v", want) {
		t.Errorf("Instance =\n%+v\nwant\n%+v", in, want)
	}
	if len(in.ResourceID) != 29 || !strings.HasPrefix(in.ResourceID, "db-") || in.Created.IsZero() || !in.Pending.Empty() {
		t.Errorf("resource id %q, created %v, pending %+v", in.ResourceID, in.Created, in.Pending)
	}
	for _, ref := range []string{in.ARN, in.ResourceID} {
		// Newer Pulumi providers keep the resource id as the instance's id.
		got, err := e.c.Instance(ctx(t), ref)
		if err != nil || got.ID != app {
			t.Errorf("Instance(%s) = %v, %v", ref, got.ID, err)
		}
	}

	_, err = e.c.Instance(ctx(t), "app0000000")
	if !errors.Is(err, awsclient.ErrNotFound) || !strings.Contains(err.Error(), "DBInstance app0000000 not found") {
		t.Errorf("missing instance: %v", err)
	}
	before := e.sim.Requests()
	_, err = e.c.Instance(ctx(t), "app_5ec7032")
	if !errors.Is(err, awsclient.ErrInvalidInput) || e.sim.Requests() != before {
		t.Errorf("bad identifier: %v, and %d requests were sent", err, e.sim.Requests()-before)
	}
}

// addInstances adds n copies of the app instance to the world.
func addInstances(e *env, n int) {
	e.sim.Mutate(func(w *rdssim.World) {
		src := w.Instance(app)
		for i := 0; i < n; i++ {
			cp := *src
			cp.ID = fmt.Sprintf("extra%03d", i)
			cp.ResourceID = fmt.Sprintf("db-EXTRA%021d", i)
			cp.Transitions = nil
			w.Instances = append(w.Instances, &cp)
		}
	})
}

func TestInstancesPaginates(t *testing.T) {
	e, _ := newEnv(t, "default")
	addInstances(e, 150)
	all, err := e.c.Instances(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 151 {
		t.Fatalf("Instances returned %d, want 151", len(all))
	}
	if got := e.sim.RequestCounts()["DescribeDBInstances"]; got != 2 {
		t.Errorf("DescribeDBInstances calls = %d, want 2 pages of 100", got)
	}
}

func TestSnapshots(t *testing.T) {
	e, _ := newEnv(t, "default")
	snaps, err := e.c.Snapshots(ctx(t), app)
	if err != nil {
		t.Fatal(err)
	}
	var manual, automated int
	for _, s := range snaps {
		switch s.Type {
		case "manual":
			manual++
		case "automated":
			automated++
			if !strings.HasPrefix(s.ID, "rds:app5ec7032-") {
				t.Errorf("automated snapshot named %q", s.ID)
			}
		}
		if s.Status != "available" || s.InstanceID != app || s.Created.IsZero() || s.EngineVersion == "" {
			t.Errorf("snapshot %+v", s)
		}
	}
	if manual != 2 || automated != 7 {
		t.Errorf("%d manual and %d automated snapshots, want 2 and 7", manual, automated)
	}
	if !sort.SliceIsSorted(snaps, func(i, j int) bool { return snaps[i].Created.After(snaps[j].Created) }) {
		t.Error("snapshots are not newest first")
	}
	if last := snaps[len(snaps)-1]; last.ID != "after-postgres-update-167" || last.EngineVersion != "16.7" {
		t.Errorf("oldest snapshot = %+v, want after-postgres-update-167 on 16.7", last)
	}
	one, err := e.c.Snapshot(ctx(t), snaps[0].ID)
	if err != nil || one.ID != snaps[0].ID || one.ARN == "" {
		t.Errorf("Snapshot(%s) = %+v, %v", snaps[0].ID, one, err)
	}
	if _, err := e.c.Snapshot(ctx(t), "no-such-snapshot"); !errors.Is(err, awsclient.ErrNotFound) {
		t.Errorf("missing snapshot: %v", err)
	}

	// A second page.
	e.sim.Mutate(func(w *rdssim.World) {
		src := w.Snapshot("after-postgres-update-167")
		for i := 0; i < 120; i++ {
			cp := *src
			cp.ID = fmt.Sprintf("bulk-%03d", i)
			cp.Created = t0.Add(-time.Duration(i+1) * 24 * time.Hour * 30)
			w.Snapshots = append(w.Snapshots, &cp)
		}
	})
	before := e.sim.RequestCounts()["DescribeDBSnapshots"]
	snaps, err = e.c.Snapshots(ctx(t), app)
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 129 || e.sim.RequestCounts()["DescribeDBSnapshots"]-before != 2 {
		t.Errorf("%d snapshots in %d calls, want 129 in 2", len(snaps), e.sim.RequestCounts()["DescribeDBSnapshots"]-before)
	}
	if !sort.SliceIsSorted(snaps, func(i, j int) bool { return snaps[i].Created.After(snaps[j].Created) }) {
		t.Error("snapshots over two pages are not newest first")
	}
}

func TestCreateSnapshot(t *testing.T) {
	e, clk := newEnv(t, "default")
	s, err := e.c.CreateSnapshot(ctx(t), app, "pre-restore-2026-11-25")
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != "creating" || s.Type != "manual" || s.InstanceID != app {
		t.Errorf("new snapshot = %+v", s)
	}
	clk.Advance(rdssim.SnapshotDuration)
	s, err = e.c.Snapshot(ctx(t), "pre-restore-2026-11-25")
	if err != nil || s.Status != "available" || s.PercentProgress != 100 {
		t.Errorf("after %s: %+v, %v", rdssim.SnapshotDuration, s, err)
	}
	snaps, _ := e.c.Snapshots(ctx(t), app)
	if snaps[0].ID != "pre-restore-2026-11-25" {
		t.Errorf("newest snapshot = %s", snaps[0].ID)
	}

	_, err = e.c.CreateSnapshot(ctx(t), app, "pre-restore-2026-11-25")
	if !errors.Is(err, awsclient.ErrAlreadyExists) {
		t.Errorf("same name again: %v", err)
	}
	before := e.sim.Requests()
	for _, bad := range []string{"pre--restore", "9pre", "pre-", "pre_restore"} {
		if _, err := e.c.CreateSnapshot(ctx(t), app, bad); !errors.Is(err, awsclient.ErrInvalidInput) {
			t.Errorf("CreateSnapshot(%q): %v", bad, err)
		}
	}
	if e.sim.Requests() != before {
		t.Error("invalid names reached AWS")
	}
}

func TestFinalSnapshotExists(t *testing.T) {
	e, _ := newEnv(t, "final-snapshot-exists")
	_, err := e.c.CreateSnapshot(ctx(t), app, "final-before-deletion")
	if !errors.Is(err, awsclient.ErrAlreadyExists) || !strings.Contains(err.Error(), "DBSnapshotAlreadyExists") ||
		!strings.Contains(err.Error(), "finalSnapshotIdentifier") {
		t.Errorf("err = %v", err)
	}
}

// settingsOf builds restore settings reproducing the app instance.
func settingsOf(t *testing.T, e *env, snapshot, newID string) awsclient.RestoreSettings {
	t.Helper()
	in, err := e.c.Instance(ctx(t), app)
	if err != nil {
		t.Fatal(err)
	}
	return awsclient.SettingsFrom(in, snapshot, newID)
}

func TestRestore(t *testing.T) {
	e, clk := newEnv(t, "default")
	s := settingsOf(t, e, "after-postgres-update-167", "app5ec7032-restored")
	in, err := e.c.Restore(ctx(t), s)
	if err != nil {
		t.Fatal(err)
	}
	if in.ID != "app5ec7032-restored" || in.Status != "creating" {
		t.Errorf("restore answered %s %s", in.ID, in.Status)
	}
	clk.Advance(rdssim.CreateDuration + rdssim.InitialBackup)
	in, err = e.c.Instance(ctx(t), "app5ec7032-restored")
	if err != nil || in.Status != "available" {
		t.Fatalf("after 7 minutes: %s, %v", in.Status, err)
	}
	if d := awsclient.Compare(s, in); len(d) != 0 {
		t.Errorf("restored instance differs from its settings: %v", d)
	}
	// What a restore cannot carry over shows up against the original.
	orig, _ := e.c.Instance(ctx(t), app)
	got := awsclient.CompareInstances(orig, in)
	want := []awsclient.Difference{
		{Field: "EngineVersion", Want: "16.13", Got: "16.7"},
		{Field: "PreferredMaintenanceWindow", Want: "mon:00:00-mon:03:00", Got: in.MaintenanceWindow},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("CompareInstances(original, restored) = %v, want %v", got, want)
	}

	tests := []struct {
		name     string
		change   func(*awsclient.RestoreSettings)
		kind     awsclient.Kind
		contains string
		sent     bool // whether the request reaches AWS
	}{
		{"no parameter group", func(s *awsclient.RestoreSettings) { s.ParameterGroup = "" }, awsclient.KindInvalidInput, "leave out parameter group", false},
		{"no security groups", func(s *awsclient.RestoreSettings) { s.SecurityGroups = nil }, awsclient.KindInvalidInput, "security groups", false},
		{"group by name", func(s *awsclient.RestoreSettings) { s.SecurityGroups = []string{"db-sg-6a1e0f2"} }, awsclient.KindInvalidInput, "not a VPC security group id", false},
		{"bad new id", func(s *awsclient.RestoreSettings) { s.InstanceID = "app--new" }, awsclient.KindInvalidInput, "two hyphens", false},
		{"name taken", func(s *awsclient.RestoreSettings) { s.InstanceID = app }, awsclient.KindAlreadyExists, "DBInstanceAlreadyExists", true},
		{"no such snapshot", func(s *awsclient.RestoreSettings) { s.SnapshotID = "nope-snapshot" }, awsclient.KindNotFound, "DBSnapshotNotFound", true},
		{"no such parameter group", func(s *awsclient.RestoreSettings) { s.ParameterGroup = "postgres16-nope" }, awsclient.KindNotFound, "parameter group does not exist", true},
		{"bad class", func(s *awsclient.RestoreSettings) { s.Class = "db.bogus" }, awsclient.KindInvalidInput, "db.bogus", true},
		{"no such subnet group", func(s *awsclient.RestoreSettings) { s.SubnetGroup = "nope-subnets" }, awsclient.KindNotFound, "subnet group does not exist", true},
		{"bad storage type", func(s *awsclient.RestoreSettings) { s.StorageType = "floppy" }, awsclient.KindInvalidInput, "floppy", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := settingsOf(t, e, "after-postgres-update-167", "app5ec7032-second")
			tt.change(&s)
			before := e.sim.Requests()
			_, err := e.c.Restore(ctx(t), s)
			if awsclient.KindOf(err) != tt.kind || !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("err = %v, want %v containing %q", err, tt.kind, tt.contains)
			}
			if sent := e.sim.Requests() > before; sent != tt.sent {
				t.Errorf("request sent = %v, want %v", sent, tt.sent)
			}
		})
	}
}

func TestRestoreIncompatibleParameters(t *testing.T) {
	e, clk := newEnv(t, "restore-incompatible-parameters")
	_, err := e.c.Restore(ctx(t), settingsOf(t, e, "after-postgres-update-167", "app5ec7032-restored"))
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(rdssim.CreateDuration)
	_, err = e.c.WaitAvailable(ctx(t), "app5ec7032-restored", time.Minute)
	if !errors.Is(err, awsclient.ErrInvalidState) || !strings.Contains(err.Error(), "wait ended without success") {
		t.Errorf("WaitAvailable = %v, want an invalid-state error", err)
	}
	in, _ := e.c.Instance(ctx(t), "app5ec7032-restored")
	if in.Status != "incompatible-parameters" {
		t.Errorf("status = %s", in.Status)
	}
	evs, err := e.c.Events(ctx(t), "app5ec7032-restored", t0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(evs, func(ev awsclient.Event) bool { return strings.Contains(ev.Message, "incompatible-parameters") }) {
		t.Errorf("no incompatible-parameters event in %v", evs)
	}
}

// TestWaiters runs the SDK's waiters against a simulator playing AWS
// durations 2000 times faster (a 7-minute restore takes about 0.2 s); the
// waiters' delays and limits, in AWS time, shrink with the clock.
func TestWaiters(t *testing.T) {
	e := newEnvClock(t, "default", clock.NewWall(2000), awsclient.WithWaiterDelay(30*time.Second, 2*time.Minute))
	_, err := e.c.Restore(ctx(t), settingsOf(t, e, "after-postgres-update-167", "app5ec7032-restored"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := e.c.WaitAvailable(ctx(t), "app5ec7032-restored", time.Hour)
	if err != nil || in.Status != "available" {
		t.Fatalf("WaitAvailable = %s, %v", in.Status, err)
	}
	if _, err := e.c.CreateSnapshot(ctx(t), "app5ec7032-restored", "restored-check"); err != nil {
		t.Fatal(err)
	}
	s, err := e.c.WaitSnapshotAvailable(ctx(t), "restored-check", time.Hour)
	if err != nil || s.Status != "available" {
		t.Fatalf("WaitSnapshotAvailable = %s, %v", s.Status, err)
	}
	if _, err := e.raw.DeleteDBInstance(ctx(t), &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("app5ec7032-restored"), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if err := e.c.WaitDeleted(ctx(t), "app5ec7032-restored", time.Hour); err != nil {
		t.Fatalf("WaitDeleted = %v", err)
	}
	if _, err := e.c.WaitAvailable(ctx(t), "app5ec7032-restored", time.Hour); !errors.Is(err, awsclient.ErrNotFound) {
		t.Errorf("WaitAvailable on a deleted instance = %v", err)
	}
}

func TestRename(t *testing.T) {
	e, clk := newEnv(t, "default")
	orig, _ := e.c.Instance(ctx(t), app)
	var progress []awsclient.RenameProgress
	stop := driveClock(clk, time.Second)
	in, err := e.c.Rename(ctx(t), app, app+"-original", func(p awsclient.RenameProgress) { progress = append(progress, p) })
	stop()
	if err != nil {
		t.Fatal(err)
	}
	if in.ID != app+"-original" || in.ResourceID != orig.ResourceID {
		t.Errorf("renamed instance = %s (%s)", in.ID, in.ResourceID)
	}
	if len(progress) == 0 {
		t.Fatal("no progress while neither name answered")
	}
	for _, p := range progress {
		if p.Phase != awsclient.RenameWaitingForName || !errors.Is(p.Err, awsclient.ErrNotFound) {
			t.Errorf("progress %+v, want waiting-for-name with a not-found", p)
		}
	}
	if _, err := e.c.Instance(ctx(t), app); !errors.Is(err, awsclient.ErrNotFound) {
		t.Errorf("old name still answers: %v", err)
	}
	before := e.sim.Requests()
	for _, tt := range []struct{ old, new string }{{app, app}, {app, "x--y"}, {"", "x"}} {
		if _, err := e.c.Rename(ctx(t), tt.old, tt.new, nil); !errors.Is(err, awsclient.ErrInvalidInput) {
			t.Errorf("Rename(%q, %q) = %v", tt.old, tt.new, err)
		}
	}
	if e.sim.Requests() != before {
		t.Error("invalid renames reached AWS")
	}
	if _, err := e.c.Rename(ctx(t), "app0000000", "app0000001", nil); !errors.Is(err, awsclient.ErrNotFound) {
		t.Errorf("renaming a missing instance: %v", err)
	}
	if n := e.sim.RequestCounts()["ModifyDBInstance"]; n != 1 {
		t.Errorf("%d ModifyDBInstance calls, want only the one rename that happened", n)
	}
	// The renamed instance is still rebooting: AWS refuses another change.
	if _, err := e.c.Rename(ctx(t), app+"-original", app+"-again", nil); !errors.Is(err, awsclient.ErrInvalidState) {
		t.Errorf("renaming a busy instance: %v", err)
	}
}

// TestRenameRefused plays the console restore: restore, rename the old
// instance away, then give the restored one the old name while AWS still
// refuses it: a few minutes in the default world, as the runbook says, longer
// in rename-refused.
func TestRenameRefused(t *testing.T) {
	for _, tt := range []struct {
		scenario string
		reserve  time.Duration
	}{{"default", rdssim.RenameReserve}, {"rename-refused", rdssim.RenameReserveLong}} {
		t.Run(tt.scenario, func(t *testing.T) { testRenameRefused(t, tt.scenario, tt.reserve) })
	}
}

func testRenameRefused(t *testing.T, scenario string, reserve time.Duration) {
	e, clk := newEnv(t, scenario)
	restored, err := e.c.Restore(ctx(t), settingsOf(t, e, "pre-release-"+t0.AddDate(0, 0, -3).Add(-2*time.Hour).Format("2006-01-02"), "app5ec7032-restored"))
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(rdssim.CreateDuration + rdssim.InitialBackup)
	stop := driveClock(clk, time.Second)
	defer stop()
	if _, err := e.c.Rename(ctx(t), app, app+"-original", nil); err != nil {
		t.Fatal(err)
	}
	var progress []awsclient.RenameProgress
	start := clk.Now()
	in, err := e.c.Rename(ctx(t), "app5ec7032-restored", app, func(p awsclient.RenameProgress) { progress = append(progress, p) })
	if err != nil {
		t.Fatal(err)
	}
	if in.ID != app || in.ResourceID != restored.ResourceID {
		t.Errorf("now %s is %s, want the restored instance %s", app, in.ResourceID, restored.ResourceID)
	}
	if waited := clk.Since(start); waited < reserve-time.Minute || waited > reserve+3*time.Minute {
		t.Errorf("rename went through after %s, want about the %s reservation", waited, reserve)
	}
	var refused, attempts int
	var countdown []time.Duration
	for _, p := range progress {
		if p.Phase == awsclient.RenameRefused {
			refused++
			if !errors.Is(p.Err, awsclient.ErrAlreadyExists) {
				t.Errorf("refusal error %v", p.Err)
			}
			attempts = max(attempts, p.Attempt)
			if p.Attempt == 1 {
				countdown = append(countdown, p.NextTry)
			}
		}
	}
	if attempts < 3 {
		t.Errorf("%d refused attempts, want several", attempts)
	}
	if want := []time.Duration{10 * time.Second, 5 * time.Second}; !slices.Equal(countdown, want) {
		t.Errorf("countdown of the first wait = %v, want %v", countdown, want)
	}
	if progress[len(progress)-1].Phase != awsclient.RenameWaitingForName {
		t.Errorf("last progress %+v, want waiting for the name", progress[len(progress)-1])
	}
}

func TestRenameGivesUp(t *testing.T) {
	e, clk := newEnv(t, "rename-refused", awsclient.WithRenameBackoff(awsclient.RenameBackoff{First: 30 * time.Second, Max: time.Minute, GiveUp: 2 * time.Minute, Tick: -1}))
	addInstances(e, 1)
	stop := driveClock(clk, time.Second)
	defer stop()
	_, err := e.c.Rename(ctx(t), "extra000", app, nil)
	if !errors.Is(err, awsclient.ErrAlreadyExists) || !strings.Contains(err.Error(), "still after") || !strings.Contains(err.Error(), "datalayer resume") {
		t.Errorf("err = %v", err)
	}
}

func TestUpgradeTargets(t *testing.T) {
	e, _ := newEnv(t, "default")
	tests := []struct {
		version      string
		major, minor []string
	}{
		{"16.13", []string{"17.6", "17.7"}, nil},
		{"16.11", []string{"17.2", "17.3", "17.4", "17.5"}, []string{"16.12", "16.13"}},
		{"17.7", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			ts, err := e.c.UpgradeTargets(ctx(t), "postgres", tt.version)
			if err != nil {
				t.Fatal(err)
			}
			major, minor := awsclient.SplitTargets(ts)
			versions := func(ts []awsclient.UpgradeTarget) []string {
				var out []string
				for _, t := range ts {
					out = append(out, t.Version)
				}
				return out
			}
			if !slices.Equal(versions(major), tt.major) || !slices.Equal(versions(minor), tt.minor) {
				t.Errorf("major %v minor %v, want %v and %v", versions(major), versions(minor), tt.major, tt.minor)
			}
		})
	}
	if _, err := e.c.UpgradeTargets(ctx(t), "postgres", "16.99"); !errors.Is(err, awsclient.ErrNotFound) {
		t.Errorf("unknown version: %v", err)
	}
	if _, err := e.c.UpgradeTargets(ctx(t), "", "16.13"); !errors.Is(err, awsclient.ErrInvalidInput) {
		t.Errorf("no engine: %v", err)
	}
}

// TestUpgradePrecheckFails: with maintenance pending, an upgrade emits
// RDS-EVENT-0158 and leaves the version; applying the maintenance clears it.
func TestUpgradePrecheckFails(t *testing.T) {
	e, clk := newEnv(t, "upgrade-precheck-fails")
	in, _ := e.c.Instance(ctx(t), app)
	pending, err := e.c.PendingMaintenance(ctx(t), in.ARN)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 || pending[0].Action != "system-update" || pending[0].ResourceARN != in.ARN || pending[0].AutoAppliedAfter.IsZero() ||
		pending[1].Action != "hardware-maintenance" || pending[1].CurrentApply != pending[1].ForcedApply {
		t.Fatalf("pending = %+v", pending)
	}
	byID, err := e.c.PendingMaintenance(ctx(t), app)
	if err != nil || len(byID) != 2 {
		t.Errorf("by identifier: %+v, %v", byID, err)
	}

	_, err = e.raw.ModifyDBInstance(ctx(t), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(app), EngineVersion: aws.String("17.6"),
		AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true), DBParameterGroupName: aws.String("default.postgres17")})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(rdssim.UpgradeDuration + time.Minute)
	evs, err := e.c.Events(ctx(t), app, t0)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ev := range evs {
		ids = append(ids, ev.ID)
		if ev.ID == awsclient.EventUpgradeNotPossible && (!strings.Contains(ev.Message, "pg_upgrade") || !slices.Contains(ev.Categories, "failure")) {
			t.Errorf("0158 event = %+v", ev)
		}
	}
	if !slices.Contains(ids, awsclient.EventUpgradeNotPossible) || slices.Contains(ids, awsclient.EventUpgradeFinished) {
		t.Errorf("event ids %v: want RDS-EVENT-0158 and no RDS-EVENT-0268", ids)
	}
	if !sort.SliceIsSorted(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) }) {
		t.Error("events not oldest first")
	}
	if in, _ := e.c.Instance(ctx(t), app); in.EngineVersion != "16.13" || in.Status != "available" {
		t.Errorf("after the failed upgrade: %s %s", in.EngineVersion, in.Status)
	}

	if err := e.c.ApplyMaintenance(ctx(t), in.ARN, "system-update", "tonight"); !errors.Is(err, awsclient.ErrInvalidInput) {
		t.Errorf("bad opt-in: %v", err)
	}
	if err := e.c.ApplyMaintenance(ctx(t), in.ARN, "os-upgrade", awsclient.OptInImmediate); !errors.Is(err, awsclient.ErrInvalidInput) {
		t.Errorf("action not pending: %v", err)
	}
	for _, a := range pending {
		if err := e.c.ApplyMaintenance(ctx(t), in.ARN, a.Action, awsclient.OptInImmediate); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(2 * rdssim.MaintenanceDuration)
	if pending, err := e.c.PendingMaintenance(ctx(t), in.ARN); err != nil || len(pending) != 0 {
		t.Errorf("after applying: %+v, %v", pending, err)
	}
	if _, err := e.c.PendingMaintenance(ctx(t), "arn:aws:rds:eu-west-2:123456789012:db:nope"); !errors.Is(err, awsclient.ErrNotFound) {
		t.Errorf("unknown ARN: %v", err)
	}
}

func TestEvents(t *testing.T) {
	e, clk := newEnv(t, "default")
	evs, err := e.c.Events(ctx(t), app, t0.AddDate(0, 0, -8))
	if err != nil {
		t.Fatal(err)
	}
	backups := 0
	for _, ev := range evs {
		if ev.ID == "RDS-EVENT-0001" || ev.ID == "RDS-EVENT-0002" {
			backups++
		}
		if ev.SourceID != app || ev.SourceType != "db-instance" {
			t.Errorf("event %+v", ev)
		}
	}
	if backups != 14 {
		t.Errorf("%d backup events, want 14 (7 days, start and finish)", backups)
	}
	if _, err := e.c.Restore(ctx(t), settingsOf(t, e, "after-postgres-update-167", "app5ec7032-restored")); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Minute)
	evs, err = e.c.Events(ctx(t), "app5ec7032-restored", t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 || evs[0].ID != awsclient.EventRestoredFromSnap || !strings.HasSuffix(evs[0].Message, "after-postgres-update-167") {
		t.Errorf("events of the restored instance: %+v", evs)
	}
	if _, err := e.c.Events(ctx(t), "Bad_Id", t0); !errors.Is(err, awsclient.ErrInvalidInput) {
		t.Errorf("bad id: %v", err)
	}
}

// TestEventCatalogueMatchesSimulator: every event the simulator records is
// recognised with the same id from its message alone.
func TestEventCatalogueMatchesSimulator(t *testing.T) {
	for _, d := range rdssim.Catalogue() {
		if got := awsclient.EventID(d.Message + "details"); got != d.ID {
			t.Errorf("EventID(%q) = %q, want %q", d.Message, got, d.ID)
		}
	}
}

func TestThrottlingRetried(t *testing.T) {
	e, _ := newEnv(t, "throttling")
	for i := 0; i < 45; i++ {
		if _, err := e.c.Instance(ctx(t), app); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if e.sim.Requests() <= 45 || e.c.Requests() != e.sim.Requests() {
		t.Errorf("45 calls took %d requests (client counted %d); throttled and 5xx answers should have been retried",
			e.sim.Requests(), e.c.Requests())
	}
}

func TestFaultsBecomeTypedErrors(t *testing.T) {
	tests := []struct {
		scenario string
		calls    int // how many calls until the fault is hit
		kind     awsclient.Kind
		contains []string
	}{
		{"throttling", 15, awsclient.KindThrottled, []string{"Throttling", "12 requests/s"}},
		{"network-loss", 25, awsclient.KindNetwork, []string{"could not reach AWS"}},
		{"credentials-expire", 45, awsclient.KindCredentialsExpired, []string{"your AWS session expired", "aws sso login", "datalayer resume"}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			e, _ := newEnv(t, tt.scenario, fastRetry(1))
			var err error
			for i := 0; i < tt.calls && err == nil; i++ {
				_, err = e.c.Instance(ctx(t), app)
			}
			if awsclient.KindOf(err) != tt.kind {
				t.Fatalf("err = %v, want kind %v", err, tt.kind)
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q lacks %q", err, s)
				}
			}
		})
	}
}

func TestNetworkLossRetried(t *testing.T) {
	e, _ := newEnv(t, "network-loss", fastRetry(10))
	for i := 0; i < 40; i++ {
		if _, err := e.c.Instance(ctx(t), app); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if e.sim.Requests() < 48 {
		t.Errorf("40 calls took %d requests; the 8 dropped/failed ones should have been retried", e.sim.Requests())
	}
}

func TestCredentialsExpireThenRefresh(t *testing.T) {
	e, _ := newEnv(t, "credentials-expire")
	var err error
	for i := 0; i < 45 && err == nil; i++ {
		_, err = e.c.Identity(ctx(t))
	}
	if !errors.Is(err, awsclient.ErrCredentialsExpired) {
		t.Fatalf("err = %v", err)
	}
	fresh := awsclient.New(staticConfig("AKIDFRESH"), awsclient.WithEndpoint(e.srv.URL), fastRetry(2))
	if _, err := fresh.Instance(ctx(t), app); err != nil {
		t.Errorf("with refreshed credentials: %v", err)
	}
}

func TestUnreachableEndpoint(t *testing.T) {
	srv := httptest.NewServer(nil)
	url := srv.URL
	srv.Close()
	c := awsclient.New(staticConfig("AKID"), awsclient.WithEndpoint(url), fastRetry(2))
	_, err := c.Instance(ctx(t), app)
	if !errors.Is(err, awsclient.ErrNetwork) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("err = %v", err)
	}
}

func TestIdentityWithoutCredentials(t *testing.T) {
	e, _ := newEnv(t, "default")
	cfg := aws.Config{Region: "eu-west-2", Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("the SSO session has expired")
	})}
	c := awsclient.New(cfg, awsclient.WithEndpoint(e.srv.URL), fastRetry(1))
	_, err := c.Identity(ctx(t))
	if !errors.Is(err, awsclient.ErrCredentialsExpired) || !strings.Contains(err.Error(), "SSO session has expired") || !strings.Contains(err.Error(), "aws sso login") {
		t.Errorf("err = %v", err)
	}
	if e.sim.Requests() != 0 {
		t.Errorf("%d requests sent without credentials", e.sim.Requests())
	}
}

// A restored instance gets RDS's default maintenance window (the restore
// API takes none); ApplyLaterSettings sets the export's, and then nothing
// is left to apply.
func TestApplyLaterSettings(t *testing.T) {
	e, clk := newEnv(t, "default")
	if _, err := e.c.Restore(ctx(t), settingsOf(t, e, "after-postgres-update-167", "app5ec7032-restored")); err != nil {
		t.Fatal(err)
	}
	clk.Advance(rdssim.CreateDuration + rdssim.InitialBackup)
	in, err := e.c.Instance(ctx(t), "app5ec7032-restored")
	if err != nil {
		t.Fatal(err)
	}
	want := awsclient.LaterSettings{MaintenanceWindow: "Mon:00:00-Mon:03:00", BackupRetention: 7}
	todo := awsclient.LaterSettingsToApply(want, in)
	if todo.MaintenanceWindow != "mon:00:00-mon:03:00" || todo.BackupRetention != 7 {
		t.Fatalf("to apply on the restored instance (window %s, retention %d) = %+v", in.MaintenanceWindow, in.BackupRetention, todo)
	}
	if got := awsclient.LaterSettingsCommand(in.ID, todo); got != "aws rds modify-db-instance --db-instance-identifier app5ec7032-restored --preferred-maintenance-window mon:00:00-mon:03:00 --backup-retention-period 7 --apply-immediately" {
		t.Errorf("command = %s", got)
	}
	if _, err := e.c.ApplyLaterSettings(ctx(t), in.ID, todo); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Minute)
	in, err = e.c.WaitAvailable(ctx(t), in.ID, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if left := awsclient.LaterSettingsToApply(want, in); !left.Empty() {
		t.Errorf("after the modify still to apply: %+v (window %s, retention %d)", left, in.MaintenanceWindow, in.BackupRetention)
	}
}
