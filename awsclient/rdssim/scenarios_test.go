package rdssim

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/datalayer-tool/datalayer/clock"
)

// outcomes makes n DescribeDBInstances calls and returns, for each, "ok",
// the error code, or "conn" for a connection error.
func outcomes(e *env, n int) []string {
	var out []string
	for range n {
		_, err := e.rds.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{})
		var api smithy.APIError
		switch {
		case err == nil:
			out = append(out, "ok")
		case errors.As(err, &api):
			out = append(out, api.ErrorCode())
		default:
			out = append(out, "conn")
		}
	}
	return out
}

func expectOutcomes(t *testing.T, got []string, fail map[int]string) {
	t.Helper()
	for i, g := range got {
		want := "ok"
		if f, ok := fail[i+1]; ok {
			want = f
		}
		if g != want {
			t.Fatalf("call %d: got %s, want %s (all: %v)", i+1, g, want, got)
		}
	}
}

func newScenarioEnv(t *testing.T, scenario string, attempts int) *env {
	clk := clock.NewManual(t0)
	return newEnvFor(t, must(New(Options{Clock: clk, Scenario: scenario})), clk, "AKIDSCENARIO", attempts)
}

func TestThrottlingScenario(t *testing.T) {
	// Without retries every faulty request shows.
	e := newScenarioEnv(t, "throttling", 1)
	fail := map[int]string{37: "ServiceUnavailable", 38: "ServiceUnavailable"}
	for _, base := range []int{11, 31, 51} {
		for i := range 4 {
			fail[base+i] = "Throttling"
		}
	}
	expectOutcomes(t, outcomes(e, 60), fail)

	// The SDK's retries absorb them, at the cost of extra requests.
	e = newScenarioEnv(t, "throttling", 5)
	expectOutcomes(t, outcomes(e, 30), nil)
	if n := e.sim.Requests(); n <= 30 {
		t.Fatalf("%d requests for 30 calls: the faults did not fire", n)
	}
}

func TestNetworkLossScenario(t *testing.T) {
	e := newScenarioEnv(t, "network-loss", 1)
	fail := map[int]string{27: "InternalFailure", 28: "InternalFailure"}
	for i := 21; i <= 26; i++ {
		fail[i] = "conn"
	}
	expectOutcomes(t, outcomes(e, 40), fail)

	e = newScenarioEnv(t, "network-loss", 10)
	expectOutcomes(t, outcomes(e, 30), nil)
}

func TestCredentialsExpireScenario(t *testing.T) {
	e := newScenarioEnv(t, "credentials-expire", 1)
	fail := map[int]string{}
	for i := 41; i <= 45; i++ {
		fail[i] = "ExpiredToken"
	}
	expectOutcomes(t, outcomes(e, 45), fail)
	_, err := e.sts.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	wantCode(t, err, "ExpiredToken", 403)
	// Fresh credentials work again.
	fresh := newEnvFor(t, e.sim, e.clk, "AKIDFRESHKEY", 1)
	expectOutcomes(t, outcomes(fresh, 5), nil)
}

func TestRestoreIncompatibleParametersScenario(t *testing.T) {
	clk := &stepClock{now: t0, step: time.Minute}
	e := newEnvFor(t, must(New(Options{Clock: clk, Scenario: "restore-incompatible-parameters"})), nil, "AKIDINCOMPAT", 3)
	ctx := context.Background()
	must(e.rds.RestoreDBInstanceFromDBSnapshot(ctx, &rds.RestoreDBInstanceFromDBSnapshotInput{
		DBInstanceIdentifier: aws.String("restored"), DBSnapshotIdentifier: aws.String("after-postgres-update-167"),
		DBParameterGroupName: aws.String(DefaultParamGroup),
	}))
	w := rds.NewDBInstanceAvailableWaiter(e.rds, func(o *rds.DBInstanceAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, 2*time.Millisecond
	})
	err := w.Wait(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("restored")}, time.Minute)
	if err == nil || !strings.Contains(err.Error(), "Failure") {
		t.Fatalf("waiter should fail on incompatible-parameters, got %v", err)
	}
	if got := e.status(t, "restored"); got != "incompatible-parameters" {
		t.Fatalf("status %s", got)
	}
	msgs := e.messages(t, "db-instance", "restored")
	if !slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, "incompatible-parameters") }) {
		t.Fatalf("no incompatible-parameters event in %q", msgs)
	}
}

