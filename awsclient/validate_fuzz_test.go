package awsclient_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
)

var validateSeeds = []string{
	"app5ec7032", "app5ec7032-original", "a", "", "-a", "a-", "a--b", "1abc", "ab_c", "ÄB", "a b", " app", "app\n",
	strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("b", 255), strings.Repeat("b", 256),
	"final-before-deletion", "rds:app5ec7032-2026-11-25-03-10", "rds:", "rds:-x",
	"arn:aws:rds:eu-west-2:123456789012:snapshot:pre-release", "arn:aws:rds:eu-west-2", "arn:::::snapshot:",
}

// checkInputError asserts err is an invalid-input error that names the
// problem and the next action.
func checkInputError(t *testing.T, what, s string, err error) {
	t.Helper()
	var e *awsclient.Error
	if !errors.As(err, &e) || e.Kind != awsclient.KindInvalidInput {
		t.Fatalf("%s(%q): %v is not an invalid-input error", what, s, err)
	}
	if e.Summary == "" || e.Next == "" {
		t.Fatalf("%s(%q): error without the problem or the next action: %+v", what, s, e)
	}
}

// FuzzValidateInstanceID checks the client refuses exactly the instance
// identifiers the simulator (which follows RDS's documented rules) refuses,
// before any request is sent, with an error saying what to do.
func FuzzValidateInstanceID(f *testing.F) {
	for _, s := range validateSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		err := awsclient.ValidateInstanceID(id)
		if (err == nil) != (rdssim.ValidIdentifier(id) == nil) {
			t.Fatalf("ValidateInstanceID(%q) = %v, the simulator says %v", id, err, rdssim.ValidIdentifier(id))
		}
		if err != nil {
			checkInputError(t, "ValidateInstanceID", id, err)
		}
	})
}

// FuzzValidateSnapshotName does the same for new snapshot names, and checks
// that a name accepted for a new snapshot is also accepted as a reference.
func FuzzValidateSnapshotName(f *testing.F) {
	for _, s := range validateSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := awsclient.ValidateSnapshotName(name)
		if (err == nil) != (rdssim.ValidSnapshotName(name) == nil) {
			t.Fatalf("ValidateSnapshotName(%q) = %v, the simulator says %v", name, err, rdssim.ValidSnapshotName(name))
		}
		if err != nil {
			checkInputError(t, "ValidateSnapshotName", name, err)
			return
		}
		if rerr := awsclient.ValidateSnapshotRef(name); rerr != nil {
			t.Fatalf("ValidateSnapshotRef(%q) = %v for a valid snapshot name", name, rerr)
		}
	})
}

// FuzzValidateSnapshotRef checks references to existing snapshots (names,
// rds: automated names, ARNs): never a panic, every refusal says what to do,
// and an automated name is accepted exactly when its part after "rds:" is a
// valid identifier.
func FuzzValidateSnapshotRef(f *testing.F) {
	for _, s := range validateSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		err := awsclient.ValidateSnapshotRef(ref)
		if err != nil {
			checkInputError(t, "ValidateSnapshotRef", ref, err)
		}
		if rest, ok := strings.CutPrefix(ref, "rds:"); ok && len(rest) <= 251 {
			if (err == nil) != (rdssim.ValidSnapshotName(rest) == nil) {
				t.Fatalf("ValidateSnapshotRef(%q) = %v, but %q as a name: %v", ref, err, rest, rdssim.ValidSnapshotName(rest))
			}
		}
	})
}
