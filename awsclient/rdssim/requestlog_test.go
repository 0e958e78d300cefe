package rdssim

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/datalayer-tool/datalayer/clock"
)

// TestRequestLogAndCallers: LogMutating records every mutating request
// (accepted or refused) with the access key that signed it, never a read;
// World.Callers makes STS answer per access key.
func TestRequestLogAndCallers(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	s, err := New(Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	s.Mutate(func(w *World) {
		w.Callers = map[string]string{"AKIDDOCKER": "arn:aws:iam::123456789012:user/docker-user"}
	})
	var log bytes.Buffer
	srv := httptest.NewServer(LogMutating(s, clk, &log, nil))
	t.Cleanup(srv.Close)
	client := func(key string) (*rds.Client, *sts.Client) {
		cfg := aws.Config{Region: "eu-west-2", Credentials: credentials.NewStaticCredentialsProvider(key, "secret", ""), Retryer: fastRetryer(1)}
		return rds.NewFromConfig(cfg, func(o *rds.Options) { o.BaseEndpoint = aws.String(srv.URL) }),
			sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	}
	staging, stagingSTS := client("AKIDSTAGING")
	_, dockerSTS := client("AKIDDOCKER")

	if _, err := staging.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := staging.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), DBSnapshotIdentifier: aws.String("s1")}); err != nil {
		t.Fatal(err)
	}
	_, err = staging.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), DBSnapshotIdentifier: aws.String("s1")})
	wantCode(t, err, "DBSnapshotAlreadyExists", 400)
	_, err = staging.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("no-such-db"),
		NewDBInstanceIdentifier: aws.String("renamed"), ApplyImmediately: aws.Bool(true)})
	wantCode(t, err, "DBInstanceNotFound", 404)

	reqs, err := ReadRequestLog(&log)
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 3 {
		t.Fatalf("logged %d requests, want the 3 mutating ones: %+v", len(reqs), reqs)
	}
	want := []LoggedRequest{
		{Action: "CreateDBSnapshot", Status: 200, Instance: DefaultInstanceID, Snapshot: "s1", AccessKey: "AKIDSTAGING"},
		{Action: "CreateDBSnapshot", Status: 400, Instance: DefaultInstanceID, Snapshot: "s1", AccessKey: "AKIDSTAGING"},
		{Action: "ModifyDBInstance", Status: 404, Instance: "no-such-db", NewInstance: "renamed", AccessKey: "AKIDSTAGING"},
	}
	for i, w := range want {
		got := reqs[i]
		if got.Action != w.Action || got.Status != w.Status || got.Instance != w.Instance || got.Snapshot != w.Snapshot ||
			got.NewInstance != w.NewInstance || got.AccessKey != w.AccessKey || !got.Time.Equal(t0) || got.Agent == "" {
			t.Errorf("request %d = %+v, want %+v at %s", i, got, w, t0)
		}
	}
	if reqs[1].OK() || !reqs[0].OK() {
		t.Error("OK() does not tell accepted from refused")
	}

	for key, c := range map[string]*sts.Client{"AKIDSTAGING": stagingSTS, "AKIDDOCKER": dockerSTS} {
		out, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		wantARN := "arn:aws:iam::123456789012:user/planx-staging-pulumi"
		if key == "AKIDDOCKER" {
			wantARN = "arn:aws:iam::123456789012:user/docker-user"
		}
		if aws.ToString(out.Arn) != wantARN {
			t.Errorf("%s is %s, want %s", key, aws.ToString(out.Arn), wantARN)
		}
	}
	for _, a := range []string{"DescribeDBInstances", "GetCallerIdentity", "ListTagsForResource", ""} {
		if IsMutating(a) {
			t.Errorf("IsMutating(%q) = true", a)
		}
	}
	for _, a := range []string{"CreateDBInstance", "RestoreDBInstanceFromDBSnapshot", "DeleteDBInstance", "ModifyDBParameterGroup", "RebootDBInstance"} {
		if !IsMutating(a) {
			t.Errorf("IsMutating(%q) = false", a)
		}
	}
}
