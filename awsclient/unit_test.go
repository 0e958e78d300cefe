package awsclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/datalayer-tool/datalayer/clock"
)

func TestValidateInstanceID(t *testing.T) {
	tests := []struct {
		id      string
		problem string // "" when valid
	}{
		{"app5ec7032", ""},
		{"app5ec7032-original", ""},
		{"A", ""},
		{strings.Repeat("a", 63), ""},
		{"", "empty"},
		{strings.Repeat("a", 64), "64 characters long, the limit is 63"},
		{"5app", "must start with a letter"},
		{"-app", "must start with a letter"},
		{"app-", "must not end with a hyphen"},
		{"app--1", "two hyphens in a row"},
		{"app_1", `"_" is not allowed`},
		{"app.1", `"." is not allowed`},
		{"appé", `"é" is not allowed`},
		{"rds:app", `":" is not allowed`},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			err := ValidateInstanceID(tt.id)
			if tt.problem == "" {
				if err != nil {
					t.Fatalf("ValidateInstanceID(%q) = %v, want nil", tt.id, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateInstanceID(%q) = nil, want an error about %q", tt.id, tt.problem)
			}
			if !errors.Is(err, ErrInvalidInput) {
				t.Errorf("error %v is not ErrInvalidInput", err)
			}
			if !strings.Contains(err.Error(), tt.problem) || !strings.Contains(err.Error(), "1 to 63 letters") {
				t.Errorf("error %q does not name the problem %q and the rule", err, tt.problem)
			}
		})
	}
}

func TestValidateSnapshotRef(t *testing.T) {
	tests := []struct {
		ref string
		ok  bool
	}{
		{"after-postgres-update-167", true},
		{"rds:app5ec7032-2026-11-25-03-10", true},
		{"arn:aws:rds:eu-west-2:123456789012:snapshot:pre-release-2026-11-22", true},
		{"arn:aws:rds:eu-west-2:123456789012:db:app5ec7032", false},
		{"rds:", false},
		{"rds:-x", false},
		{"final-before-deletion-", false},
		{"1snap", false},
		{strings.Repeat("s", 255), true},
		{strings.Repeat("s", 256), false},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			err := ValidateSnapshotRef(tt.ref)
			if (err == nil) != tt.ok {
				t.Fatalf("ValidateSnapshotRef(%q) = %v, want ok=%v", tt.ref, err, tt.ok)
			}
			if err != nil && KindOf(err) != KindInvalidInput {
				t.Errorf("kind = %v, want invalid input", KindOf(err))
			}
		})
	}
	if err := ValidateSnapshotName("rds:app5ec7032-2026-11-25-03-10"); err == nil {
		t.Error("a new snapshot may not be named like an automated one")
	}
}

// apiErr builds the error the SDK returns for an HTTP answer with code.
func apiErr(status int, code, msg string) error {
	return &smithy.OperationError{ServiceID: "RDS", OperationName: "DescribeDBInstances", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: &smithy.GenericAPIError{Code: code, Message: msg}},
		RequestID:     "req-1",
	}}
}

