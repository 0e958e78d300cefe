package engine

import (
	"errors"
	"testing"
)

// Advice in a failed step's error is made followable where it is printed:
// a bare `datalayer resume` names the run (another unfinished run may be
// the newest), and a rehearsal never advises a command that would start a
// runbook on real AWS.
func TestFollowableAdvice(t *testing.T) {
	const id = "20261202-2001-restore-abc123"
	tests := []struct {
		name      string
		rehearsal bool
		in, want  string
	}{
		{"resume names the run", false,
			"your AWS session expired: refresh your credentials (aws sso login / re-export the keys) and run `datalayer resume`",
			"your AWS session expired: refresh your credentials (aws sso login / re-export the keys) and run `datalayer resume " + id + "`"},
		{"a resume with its id is kept", false, "then `datalayer resume " + id + "`", "then `datalayer resume " + id + "`"},
		{"a real run keeps its runbook command", false,
			"apply them with `datalayer deploy --stack staging`", "apply them with `datalayer deploy --stack staging`"},
		{"a rehearsal never advises a real deploy", true,
			"apply them with `datalayer deploy --stack staging`", "apply them with `datalayer rehearse deploy`"},
		{"nor a real restore or upgrade", true,
			"restore it (`datalayer restore`) to a new instance; run `datalayer upgrade` again after it, or `datalayer resume`",
			"restore it (`datalayer rehearse restore`) to a new instance; run `datalayer rehearse upgrade` again after it, or `datalayer resume " + id + "`"},
		{"datalayer report is not a runbook", true, "the timeline: `datalayer report " + id + "`", "the timeline: `datalayer report " + id + "`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Run{opts: Options{RunID: id, Rehearsal: tt.rehearsal}, deps: Deps{Runbooks: []string{"deploy", "upgrade", "restore"}}}
			if got := r.followableText(tt.in); got != tt.want {
				t.Errorf("followableText(%q)\n= %q\nwant %q", tt.in, got, tt.want)
			}
			base := errors.New(tt.in)
			err := r.followable(base)
			if err.Error() != tt.want || !errors.Is(err, base) {
				t.Errorf("followable(%q) = %q (wraps the original: %v)", tt.in, err, errors.Is(err, base))
			}
		})
	}
}