func TestInjectFault(t *testing.T) {
	e := newScenarioEnv(t, "default", 1)
	ctx := context.Background()
	e.sim.InjectFault(Fault{Name: "once", Actions: []string{"CreateDBSnapshot"}, Code: "Throttling", Times: 1})
	expectOutcomes(t, outcomes(e, 3), nil)
	create := &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), DBSnapshotIdentifier: aws.String("s1")}
	_, err := e.rds.CreateDBSnapshot(ctx, create)
	wantCode(t, err, "Throttling", 400)
	must(e.rds.CreateDBSnapshot(ctx, create))

	e.sim.InjectFault(Fault{Code: FaultDrop, Count: 2})
	expectOutcomes(t, outcomes(e, 3), map[int]string{1: "conn", 2: "conn"})
	e.sim.InjectFault(Fault{Code: "InternalFailure", Status: 500})
	expectOutcomes(t, outcomes(e, 2), map[int]string{1: "InternalFailure", 2: "InternalFailure"})
	e.sim.ClearFaults()
	expectOutcomes(t, outcomes(e, 2), nil)
	// A window of simulated time: the connection drops from t0+1m to t0+2m.
	e.sim.InjectFault(Fault{Code: FaultDrop, NotBefore: t0.Add(time.Minute), NotAfter: t0.Add(2 * time.Minute)})
	expectOutcomes(t, outcomes(e, 1), nil)
	e.clk.Advance(90 * time.Second)
	expectOutcomes(t, outcomes(e, 1), map[int]string{1: "conn"})
	e.clk.Advance(time.Minute)
	expectOutcomes(t, outcomes(e, 1), nil)
	counts := e.sim.RequestCounts()
	if counts["CreateDBSnapshot"] != 2 || counts["DescribeDBInstances"] != 13 {
		t.Fatalf("request counts %v", counts)
	}
}

func TestScenarios(t *testing.T) {
	var names []string
	for _, s := range Scenarios() {
		names = append(names, s.Name)
		if s.Description == "" {
			t.Errorf("%s has no description", s.Name)
		}
		if _, err := New(Options{Scenario: s.Name}); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
	want := []string{"default", "throttling", "rename-refused", "restore-incompatible-parameters", "upgrade-precheck-fails",
		"final-snapshot-exists", "credentials-expire", "network-loss", "wrong-profile"}
	if !slices.Equal(names, want) {
		t.Fatalf("scenarios %v", names)
	}
	_, err := New(Options{Scenario: "meteor-strike"})
	if err == nil || !strings.Contains(err.Error(), "meteor-strike") || !strings.Contains(err.Error(), "network-loss") {
		t.Fatalf("unknown scenario error: %v", err)
	}
}

func TestSaveLoad(t *testing.T) {
	e := newEnv(t, "final-snapshot-exists")
	ctx := context.Background()
	must(e.rds.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), DBSnapshotIdentifier: aws.String("mid-flight")}))
	var buf bytes.Buffer
	if err := e.sim.Save(&buf); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewManual(t0)
	loaded := must(New(Options{Clock: clk}))
	if err := loaded.Load(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	e2 := newEnvFor(t, loaded, clk, "AKIDLOADED", 3)
	if got := e2.status(t, DefaultInstanceID); got != "backing-up" {
		t.Fatalf("loaded status %s", got)
	}
	clk.Advance(SnapshotDuration)
	if got := e2.status(t, DefaultInstanceID); got != "available" {
		t.Fatalf("loaded world did not move on: %s", got)
	}
	_, err := e2.rds.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), FinalDBSnapshotIdentifier: aws.String(FinalSnapshotName)})
	wantCode(t, err, "DBSnapshotAlreadyExists", 400)
	if err := loaded.Load(strings.NewReader("{not json")); err == nil {
		t.Fatal("loading garbage should fail")
	}
	if err := loaded.Load(strings.NewReader(`{"version": 7, "world": {}}`)); err == nil || !strings.Contains(err.Error(), "version 7") {
		t.Fatalf("unsupported version: %v", err)
	}
}

func TestListenAndServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	bound := make(chan string, 1)
	s := must(New(Options{OnListen: func(a string) { bound <- a }}))
	done := make(chan error, 1)
	go func() {
		_, err := ListenAndServe(ctx, "127.0.0.1:0", s)
		done <- err
	}()
	addr := <-bound
	resp, err := http.Post("http://"+addr+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=DescribeDBInstances&Version=2014-10-31"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("status %d, request id %q", resp.StatusCode, resp.Header.Get("x-amzn-RequestId"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := ListenAndServe(context.Background(), "256.0.0.1:1", s); err == nil {
		t.Fatal("listening on a bad address should fail")
	}
}

// TestHandlerPanicReleasesLock breaks the world on purpose: the request gets
// InternalFailure (500) and the simulator keeps answering afterwards.
func TestHandlerPanicReleasesLock(t *testing.T) {
	e := newScenarioEnv(t, "default", 1)
	e.sim.Mutate(func(w *World) { w.SubnetGroups = append([]*SubnetGroup{nil}, w.SubnetGroups...) })
	expectOutcomes(t, outcomes(e, 1), map[int]string{1: "InternalFailure"})
	e.sim.Mutate(func(w *World) { w.SubnetGroups = w.SubnetGroups[1:] })
	expectOutcomes(t, outcomes(e, 1), nil)
}