func TestWrapErr(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		kind     Kind
		contains []string
	}{
		{"not found", apiErr(404, "DBInstanceNotFound", "DBInstance app1 not found."), KindNotFound,
			[]string{"describe: no DB instance by that identifier", "(DBInstanceNotFound: DBInstance app1 not found.)", "datalayer status"}},
		{"snapshot exists", apiErr(400, "DBSnapshotAlreadyExists", "Cannot create the snapshot because a snapshot with the identifier final-before-deletion already exists."), KindAlreadyExists,
			[]string{"a snapshot by that name already exists", "finalSnapshotIdentifier"}},
		{"instance exists", apiErr(400, "DBInstanceAlreadyExists", "DB instance already exists"), KindAlreadyExists,
			[]string{"still reserves the name after a rename", "wait a few minutes"}},
		{"subnet group", apiErr(404, "DBSubnetGroupNotFoundFault", "DBSubnetGroup x not found."), KindNotFound, []string{"subnet group does not exist", "stack export"}},
		{"faulted code", apiErr(400, "InvalidDBInstanceStateFault", "busy"), KindInvalidState, []string{"the instance is busy"}},
		{"busy", apiErr(400, "InvalidDBInstanceState", "not available"), KindInvalidState, []string{"busy", "`available`"}},
		{"throttled", apiErr(400, "Throttling", "Rate exceeded"), KindThrottled, []string{"12 requests/s", "wait a minute"}},
		{"expired", apiErr(403, "ExpiredToken", "The security token included in the request is expired"), KindCredentialsExpired,
			[]string{"your AWS session expired", "aws sso login", "datalayer resume"}},
		{"bad key", apiErr(403, "InvalidClientTokenId", "bad"), KindCredentialsExpired, []string{"does not recognise the access key"}},
		{"bad value", apiErr(400, "InvalidParameterValue", "The parameter DBInstanceIdentifier is not a valid identifier."), KindInvalidInput,
			[]string{"rejected a value", "not a valid identifier"}},
		{"server", apiErr(500, "InternalFailure", "oops"), KindNetwork, []string{"server error"}},
		{"unknown code", apiErr(400, "SomethingNew", "huh"), KindOther, []string{"AWS refused the request", "SomethingNew: huh"}},
		{"conn refused", &smithy.OperationError{Err: &smithyhttp.RequestSendError{Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}}, KindNetwork,
			[]string{"could not reach AWS", "connection refused", "AWS_ENDPOINT_URL"}},
		{"eof", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), KindNetwork, []string{"unexpected EOF"}},
		{"no creds", errors.New("failed to retrieve credentials: no EC2 IMDS role found"), KindCredentialsExpired, []string{"no usable AWS credentials", "AWS_PROFILE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := wrapErr("describe", tt.err)
			if KindOf(err) != tt.kind {
				t.Fatalf("kind of %v = %v, want %v", err, KindOf(err), tt.kind)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("errors.Is(err, %v) = false", tt.kind)
			}
			for _, k := range []Kind{KindNotFound, KindAlreadyExists, KindThrottled, KindNetwork} {
				if k != tt.kind && errors.Is(err, k) {
					t.Errorf("errors.Is(err, %v) = true for a %v error", k, tt.kind)
				}
			}
			if !errors.Is(err, tt.err) && tt.err != nil {
				t.Errorf("the SDK error is not kept for errors.Is/As")
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q lacks %q", err, s)
				}
			}
		})
	}
	if wrapErr("x", nil) != nil {
		t.Error("wrapErr(nil) != nil")
	}
	if err := wrapErr("x", context.Canceled); !errors.Is(err, context.Canceled) || KindOf(err) != KindOther {
		t.Errorf("cancellation: %v", err)
	}
	if Temporary(wrapErr("x", apiErr(400, "Throttling", ""))) != true || Temporary(wrapErr("x", apiErr(404, "DBInstanceNotFound", ""))) {
		t.Error("Temporary sorts throttling and not-found wrongly")
	}
}

func TestCompare(t *testing.T) {
	base := RestoreSettings{
		SnapshotID: "after-postgres-update-167", InstanceID: "app5ec7032-restored", Class: "db.t3.small", StorageType: "gp3",
		ParameterGroup: "postgres16-force-ssl-off", SecurityGroups: []string{"sg-2", "sg-1"}, SubnetGroup: "data-db-subnet-group-3f9a1c2",
		PubliclyAccessible: true, Tags: map[string]string{"team": "planx"},
	}
	good := Instance{
		ID: "app5ec7032-restored", Class: "db.t3.small", StorageType: "gp3", ParameterGroup: "postgres16-force-ssl-off",
		SecurityGroups: []string{"sg-1", "sg-2"}, SubnetGroup: "data-db-subnet-group-3f9a1c2", PubliclyAccessible: true,
		Port: 5432, Tags: map[string]string{"team": "planx", "extra": "x"},
	}
	tests := []struct {
		name   string
		change func(*Instance)
		want   []Difference
	}{
		{"same", func(*Instance) {}, nil},
		{"default parameter group", func(i *Instance) { i.ParameterGroup = "default.postgres16" },
			[]Difference{{"DBParameterGroupName", "postgres16-force-ssl-off", "default.postgres16"}}},
		{"default security group", func(i *Instance) { i.SecurityGroups = []string{"sg-default"} },
			[]Difference{{"VpcSecurityGroupIds", "sg-1, sg-2", "sg-default"}}},
		{"multi-az", func(i *Instance) { i.MultiAZ = true }, []Difference{{"MultiAZ", "false", "true"}}},
		{"tag lost", func(i *Instance) { i.Tags = nil }, []Difference{{"Tag team", "planx", "(missing)"}}},
		{"class and storage", func(i *Instance) { i.Class = "db.t3.medium"; i.StorageType = "gp2" },
			[]Difference{{"DBInstanceClass", "db.t3.small", "db.t3.medium"}, {"StorageType", "gp3", "gp2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := good
			tt.change(&in)
			got := Compare(base, in)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Compare = %v, want %v", got, tt.want)
			}
		})
	}
	if d := Compare(SettingsFrom(good, "snap", good.ID), good); len(d) != 0 {
		t.Errorf("SettingsFrom does not reproduce the instance: %v", d)
	}
}

