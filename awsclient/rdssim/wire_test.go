package rdssim

import (
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/datalayer-tool/datalayer/clock"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// post sends a raw Query request to a fresh simulator handler.
func post(t *testing.T, s *Sim, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./awsclient/rdssim -run Wire -update)", err)
	}
	if string(want) != string(got) {
		t.Fatalf("%s differs from the golden file:\n got: %s\nwant: %s", name, got, want)
	}
}

func TestWireFormat(t *testing.T) {
	tests := []struct {
		name   string
		form   url.Values
		status int
		prefix string
	}{
		{"describe-db-instances", url.Values{"Action": {"DescribeDBInstances"}, "Version": {"2014-10-31"}}, 200,
			`<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBInstancesResult><DBInstances><DBInstance><DBInstanceIdentifier>app5ec7032</DBInstanceIdentifier>`},
		{"describe-db-snapshots-empty", url.Values{"Action": {"DescribeDBSnapshots"}, "Version": {"2014-10-31"}, "DBInstanceIdentifier": {"nothing"}}, 200,
			`<DescribeDBSnapshotsResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBSnapshotsResult><DBSnapshots></DBSnapshots></DescribeDBSnapshotsResult>`},
		{"engine-version", url.Values{"Action": {"DescribeDBEngineVersions"}, "Version": {"2014-10-31"}, "Engine": {"postgres"}, "EngineVersion": {"16.13"}}, 200,
			`<DescribeDBEngineVersionsResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBEngineVersionsResult><DBEngineVersions><DBEngineVersion>`},
		{"get-caller-identity", url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}, 200,
			`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/planx-staging-pulumi</Arn>`},
		{"not-found", url.Values{"Action": {"DescribeDBInstances"}, "Version": {"2014-10-31"}, "DBInstanceIdentifier": {"gone"}}, 404,
			`<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>DBInstanceNotFound</Code><Message>DBInstance gone not found.</Message></Error><RequestId>`},
		{"invalid-action", url.Values{"Action": {"LaunchRockets"}, "Version": {"2014-10-31"}}, 400,
			`<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>InvalidAction</Code>`},
		{"missing-parameter", url.Values{"Action": {"CreateDBSnapshot"}, "Version": {"2014-10-31"}, "DBSnapshotIdentifier": {"x"}}, 400,
			`<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>MissingParameter</Code>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := must(New(Options{Clock: clock.NewManual(t0)}))
			rec := post(t, s, tt.form)
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, body)
			}
			id := rec.Header().Get("x-amzn-RequestId")
			if id == "" || !strings.Contains(string(body), "<RequestId>"+id+"</RequestId>") {
				t.Fatalf("request id %q missing from header or body: %s", id, body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/xml" {
				t.Fatalf("content type %q", ct)
			}
			if !strings.HasPrefix(string(body), tt.prefix) {
				t.Fatalf("body does not start with %s:\n%s", tt.prefix, body)
			}
			if tt.name == "describe-db-instances" {
				golden(t, "describe-db-instances.xml", body)
			}
		})
	}
}
