package rdssim

import (
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/datalayer-tool/datalayer/clock"
)

// referenceValid restates RDS's identifier rules independently of the
// regular expression the simulator uses.
func referenceValid(s string, maxLen int) bool {
	if len(s) < 1 || len(s) > maxLen {
		return false
	}
	isLetter := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	if !isLetter(s[0]) || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && (c < '0' || c > '9') && c != '-' {
			return false
		}
		if c == '-' && i > 0 && s[i-1] == '-' {
			return false
		}
	}
	return true
}

var identifierSeeds = []string{
	"app5ec7032", "a", "", "-a", "a-", "a--b", "a-b-c", "1abc", "ab_c", "ÄB", "a b", " app", "app\n",
	strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("b", 255), strings.Repeat("b", 256),
	"final-before-deletion", "rds:app5ec7032-2026-11-25-03-10",
}

func errorCode(body string) string {
	_, after, ok := strings.Cut(body, "<Code>")
	if !ok {
		return ""
	}
	code, _, _ := strings.Cut(after, "</Code>")
	return code
}

// FuzzInstanceIdentifier checks CreateDBInstance accepts exactly the
// identifiers RDS accepts: invalid ones get InvalidParameterValue, valid ones
// are created or already exist; an empty one is a MissingParameter.
func FuzzInstanceIdentifier(f *testing.F) {
	for _, s := range identifierSeeds {
		f.Add(s)
	}
	s := must(New(Options{Clock: clock.NewManual(t0)}))
	f.Fuzz(func(t *testing.T, id string) {
		if ValidIdentifier(id) == nil != referenceValid(id, 63) {
			t.Fatalf("ValidIdentifier(%q) = %v, reference says %v", id, ValidIdentifier(id), referenceValid(id, 63))
		}
		rec := post(t, s, url.Values{
			"Action": {"CreateDBInstance"}, "Version": {"2014-10-31"}, "DBInstanceIdentifier": {id},
			"DBInstanceClass": {"db.t3.micro"}, "Engine": {"postgres"}, "MasterUsername": {"dbuser"},
			"MasterUserPassword": {"long-enough"}, "AllocatedStorage": {"20"},
		})
		body, _ := io.ReadAll(rec.Body)
		code := errorCode(string(body))
		if referenceValid(id, 63) {
			if rec.Code != 200 && code != "DBInstanceAlreadyExists" {
				t.Fatalf("valid %q refused: %s", id, body)
			}
		} else if code != "InvalidParameterValue" && (id != "" || code != "MissingParameter") {
			t.Fatalf("invalid %q not refused with InvalidParameterValue: %d %s", id, rec.Code, body)
		}
	})
}

// FuzzSnapshotName does the same for DeleteDBInstance's final snapshot name
// and CreateDBSnapshot's name (1 to 255 characters).
func FuzzSnapshotName(f *testing.F) {
	for _, s := range identifierSeeds {
		f.Add(s)
	}
	s := must(New(Options{Clock: clock.NewManual(t0)}))
	f.Fuzz(func(t *testing.T, name string) {
		if ValidSnapshotName(name) == nil != referenceValid(name, 255) {
			t.Fatalf("ValidSnapshotName(%q) = %v, reference says %v", name, ValidSnapshotName(name), referenceValid(name, 255))
		}
		rec := post(t, s, url.Values{
			"Action": {"CreateDBSnapshot"}, "Version": {"2014-10-31"}, "DBInstanceIdentifier": {DefaultInstanceID},
			"DBSnapshotIdentifier": {name},
		})
		body, _ := io.ReadAll(rec.Body)
		code := errorCode(string(body))
		if referenceValid(name, 255) {
			// The first valid name starts a snapshot; the instance is busy after that.
			if rec.Code != 200 && code != "DBSnapshotAlreadyExists" && code != "InvalidDBInstanceState" {
				t.Fatalf("valid %q refused: %s", name, body)
			}
		} else if code != "InvalidParameterValue" && (name != "" || code != "MissingParameter") {
			t.Fatalf("invalid %q not refused with InvalidParameterValue: %d %s", name, rec.Code, body)
		}
	})
}