func TestCompareInstances(t *testing.T) {
	export := Instance{
		Engine: "postgres", EngineVersion: "16.13", Class: "db.t3.small", AllocatedStorage: 20, StorageType: "gp3",
		StorageEncrypted: true, PubliclyAccessible: true, ParameterGroup: "postgres16-force-ssl-off",
		SecurityGroups: []string{"sg-0a1b2c3d4e5f60718"}, SubnetGroup: "data-db-subnet-group-3f9a1c2",
		Port: 5432, BackupRetention: 1, MaintenanceWindow: "Mon:00:00-Mon:03:00",
	}
	restored := export
	restored.ID, restored.Status, restored.ResourceID = "app5ec7032-restored", "available", "db-XYZ"
	restored.MaintenanceWindow = "mon:00:00-mon:03:00"
	restored.OptionGroup = "default:postgres-16"
	tests := []struct {
		name   string
		change func(*Instance)
		want   []Difference
	}{
		{"same but identity, status, case of window", func(*Instance) {}, nil},
		{"drifted", func(i *Instance) {
			i.ParameterGroup = "default.postgres16"
			i.BackupRetention = 7
			i.MaintenanceWindow = "sun:05:00-sun:06:00"
			i.AllocatedStorage = 100
		}, []Difference{
			{"AllocatedStorage", "20", "100"}, {"DBParameterGroupName", "postgres16-force-ssl-off", "default.postgres16"},
			{"BackupRetentionPeriod", "1", "7"}, {"PreferredMaintenanceWindow", "Mon:00:00-Mon:03:00", "sun:05:00-sun:06:00"},
		}},
		{"unencrypted", func(i *Instance) { i.StorageEncrypted = false }, []Difference{{"StorageEncrypted", "true", "false"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := restored
			tt.change(&in)
			got := CompareInstances(export, in)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("CompareInstances = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEventID(t *testing.T) {
	tests := []struct{ msg, id string }{
		{"Database instance is in a state that cannot be upgraded: Postgres cluster is in a state where pg_upgrade can not be completed successfully", "RDS-EVENT-0158"},
		{"database instance is in a state that cannot be upgraded: PreUpgrade checks failed", "RDS-EVENT-0158"},
		{"Applying modification to convert to a Multi-AZ DB instance", "RDS-EVENT-0024"},
		{"Finished applying modification to convert to a Multi-AZ DB instance", "RDS-EVENT-0025"},
		{"Restored from snapshot after-postgres-update-167", "RDS-EVENT-0043"},
		{"Some tool wrote RDS-EVENT-0999 in here", "RDS-EVENT-0999"},
		{"Renamed instance from app to app-original", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := EventID(tt.msg); got != tt.id {
			t.Errorf("EventID(%q) = %q, want %q", tt.msg, got, tt.id)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"16.9", "16.13", -1}, {"17.2", "16.13", 1}, {"16.13", "16.13", 0}, {"16", "16.0", 0}, {"9.6.24", "10.1", -1},
	}
	for _, tt := range tests {
		if got := CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestPollerPace: where a watcher expects its change, the poller looks
// rarely before the window, as often as the budget allows in it, and backs
// off past it; what nobody expects is looked at every Interval while it
// changes and every IdleInterval once steady.
func TestPollerPace(t *testing.T) {
	o := PollerOptions{}.withDefaults()
	restore := Expect{After: 7 * time.Minute, Within: time.Minute} // window 6–8 min
	tests := []struct {
		name    string
		exp     Expect
		el      time.Duration
		tokens  float64
		steady  bool
		every   time.Duration
		precise bool
	}{
		{"nothing expected, changing", Expect{}, 0, 0, false, 10 * time.Second, true},
		{"nothing expected, steady", Expect{}, 0, 0, true, 20 * time.Second, false},
		{"long before the window", restore, time.Minute, 0, false, time.Minute, false},
		{"before the window: a look where the last window's width before it starts", restore, 3*time.Minute + 30*time.Second, 0, false, 30 * time.Second, false},
		{"a window's width before it: every FarInterval", restore, 4*time.Minute + 30*time.Second, 0, false, 20 * time.Second, false},
		{"just before the window: look as it opens", restore, 6*time.Minute - 7*time.Second, 0, false, 7 * time.Second, false},
		{"in the window, plenty saved", restore, 6 * time.Minute, 60, false, 2 * time.Second, true},
		{"in the window, bucket empty: the sustained rate", restore, 6 * time.Minute, 0, false, 8333 * time.Millisecond, true},
		{"in the window, the saved tokens spread over it", restore, 6 * time.Minute, 15.6, false, 4 * time.Second, true},
		{"overdue by a minute", restore, 9 * time.Minute, 30, false, 6 * time.Second, true},
		{"long overdue", restore, time.Hour, 30, false, 20 * time.Second, true},
		{"within defaults to a quarter", Expect{After: 4 * time.Minute}, 2*time.Minute + 59*time.Second, 0, false, time.Second * 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := o.paceOf(tt.exp, tt.el, tt.tokens, tt.steady)
			if d := got.every - tt.every; d < -time.Millisecond || d > time.Millisecond || got.precise != tt.precise {
				t.Errorf("paceOf = %s precise %v, want %s precise %v", got.every, got.precise, tt.every, tt.precise)
			}
		})
	}
}

// TestPollerBucket: the bucket refills at MaxRate in the clock's time (a
// paced clock's durations), holds at most Burst, and says how long until
// the next token.
func TestPollerBucket(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	clk := clock.NewManualSpeed(t0, 60)
	b := bucket{rate: 0.12, burst: 30, tokens: 3, clk: clk}
	b.take(3)
	if w := b.wait(); w < 8*time.Second || w > 9*time.Second {
		t.Errorf("empty bucket: wait %s, want 8.3 s", w)
	}
	clk.Advance(time.Second) // one minute of the world's time at speed 60
	if l := b.level(); l < 7.1 || l > 7.3 {
		t.Errorf("after a simulated minute: %.2f tokens, want 7.2", l)
	}
	clk.Advance(time.Hour)
	if l := b.level(); l != 30 {
		t.Errorf("after an hour: %.2f tokens, want the burst of 30", l)
	}
	b.take(32)
	if w := b.wait(); w < 24*time.Second || w > 26*time.Second {
		t.Errorf("in debt by 2: wait %s, want 25 s", w)
	}
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// TestPlainBodyClient: the request body handed to net/http no longer offers
// WriteTo (see httpbody.go for the race this avoids) but reads the same.
func TestPlainBodyClient(t *testing.T) {
	var got string
	c := plainBodyClient{doerFunc(func(r *http.Request) (*http.Response, error) {
		if _, ok := r.Body.(io.WriterTo); ok {
			t.Error("the body still implements io.WriterTo")
		}
		b, err := io.ReadAll(r.Body)
		got = string(b)
		return nil, err
	})}
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", io.NopCloser(strings.NewReader("Action=DescribeDBInstances")))
	if _, ok := req.Body.(io.WriterTo); !ok {
		t.Fatal("test set-up: the body should offer WriteTo")
	}
	if _, err := c.Do(req); err != nil || got != "Action=DescribeDBInstances" {
		t.Errorf("body %q, err %v", got, err)
	}
}
