package rehearsal

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/internal/pulumitest"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// emptyTheStack leaves the data stack's state without its RDS instance, as
// a stack whose database was never deployed: `pulumi stack export` holds
// no aws:rds/instance:Instance. The other resources (the parameter group,
// which AWS has) stay; AWS keeps what it runs.
func emptyTheStack(t *testing.T, w *World) {
	t.Helper()
	ed, ok := w.Data.(pulumiclient.StateEditor)
	if !ok {
		t.Fatalf("the data stack %T cannot edit its state", w.Data)
	}
	err := ed.EditState(context.Background(), func(s *pulumiclient.State) error {
		var keep []pulumiclient.StateResource
		for _, r := range s.Resources {
			if r.Type != pulumiclient.InstanceType {
				keep = append(keep, r)
			}
		}
		s.Resources, s.PendingOperations = keep, nil
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// pointAppAt sets the application's db-host to the endpoint of instance id
// in the domain of the one it has.
func pointAppAt(t *testing.T, w *World, id string) {
	t.Helper()
	host, _, err := w.App.GetConfig(context.Background(), "db-host")
	if err != nil {
		t.Fatal(err)
	}
	_, domain, ok := strings.Cut(host, ".")
	if !ok {
		t.Fatalf("db-host %q has no domain", host)
	}
	if err := w.App.SetConfig(context.Background(), "db-host", id+"."+domain, true); err != nil {
		t.Fatal(err)
	}
}

// setAppHost sets the application's db-host to a raw value (a
// placeholder), secret as the application keeps it.
func setAppHost(t *testing.T, w *World, host string) {
	t.Helper()
	if err := w.App.SetConfig(context.Background(), "db-host", host, true); err != nil {
		t.Fatal(err)
	}
}

// unsetAppHost removes db-host from the application stack's config file, as
// in a new application stack that never set it.
func unsetAppHost(t *testing.T, w *World) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(w.App.ProgramDir(), "Pulumi.*.yaml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		cfg, _ := doc["config"].(map[string]any)
		for k := range cfg {
			if k == "db-host" || strings.HasSuffix(k, ":db-host") {
				delete(cfg, k)
			}
		}
		if b, err = yaml.Marshal(doc); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := w.App.GetConfig(context.Background(), "db-host"); !errors.Is(err, pulumiclient.ErrConfigNotSet) {
		t.Fatalf("after removing db-host from %v, config get says %v; want ErrConfigNotSet", files, err)
	}
}

// A stack that manages no instance yet: deploy is its first deploy and
// creates the instance (the checks of an existing instance skipped, the
// preview's creates behind the gate, up, then verify against the program
// and AWS). A deploy stops instead when the application's db-host names an
// instance AWS runs (it would create a second database); upgrade, which
// needs an instance, stops saying to deploy first, and restore stops
// saying to import the running instance the state lost. Issue 11:
// `deploy` on a new stack stopped with "no aws:rds/instance:Instance in
// the stack state".
func TestRunbooksOnANewStack(t *testing.T) {
	tests := []struct {
		name     string
		o        engine.Options
		appHost  string // the instance the application's db-host names ("": as seeded, the running instance)
		wantFail string // the stack step's error ("": the run finishes)
		// real runs on the real pulumi CLI: the simulated engine does not
		// create a database from nothing.
		real bool
		// rawHost sets db-host to this value as it is (a placeholder);
		// noHost removes db-host from the application's config.
		rawHost string
		noHost  bool
		// wantWarn is the stack step's warning about db-host ("": none).
		wantWarn string
	}{
		{
			// The application names an instance AWS does not run: it has no
			// database here, which is worth saying.
			name:     "deploy creates the instance",
			o:        engine.Options{Runbook: "deploy", Yes: true},
			appHost:  "appgone0001",
			real:     true,
			wantWarn: "the application's db-host points at instance appgone0001, which AWS does not show",
		},
		{
			// A new application's placeholder names no instance: nothing to
			// ask AWS (it refuses TBD_after_deploy as an identifier, which
			// stopped the deploy) and nothing to warn of.
			name:    "deploy creates the instance; the application's db-host is a placeholder",
			o:       engine.Options{Runbook: "deploy", Yes: true},
			rawHost: "TBD_after_deploy",
			real:    true,
		},
		{
			// It was "could not read the application's db-host (config get
			// db-host: ... not found for stack ...)".
			name:   "deploy creates the instance; the application sets no db-host",
			o:      engine.Options{Runbook: "deploy", Yes: true},
			noHost: true,
			real:   true,
		},
		{
			name:     "deploy while the application uses a running instance",
			o:        engine.Options{Runbook: "deploy", Yes: true},
			wantFail: "a deploy would create a second database",
		},
		{
			// The application's db-host names the running instance: the
			// state lost track of it (a restore takes a missing instance as
			// one deleted and dropped by a refresh: TestRestoreDroppedInstanceRefusals).
			name:     "restore",
			o:        engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "console", "lost": "isolated"}},
			wantFail: "import it under the program's name for it first",
		},
		{
			name:     "upgrade",
			o:        engine.Options{Runbook: "upgrade", Yes: true},
			wantFail: "deploy it first with `datalayer rehearse deploy`", // in a rehearsal the commands are the rehearsal's
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e Engine
			if tt.real {
				e = Engine{Name: EnginePulumi, Pulumi: pulumitest.Tools(t).Pulumi}
			}
			r := runHeadlessOn(t, tt.o, nil, func(w *World) {
				emptyTheStack(t, w)
				if tt.appHost != "" {
					pointAppAt(t, w, tt.appHost)
				}
				if tt.rawHost != "" {
					setAppHost(t, w, tt.rawHost)
				}
				if tt.noHost {
					unsetAppHost(t, w)
				}
			}, e)
			writes, err := r.world.MutatingRequests()
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantFail != "" {
				msg, failed := r.failed("stack")
				if !failed || !strings.Contains(msg, tt.wantFail) || !strings.Contains(msg, "Nothing was changed") {
					t.Fatalf("the stack step did not stop with %q: %q %v\n%s", tt.wantFail, msg, r.err, r.text())
				}
				if len(writes) != 0 {
					t.Errorf("AWS was changed: %v", writes)
				}
				return
			}
			if r.err != nil {
				t.Fatalf("the first deploy failed: %v\n%s", r.err, r.text())
			}
			for _, s := range []string{"engine-version", "refresh-preview"} {
				if why, ok := r.skipped(s); !ok || !strings.Contains(why, "first deploy") {
					t.Errorf("%s was not skipped as a first deploy's: %q %v", s, why, ok)
				}
			}
			for _, s := range []string{"preview", "gate", "up", "verify"} {
				if !r.finished(s) {
					t.Errorf("step %s did not finish\n%s", s, r.text())
				}
			}
			if plan, _ := r.run.Var("plan"); !strings.Contains(plan, "create "+pulumiclient.InstanceType) {
				t.Errorf("the preview does not show the instance created: %q", plan)
			}
			inst, _ := r.run.Var("instance")
			if inst == "" || inst == "app5ec7032" {
				t.Fatalf("the run's instance after the first deploy is %q", inst)
			}
			var warned []string
			for _, ev := range r.events {
				if ev.Type == engine.EventWarning && strings.Contains(ev.Text, "db-host") {
					warned = append(warned, ev.Text)
				}
			}
			if tt.wantWarn == "" && len(warned) > 0 || tt.wantWarn != "" && (len(warned) != 1 || !strings.Contains(warned[0], tt.wantWarn)) {
				t.Errorf("warnings about db-host %q; want %q", warned, tt.wantWarn)
			}
			// The action, once the instance has a name: how to point the
			// application at it without showing its endpoint.
			next := "next, by hand: point the application at " + inst + ": `pulumi config set --secret db-host <its endpoint> --stack "
			if !strings.Contains(r.text(), next) {
				t.Errorf("the verify step does not say %q\n%s", next, r.text())
			}
			in, err := r.world.AWS.Instance(context.Background(), inst)
			if err != nil || in.Status != "available" {
				t.Errorf("AWS shows the created %s as %+v (%v)", inst, in, err)
			}
			if writes["CreateDBInstance"] != 1 || writes["DeleteDBInstance"] != 0 || writes["ModifyDBInstance"] != 0 {
				t.Errorf("AWS writes %v, want one CreateDBInstance and nothing else to an instance", writes)
			}
			exp, err := r.world.Data.Export(context.Background())
			if err != nil || exp.Identifier != inst {
				t.Errorf("the stack's state after the first deploy: %+v (%v)", exp, err)
			}
			events, err := json.Marshal(r.events)
			if err != nil {
				t.Fatal(err)
			}
			if exp.Address == "" || strings.Contains(string(events), exp.Address) {
				t.Errorf("the run's events show the new instance's endpoint %q (the application's db-host to be)", exp.Address)
			}
		})
	}
}
