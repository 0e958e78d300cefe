package pulumiclient

// Integration tests with the real pulumi CLI (built from the Go module proxy
// by tools/pulumi/build.sh), the YAML language host, the test AWS provider
// and the RDS simulator. They never skip: without the CLI they fail.

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/internal/pulumitest"
)

// itEnv is one integration world: the built tools, an RDS simulator, and
// options for OpenLocal with a local file backend and PULUMI_HOME.
type itEnv struct {
	t     *testing.T
	tools pulumitest.Paths
	sim   *pulumitest.Sim
	rds   *rds.Client
	env   map[string]string
	opts  Options
	root  string
}

func newITEnv(t *testing.T) *itEnv {
	t.Helper()
	tools := pulumitest.Tools(t)
	sim := pulumitest.StartSim(t, "")
	env := pulumitest.Env(t, tools, sim.URL)
	return &itEnv{
		t: t, tools: tools, sim: sim, rds: NewSimRDSClient(sim.URL, "eu-west-2"), env: env, root: t.TempDir(),
		opts: Options{Pulumi: tools.Pulumi, Env: env, NoDownloads: true, Plugins: []Plugin{{Name: "aws", Path: tools.ProviderDir}}},
	}
}

// pulumi runs the CLI in dir, for set-up steps the package does not wrap
// (stack init).
func (e *itEnv) pulumi(dir string, args ...string) string {
	e.t.Helper()
	cmd := exec.Command(e.tools.Pulumi, append(args, "--non-interactive")...)
	cmd.Dir = dir
	cmd.Env = pulumitest.Environ(e.env)
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.t.Fatalf("pulumi %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// project writes a program directory and initialises the staging stack.
func (e *itEnv) project(name string, files map[string]string) string {
	e.t.Helper()
	dir := filepath.Join(e.root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		e.t.Fatal(err)
	}
	for f, body := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
	e.pulumi(dir, "stack", "init", "staging")
	return dir
}

func (e *itEnv) open(dir string) *LocalStack {
	e.t.Helper()
	s, err := OpenLocal(context.Background(), dir, "staging", e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *itEnv) instance(id string) (status string, exists bool) {
	e.t.Helper()
	out, err := e.rds.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil {
		if strings.Contains(err.Error(), "DBInstanceNotFound") {
			return "", false
		}
		e.t.Fatal(err)
	}
	return aws.ToString(out.DBInstances[0].DBInstanceStatus), true
}

func (e *itEnv) snapshotExists(id string) bool {
	e.t.Helper()
	_, err := e.rds.DescribeDBSnapshots(context.Background(), &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(id)})
	if err != nil && strings.Contains(err.Error(), "DBSnapshotNotFound") {
		return false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return true
}

func (e *itEnv) preRelease() string {
	e.t.Helper()
	out, err := e.rds.DescribeDBSnapshots(context.Background(), &rds.DescribeDBSnapshotsInput{DBInstanceIdentifier: aws.String(RehearsalInstanceID)})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, s := range out.DBSnapshots {
		if id := aws.ToString(s.DBSnapshotIdentifier); strings.HasPrefix(id, "pre-release-") {
			return id
		}
	}
	e.t.Fatal("no pre-release snapshot in the simulator")
	return ""
}

func patchProgram(t *testing.T, dir string, edit ProgramEdit) {
	t.Helper()
	p, err := LoadProgram(dir)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := p.Apply(edit)
	if err != nil {
		t.Fatal(err)
	}
	if err := pt.Write(); err != nil {
		t.Fatal(err)
	}
}

// dataProgram mirrors the runbook's data stack: a parameter group with
// rds.force_ssl off and an auto-named instance that takes a final snapshot.
const dataProgram = `name: data
runtime: yaml
description: Integration fixture mirroring the team's data layer
config:
  aws:region: eu-west-2
resources:
  parameterGroup:
    type: aws:rds:ParameterGroup
    properties:
      name: postgres16-force-ssl-off-it
      family: postgres16
      parameters:
        - name: rds.force_ssl
          value: "0"
          applyMethod: immediate
  app:
    type: aws:rds:Instance
    properties:
      engine: postgres
      engineVersion: "16.13"
      instanceClass: db.t3.small
      allocatedStorage: 20
      allowMajorVersionUpgrade: true
      applyImmediately: true
      username: dbuser
      password: ${dbPassword}
      skipFinalSnapshot: false
      finalSnapshotIdentifier: final-before-deletion
      publiclyAccessible: true
      storageEncrypted: true
      backupRetentionPeriod: 1
      parameterGroupName: ${parameterGroup.name}
      maintenanceWindow: Mon:00:00-Mon:03:00
variables:
  dbPassword:
    fn::secret: integration-test-db-password
outputs:
  address: ${app.address}
  identifier: ${app.identifier}
`

const dataStackConfig = `config:
  aws:profile: planx-staging-pulumi
`

const appProgram = `name: application
runtime: yaml
description: Integration fixture for the application layer
config:
  aws:region: eu-west-2
outputs:
  dbHost: ${db-host}
`

// progressLog collects Progress values from a channel.
type progressLog struct {
	mu   sync.Mutex
	all  []Progress
	ch   chan Progress
	done chan struct{}
	on   func(Progress)
}

func newProgressLog(on func(Progress)) *progressLog {
	l := &progressLog{ch: make(chan Progress), done: make(chan struct{}), on: on}
	go func() {
		defer close(l.done)
		for p := range l.ch {
			l.mu.Lock()
			l.all = append(l.all, p)
			l.mu.Unlock()
			if l.on != nil {
				l.on(p)
			}
		}
	}()
	return l
}

func (l *progressLog) close() []Progress {
	close(l.ch)
	<-l.done
	return l.all
}

func instanceOps(ps []Progress) []string {
	var out []string
	for _, p := range ps {
		if p.Type == InstanceType && (p.Status == StepStarted || p.Status == StepDone || p.Status == StepFailed) {
			out = append(out, string(p.Op)+"/"+string(p.Status))
		}
	}
	return out
}

func TestIntegrationDataStack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newITEnv(t)
	dir := e.project("data", map[string]string{"Pulumi.yaml": dataProgram, "Pulumi.staging.yaml": dataStackConfig})
	s := e.open(dir)

	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Project != "data" || info.Stack != "staging" || info.AWSProfile != "planx-staging-pulumi" || info.AWSRegion != "eu-west-2" ||
		!strings.HasPrefix(info.Backend, "file://") {
		t.Errorf("info = %+v", info)
	}

	// Deploy: refresh (preview only), preview, up.
	if _, err := s.Refresh(ctx, true, nil); err != nil {
		t.Fatalf("refresh on an empty stack: %v", err)
	}
	plan, err := s.Preview(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Instance() != InstanceCreated {
		t.Fatalf("first preview: %v %+v", plan.Instance(), plan.Steps)
	}
	log := newProgressLog(nil)
	sum, err := s.Up(ctx, log.ch)
	progress := log.close()
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	if sum.Result != "succeeded" || sum.Changes[OpCreate] != 3 {
		t.Errorf("deploy summary = %+v", sum)
	}
	first, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !newInstanceName.MatchString(first.Identifier) || first.ParameterGroup != "postgres16-force-ssl-off-it" ||
		first.FinalSnapshotIdentifier != "final-before-deletion" || first.SkipFinalSnapshot || first.EngineVersion != "16.13" {
		t.Fatalf("export after deploy = %+v", first)
	}
	if !slices.Contains(first.SecretOutputs, "password") {
		t.Errorf("password not recorded as a secret output: %v", first.SecretOutputs)
	}
	for _, p := range progress {
		if _, ok := p.Outputs["password"]; ok {
			t.Errorf("password leaked into progress: %+v", p)
		}
	}
	if st, ok := e.instance(first.Identifier); !ok || st != "available" {
		t.Fatalf("deployed instance %s: %s %v", first.Identifier, st, ok)
	}
	if ls, err := s.Lock(ctx); err != nil || ls.Locked || len(ls.PendingOperations) > 0 {
		t.Fatalf("lock after deploy = %+v %v", ls, err)
	}

	// Bad input: a snapshot that does not exist. The update fails, the old
	// instance and the state stay.
	patchProgram(t, dir, SetSnapshot("no-such-snapshot"))
	if _, err := s.Up(ctx, nil); err == nil || !strings.Contains(err.Error(), "DBSnapshotNotFound") {
		t.Fatalf("up with a missing snapshot = %v", err)
	}
	if same, _ := s.Export(ctx); same.Identifier != first.Identifier {
		t.Fatalf("state moved after a failed restore: %s", same.Identifier)
	}
	patchProgram(t, dir, SetSnapshot(""))

	// Restore by snapshotIdentifier.
	snap := e.preRelease()
	prog, err := LoadProgram(dir)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := prog.Apply(SetSnapshot(snap))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pt.Diff, "+      snapshotIdentifier: \""+snap+"\"") {
		t.Errorf("diff:\n%s", pt.Diff)
	}
	if err := pt.Write(); err != nil {
		t.Fatal(err)
	}
	prog, _ = LoadProgram(dir)
	set := prog.Settings()
	if err := ReadGuards(&set, &first).Check(e.snapshotExists(set.FinalSnapshotIdentifier)); err != nil {
		t.Fatalf("guards: %v", err)
	}
	plan, err = s.Preview(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckRestorePlan(plan); err != nil {
		t.Fatalf("restore plan: %v\n%+v", err, plan.Steps)
	}
	if k := plan.ReplaceKeys(); !slices.Contains(k, "snapshotIdentifier") {
		t.Errorf("replace keys = %v", k)
	}
	newID := ""
	log = newProgressLog(func(p Progress) {
		if p.Op == OpCreateReplacement && p.Status == StepDone && newID == "" {
			newID, _ = p.Outputs["identifier"].(string)
		}
	})
	sum, err = s.Up(ctx, log.ch)
	progress = log.close()
	if err != nil {
		t.Fatalf("restore up: %v", err)
	}
	wantOps := []string{"create-replacement/started", "create-replacement/done", "replace/started", "replace/done", "delete-replaced/started", "delete-replaced/done"}
	if got := instanceOps(progress); !slices.Equal(got, wantOps) {
		t.Errorf("instance ops = %v\nwant %v", got, wantOps)
	}
	for _, p := range progress {
		if p.Status == StepStarted || p.Status == StepDone {
			if p.Type != InstanceType && p.Op != OpSame && p.Type != "pulumi:pulumi:Stack" {
				t.Errorf("restore touched %s: %s", p.URN, p.Op)
			}
		}
	}
	if sum.Changes[OpReplace] != 1 {
		t.Errorf("restore summary = %+v", sum)
	}
	if !newInstanceName.MatchString(newID) || newID == first.Identifier {
		t.Fatalf("new instance id %q (old %q)", newID, first.Identifier)
	}
	if st, ok := e.instance(newID); !ok || st != "available" {
		t.Errorf("new instance %s: %q exists=%v", newID, st, ok)
	}
	if _, ok := e.instance(first.Identifier); ok {
		t.Errorf("old instance %s still exists", first.Identifier)
	}
	if !e.snapshotExists("final-before-deletion") {
		t.Error("no final snapshot of the old instance")
	}
	after, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Identifier != newID || after.SnapshotIdentifier != snap || after.ResourceID == first.ResourceID {
		t.Errorf("export after restore = %+v", after)
	}
	// The final snapshot's name is now taken: the guard says so before a
	// second replacement would fail half-way.
	if err := ReadGuards(&set, &after).Check(e.snapshotExists(set.FinalSnapshotIdentifier)); err == nil {
		t.Error("guard did not catch the taken final snapshot name")
	}

	// Drift: an out-of-band change in AWS shows in a preview-only refresh.
	e.sim.Sim.Mutate(func(w *rdssim.World) {
		for _, in := range w.Instances {
			if in.ID == newID {
				in.BackupRetention = 7
			}
		}
	})
	log = newProgressLog(nil)
	sum, err = s.Refresh(ctx, true, log.ch)
	progress = log.close()
	if err != nil {
		t.Fatal(err)
	}
	drift := false
	for _, p := range progress {
		if p.Type == InstanceType && slices.Contains(p.Diffs, "backupRetentionPeriod") {
			drift = true
		}
	}
	if !drift || sum.Changes[OpUpdate] != 1 {
		t.Errorf("drift not shown: summary %+v, progress %+v", sum, progress)
	}
	if again, _ := s.Export(ctx); again.BackupRetention != 1 {
		t.Errorf("a preview-only refresh changed the state: retention %d", again.BackupRetention)
	}

	// An interrupted up: cancel mid-update, then kill, leaving the lock
	// and pending operations; detect them, fix, up again.
	// A major upgrade brings a group of the target family (AWS refuses one
	// that keeps the custom postgres16 group).
	prog, err = LoadProgram(dir)
	if err != nil {
		t.Fatal(err)
	}
	upgrade, err := prog.ApplyMajorUpgrade(MajorUpgrade{EngineVersion: "17.6", Family: "postgres17", GroupName: "postgres17-force-ssl-off-it",
		Parameters: []ParameterDecl{{Name: "rds.force_ssl", Value: "0", ApplyMethod: "immediate"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := upgrade.Write(); err != nil {
		t.Fatal(err)
	}
	hard := e.opts
	hard.InterruptGrace = time.Millisecond
	hs, err := OpenLocal(ctx, dir, "staging", hard)
	if err != nil {
		t.Fatal(err)
	}
	upCtx, cancel := context.WithCancel(ctx)
	modifies := e.sim.Sim.RequestCounts()["ModifyDBInstance"]
	var once sync.Once
	log = newProgressLog(func(p Progress) {
		if p.Type == InstanceType && p.Op == OpUpdate && p.Status == StepStarted {
			// Kill once the provider's ModifyDBInstance reached AWS: the
			// engine recorded the pending operation before calling it.
			once.Do(func() {
				go func() {
					for e.sim.Sim.RequestCounts()["ModifyDBInstance"] == modifies && upCtx.Err() == nil {
						time.Sleep(5 * time.Millisecond)
					}
					cancel()
				}()
			})
		}
	})
	_, err = hs.Up(upCtx, log.ch)
	log.close()
	cancel()
	if err == nil {
		t.Fatal("an interrupted up reported success")
	}
	ls, err := s.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !ls.Locked || !strings.Contains(ls.Fix, "pulumi cancel --stack staging") || len(ls.PendingOperations) != 1 ||
		!strings.Contains(ls.Fix, "jq 'del(.deployment.pending_operations)'") {
		t.Fatalf("lock after a killed up = %+v", ls)
	}
	t.Logf("after the killed up: locked=%v pending=%v fix: %s", ls.Locked, ls.PendingOperations, ls.Fix)
	// Bad input: a locked stack refuses an update with the fix.
	if _, err := s.Up(ctx, nil); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "pulumi cancel --stack staging") {
		t.Fatalf("up on a locked stack = %v", err)
	}
	if err := s.Cancel(ctx); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	ls, err = s.Lock(ctx)
	if err != nil || ls.Locked {
		t.Fatalf("still locked after cancel: %+v %v", ls, err)
	}
	t.Logf("after cancel: pending=%v fix: %s", ls.PendingOperations, ls.Fix)
	if len(ls.PendingOperations) > 0 {
		if !strings.Contains(ls.Fix, "pulumi") {
			t.Errorf("pending operations without a fix: %+v", ls)
		}
		n, err := s.ClearPendingOperations(ctx)
		if err != nil || n != len(ls.PendingOperations) {
			t.Fatalf("clear pending = %d %v", n, err)
		}
	}
	// As the fix says: check in AWS what the interrupted update did (wait
	// until the instance settles), then refresh.
	for i := 0; i < 2000; i++ {
		if st, _ := e.instance(instanceID(s, t)); st == "available" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := s.Refresh(ctx, false, nil); err != nil {
		t.Fatalf("refresh after recovery: %v", err)
	}
	sum, err = s.Up(ctx, nil)
	if err != nil || sum.Result != "succeeded" {
		t.Fatalf("up after recovery = %+v %v", sum, err)
	}
	e2, _ := s.Export(ctx)
	out, err := e.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(e2.Identifier)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after recovery: state engineVersion %q actual %q; AWS %s %s", e2.EngineVersion, e2.EngineVersionActual,
		aws.ToString(out.DBInstances[0].EngineVersion), aws.ToString(out.DBInstances[0].DBInstanceStatus))
	if e2.EngineVersion != "17.6" {
		t.Errorf("engine version after recovery = %q", e2.EngineVersion)
	}

	// The ordinary Ctrl-C: cancel mid-update with the default grace. The
	// CLI stops cleanly: the in-flight operation finishes, no lock and no
	// pending operation are left, and the next up has nothing to do.
	patchProgram(t, dir, SetEngineVersion("17.7"))
	upCtx, cancel = context.WithCancel(ctx)
	log = newProgressLog(func(p Progress) {
		if p.Type == InstanceType && p.Op == OpUpdate && p.Status == StepStarted {
			cancel()
		}
	})
	_, err = s.Up(upCtx, log.ch)
	log.close()
	cancel()
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("cancelled up = %v", err)
	}
	if ls, err := s.Lock(ctx); err != nil || ls.Locked || len(ls.PendingOperations) > 0 {
		t.Fatalf("lock after a clean cancel = %+v %v", ls, err)
	}
	if sum, err := s.Up(ctx, nil); err != nil || sum.Result != "succeeded" {
		t.Fatalf("up after a clean cancel = %+v %v", sum, err)
	}
	if e3, _ := s.Export(ctx); e3.EngineVersion != "17.7" {
		t.Errorf("engine version after the clean cancel and up = %q", e3.EngineVersion)
	}
}

// instanceID is the identifier of the stack's instance.
func instanceID(s *LocalStack, t *testing.T) string {
	t.Helper()
	e, err := s.Export(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return e.Identifier
}

func TestIntegrationApplicationConfig(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newITEnv(t)
	dir := e.project("application", map[string]string{"Pulumi.yaml": appProgram})
	s := e.open(dir)
	if err := s.SetConfig(ctx, "db-host", RehearsalDBHost, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Up(ctx, nil); err != nil {
		t.Fatal(err)
	}
	v, secret, err := s.GetConfig(ctx, "db-host")
	if err != nil || v != RehearsalDBHost || !secret {
		t.Fatalf("db-host = %q secret=%v %v", v, secret, err)
	}
	newHost := "app3f9b2c1.c9akciq32x1z.eu-west-2.rds.amazonaws.com"
	if err := s.SetConfig(ctx, "db-host", newHost, true); err != nil {
		t.Fatal(err)
	}
	v, secret, err = s.GetConfig(ctx, "db-host")
	if err != nil || v != newHost || !secret {
		t.Fatalf("db-host after set = %q secret=%v %v", v, secret, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "Pulumi.staging.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "app3f9b2c1") || !strings.Contains(string(b), "secure:") {
		t.Errorf("stack file holds the value in clear:\n%s", b)
	}
	plan, err := s.Preview(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Steps) == 0 {
		t.Errorf("preview after the change has no steps")
	}
	sum, err := s.Up(ctx, nil)
	if err != nil || sum.Result != "succeeded" {
		t.Fatalf("up = %+v %v", sum, err)
	}
	if _, ok := sum.Outputs["dbHost"]; ok {
		t.Errorf("a secret output was returned in clear: %v", sum.Outputs)
	}

	// The ESC form, for a stack that imports an environment.
	esc := filepath.Join(e.root, "application-esc")
	if err := os.MkdirAll(esc, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"Pulumi.yaml": appProgram, "Pulumi.staging.yaml": "environment:\n  - application/staging\n"} {
		if err := os.WriteFile(filepath.Join(esc, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A backend of its own: the project name is the same as above.
	e.env = pulumitest.Env(t, e.tools, e.sim.URL)
	e.opts.Env = e.env
	e.pulumi(esc, "stack", "init", "staging")
	es := e.open(esc)
	args, err := es.EnvSetArgs(ctx, "db-host", newHost, true)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(args, " ")
	if !strings.HasSuffix(got, "/application/staging pulumiConfig.application:db-host "+newHost+" --secret") || !strings.HasPrefix(got, "env set ") {
		t.Errorf("env set command = %q", got)
	}
}

func TestIntegrationBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newITEnv(t)
	dir := e.project("data", map[string]string{"Pulumi.yaml": dataProgram})
	if _, err := OpenLocal(ctx, dir, "production", e.opts); !errors.Is(err, ErrUnknownStack) || !strings.Contains(err.Error(), "existing stacks: staging") {
		t.Errorf("unknown stack = %v", err)
	}
	if _, err := OpenLocal(ctx, t.TempDir(), "staging", e.opts); !errors.Is(err, ErrNotProject) {
		t.Errorf("not a project = %v", err)
	}
	for name, body := range map[string]string{
		"none": strings.Replace(dataProgram, "type: aws:rds:Instance", "type: aws:rds:ParameterGroup", 1),
		"two":  strings.Replace(dataProgram, "variables:", "  replica:\n    type: aws:rds/instance:Instance\n    properties:\n      instanceClass: db.t3.small\nvariables:", 1),
	} {
		d := filepath.Join(e.root, "bad-"+name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(d, "Pulumi.yaml")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadProgram(d)
		want := map[string]error{"none": ErrNoRDSInstance, "two": ErrManyRDSInstances}[name]
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
		if b, _ := os.ReadFile(path); string(b) != body {
			t.Errorf("%s: the program was written", name)
		}
	}
}
