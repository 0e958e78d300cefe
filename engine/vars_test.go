package engine

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/clock"
)

func TestFill(t *testing.T) {
	vars := map[string]string{"instance": "app5ec7032", "stack": "staging"}
	tests := []struct{ in, want string }{
		{"aws rds describe-db-instances --db-instance-identifier {instance}",
			"aws rds describe-db-instances --db-instance-identifier app5ec7032"},
		{"pulumi preview --stack {stack} # {instance} {instance}",
			"pulumi preview --stack staging # app5ec7032 app5ec7032"},
		{"--db-snapshot-identifier {snapshot}", "--db-snapshot-identifier {snapshot}"},
		{"pulumi config get db-host --stack {app-stack}", "pulumi config get db-host --stack {app-stack}"},
		{"no placeholders", "no placeholders"},
	}
	for _, tt := range tests {
		if got := Fill(tt.in, vars); got != tt.want {
			t.Errorf("Fill(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestRunVarsKeepSecretsOut: what a renderer may fill into commands holds
// the plain variables and the stacks, never a secret.
func TestRunVarsKeepSecretsOut(t *testing.T) {
	book := &Runbook{Name: "test", Secret: []Secret{{Var: "db-host", Endpoint: true}}, Steps: []*Step{
		{ID: "find", Title: "Find", Kind: KindCheck, Explanation: "x", Phase: "prepare",
			Do: func(x *Exec) error {
				x.Set("instance", "app5ec7032")
				x.Set("db-host", "app5ec7032.c9akciq32x1z.eu-west-2.rds.amazonaws.com") // secret by the runbook
				x.SetSecret("token", "s3cr3t")
				return nil
			}},
	}}
	r := newRun(Options{Stack: "staging", AppStack: "application-staging"},
		Deps{Clock: clock.NewManual(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))}, book)
	go func() {
		for range r.Events() {
		}
	}()
	r.Start(context.Background())
	if err := r.Wait(); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"instance": "app5ec7032", "stack": "staging", "app-stack": "application-staging"}
	if got := r.Vars(); !reflect.DeepEqual(got, want) {
		t.Errorf("Vars() = %v, want %v", got, want)
	}
}
