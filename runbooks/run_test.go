package runbooks

import (
	"errors"
	"strings"
	"testing"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// A pulumi operation's bare "exit status 1" gets the problem and the next
// action: refused credentials, no network, or AWS's throttling each have
// their own (throttling is not a network to check).
func TestCredentialsAdvice(t *testing.T) {
	base := errors.New("pulumi up: exit status 1")
	tests := []struct {
		name      string
		err       error
		rehearsal bool
		want      []string
		not       string
	}{
		{"throttled", &pulumiclient.ThrottledError{Code: "Throttling", Err: base}, false,
			[]string{"AWS throttled Pulumi's AWS provider (Throttling)", "nothing about the stack is wrong", "wait a minute or two", "`datalayer resume r-1`"}, "network"},
		{"throttled in a rehearsal", &pulumiclient.ThrottledError{Code: "Throttling", Err: base}, true,
			[]string{"the simulator throttles on purpose"}, "network"},
		{"unreachable", &pulumiclient.UnreachableError{Sign: "connection refused", Err: base}, false,
			[]string{"could not reach AWS (connection refused)", "check the network", "`datalayer resume r-1`"}, "throttled"},
		{"refused", &pulumiclient.CredentialsError{Code: "ExpiredToken", Err: base}, false,
			[]string{"was refused", "(ExpiredToken)", "refresh your credentials"}, "network"},
		{"another failure", base, false, []string{"exit status 1"}, "resume"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := credentialsAdvice(tt.err, engine.Options{RunID: "r-1", Rehearsal: tt.rehearsal})
			if !errors.Is(err, tt.err) {
				t.Errorf("the advice lost the error: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("advice %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), tt.not) {
				t.Errorf("advice %q says %q", err, tt.not)
			}
		})
	}
}
