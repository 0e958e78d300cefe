package awsclient

import (
	"fmt"
	"strings"
)

// Identifier limits as RDS documents them for DBInstanceIdentifier and
// DBSnapshotIdentifier.
const (
	maxInstanceIDLen = 63
	maxSnapshotIDLen = 255
)

// ValidateInstanceID checks an instance identifier by RDS's rules: 1 to 63
// letters, digits or hyphens, starting with a letter, without a trailing
// hyphen or two hyphens in a row. The error says what is wrong.
func ValidateInstanceID(id string) error {
	if p := identifierProblem(id, maxInstanceIDLen); p != "" {
		return inputError("check instance identifier",
			fmt.Sprintf("%q is not a valid DB instance identifier: %s", id, p),
			"use 1 to 63 letters, digits or hyphens, starting with a letter, with no trailing or double hyphen (e.g. app5ec7032)")
	}
	return nil
}

// ValidateSnapshotName checks the name of a new manual snapshot by RDS's
// rules: 1 to 255 letters, digits or hyphens, starting with a letter, without
// a trailing hyphen or two hyphens in a row.
func ValidateSnapshotName(id string) error {
	if p := identifierProblem(id, maxSnapshotIDLen); p != "" {
		return inputError("check snapshot name",
			fmt.Sprintf("%q is not a valid snapshot name: %s", id, p),
			"use letters, digits or hyphens, starting with a letter, with no trailing or double hyphen (e.g. pre-restore-2026-11-25)")
	}
	return nil
}

// ValidateSnapshotRef checks a reference to an existing snapshot: a manual
// snapshot's name, an automated one's ("rds:" + instance + date), or an ARN.
func ValidateSnapshotRef(ref string) error {
	switch {
	case strings.HasPrefix(ref, "arn:"):
		if strings.Count(ref, ":") < 6 || !strings.Contains(ref, ":snapshot:") {
			return inputError("check snapshot", fmt.Sprintf("%q is not a DB snapshot ARN", ref),
				"give the snapshot's name (as listed by `datalayer status`) or its full arn:aws:rds:REGION:ACCOUNT:snapshot:NAME")
		}
		return nil
	case strings.HasPrefix(ref, "rds:"):
		if p := identifierProblem(strings.TrimPrefix(ref, "rds:"), maxSnapshotIDLen-4); p != "" {
			return inputError("check snapshot", fmt.Sprintf("%q is not a valid automated snapshot identifier: %s", ref, p),
				"automated snapshots look like rds:app5ec7032-2026-11-25-03-10; copy the name from the snapshot list")
		}
		return nil
	}
	return ValidateSnapshotName(ref)
}

// identifierProblem returns what is wrong with id, or "" when it is fine.
func identifierProblem(id string, max int) string {
	switch {
	case id == "":
		return "it is empty"
	case len(id) > max:
		return fmt.Sprintf("it is %d characters long, the limit is %d", len(id), max)
	case !isLetter(id[0]):
		return "it must start with a letter"
	case strings.HasSuffix(id, "-"):
		return "it must not end with a hyphen"
	case strings.Contains(id, "--"):
		return "it must not contain two hyphens in a row"
	}
	for _, r := range id {
		if r > 127 || (!isLetter(byte(r)) && !(r >= '0' && r <= '9') && r != '-') {
			return fmt.Sprintf("%q is not allowed (only letters, digits and hyphens)", string(r))
		}
	}
	return ""
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
