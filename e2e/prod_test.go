package e2e

// The production-path harness: a git repository laid out as the team's
// (infrastructure/data and infrastructure/application, Pulumi YAML
// programs), the real pulumi CLI, YAML host and test AWS provider from
// tools/pulumi, a local file backend, `datalayer sim` running as its own
// process as AWS, and the built datalayer binary driven as an engineer
// would: --plain with answers typed on stdin, or the full-screen UI in tmux.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/internal/pulumitest"
)

// awsCLI is Debian's AWS CLI v2; an `aws` earlier on PATH may be a v1.
const awsCLI = "/usr/bin/aws"

// Credentials of the test's two AWS principals. The staging keys are the
// ones the engineer exported (and the [planx-staging-pulumi] profile's);
// docker-user is the profile that once silently took over.
const (
	stagingKey    = "AKIAE2ESTAGING000001"
	stagingSecret = "e2e-staging-secret-9f3b1c7d2a"
	stagingARN    = "arn:aws:iam::123456789012:user/planx-staging-pulumi"
	dockerKey     = "AKIAE2EDOCKERUSER001"
	dockerSecret  = "e2e-docker-secret-4e8a0b6c1d"
	dockerARN     = "arn:aws:iam::123456789012:user/docker-user"
	dbPassword    = "e2e-db-password-5c2f9a1e77"
	finalSnapshot = "final-before-deletion"
	paramGroup16  = "staging-postgres16-force-ssl-off"
)

// dataMain is the data program, equivalent to the team's index.ts for
// what the test provider implements: the parameter group that turns
// rds.force_ssl off and the auto-named instance that keeps a final
// snapshot when it is deleted.
const dataMain = `config:
  db-password:
    type: String
    secret: true
resources:
  # The default postgres16 group enforces SSL; our containers connect without it.
  parameterGroup:
    type: aws:rds:ParameterGroup
    properties:
      name: staging-postgres16-force-ssl-off
      family: postgres16
      parameters:
        - name: rds.force_ssl
          value: "0"
          applyMethod: immediate
  # No identifier: Pulumi names the instance "app" plus a random suffix.
  app:
    type: aws:rds:Instance
    properties:
      engine: postgres
      engineVersion: "16.11"
      instanceClass: db.t3.small
      allocatedStorage: 20
      allowMajorVersionUpgrade: true
      username: dbuser
      password: ${db-password}
      skipFinalSnapshot: false
      finalSnapshotIdentifier: final-before-deletion
      publiclyAccessible: true
      storageEncrypted: true
      backupRetentionPeriod: 1
      applyImmediately: true
      parameterGroupName: ${parameterGroup.name}
      maintenanceWindow: Mon:00:00-Mon:03:00
outputs:
  address: ${app.address}
  identifier: ${app.identifier}
`

func dataProject(tools pulumitest.Paths) string {
	return fmt.Sprintf(`name: data
runtime: yaml
description: The data layer, an RDS Postgres instance
config:
  aws:region: eu-west-2
plugins:
  providers:
    - name: aws
      path: %q
`, tools.ProviderDir)
}

const appProject = `name: application
runtime: yaml
description: The application layer; reads the database host from config
config:
  aws:region: eu-west-2
`

const appMain = `config:
  db-host:
    type: String
    secret: true
outputs:
  # The data layer's instance endpoint, e.g. app5ec7032.c9akciq32x1z.eu-west-2.rds.amazonaws.com.
  databaseHost: ${db-host}
`

// prodOptions shape one production-path world.
type prodOptions struct {
	// Deploy is the application's deploy mode in the config: "up" or "ci".
	Deploy string
	// Speed is `datalayer sim --speed`.
	Speed float64
	// Deployed sets the world up as after an earlier deploy: the data stack
	// up with its instance, the application pointing at it, and a manual
	// snapshot of the instance.
	Deployed bool
	// StackProfile sets aws:profile planx-staging-pulumi in the data
	// stack's config, as the team's stacks do.
	StackProfile bool
	// Env adds or overrides environment variables of every command.
	Env map[string]string
	// Config is appended to the datalayer config file.
	Config string
}

// prod is one world of the production path.
type prod struct {
	t       *testing.T
	bin     string
	tools   pulumitest.Paths
	opts    prodOptions
	root    string // the git repository
	dataDir string
	appDir  string
	home    string
	state   string
	simURL  string
	reqLog  string
	simLog  *bytes.Buffer
	env     map[string]string

	// Instance and DBHost are the deployed instance and its endpoint when
	// Deployed; Snapshot is the manual snapshot taken of it.
	Instance string
	DBHost   string
	Snapshot string
}

// newProd builds a world: the sim, the repository, the stacks.
func newProd(t *testing.T, o prodOptions) *prod {
	t.Helper()
	if o.Deploy == "" {
		o.Deploy = "up"
	}
	if o.Speed == 0 {
		o.Speed = 120
	}
	for _, tool := range []string{"git", awsCLI} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: scripts/test.sh installs it (apt-get install git awscli)", tool)
		}
	}
	p := &prod{t: t, bin: binary(t), tools: pulumitest.Tools(t), opts: o, root: t.TempDir(), home: t.TempDir()}
	p.state = filepath.Join(p.home, "state")
	p.dataDir = filepath.Join(p.root, "infrastructure", "data")
	p.appDir = filepath.Join(p.root, "infrastructure", "application")
	p.reqLog = filepath.Join(p.home, "requests.jsonl")
	p.startSim()
	p.env = p.baseEnv()
	for k, v := range o.Env {
		p.env[k] = v
	}
	p.writeAWSFiles()
	p.writeRepo()
	p.writeConfig()
	if o.Deployed {
		p.deployWorld()
	}
	return p
}

// startSim runs `datalayer sim` as its own process and reads its URL.
func (p *prod) startSim() {
	t := p.t
	cmd := exec.Command(p.bin, "sim", "--addr", "127.0.0.1:0", "--speed", fmt.Sprint(p.opts.Speed),
		"--requests-log", p.reqLog, "--caller", dockerKey+"="+dockerARN, "--caller", stagingKey+"="+stagingARN)
	cmd.Env = append(cleanEnviron(), "HOME="+p.home)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.simLog = &bytes.Buffer{}
	cmd.Stderr = p.simLog
	if err := cmd.Start(); err != nil {
		t.Fatalf("start datalayer sim: %v", err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil && !sent {
				urls <- m[1]
				sent = true
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	select {
	case p.simURL = <-urls:
	case <-time.After(60 * time.Second):
		t.Fatalf("datalayer sim did not say where it listens: %s", p.simLog)
	}
}

// cleanEnviron is the test process's environment without anything that
// would reach AWS, Pulumi or datalayer settings of the machine.
func cleanEnviron() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "AWS_"), strings.HasPrefix(k, "PULUMI_"), strings.HasPrefix(k, "DATALAYER_"),
			strings.HasPrefix(k, "XDG_"), k == "HOME", k == "NO_COLOR", k == "TERM":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// baseEnv is the engineer's shell: staging keys exported (the runbook's
// step 1), the sim as AWS, pulumi on PATH, a local backend.
func (p *prod) baseEnv() map[string]string {
	pulumiHome := filepath.Join(p.home, ".pulumi")
	backend := filepath.Join(p.home, "backend")
	for _, d := range []string{pulumiHome, backend, p.state} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			p.t.Fatal(err)
		}
	}
	return map[string]string{
		"HOME":                     p.home,
		"XDG_CONFIG_HOME":          filepath.Join(p.home, ".config"),
		"XDG_STATE_HOME":           filepath.Join(p.home, ".local", "state"),
		"DATALAYER_STATE_DIR":      p.state,
		"PATH":                     p.tools.BinDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"PULUMI_HOME":              pulumiHome,
		"PULUMI_BACKEND_URL":       "file://" + filepath.ToSlash(backend),
		"PULUMI_CONFIG_PASSPHRASE": pulumitest.Passphrase,
		"PULUMI_SKIP_UPDATE_CHECK": "true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		"AWS_ENDPOINT_URL":                            p.simURL,
		"AWS_ACCESS_KEY_ID":                           stagingKey,
		"AWS_SECRET_ACCESS_KEY":                       stagingSecret,
		"AWS_REGION":                                  "eu-west-2",
		"AWS_CONFIG_FILE":                             filepath.Join(p.home, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE":                 filepath.Join(p.home, ".aws", "credentials"),
		"AWS_PAGER":                                   "",
		"NO_COLOR":                                    "1",
	}
}

// environ is env as KEY=VALUE pairs for exec.
func (p *prod) environ(extra map[string]string) []string {
	out := cleanEnviron()
	for k, v := range p.env {
		if _, ok := extra[k]; !ok {
			out = append(out, k+"="+v)
		}
	}
	for k, v := range extra {
		out = append(out, k+"="+v)
	}
	return out
}

func (p *prod) writeAWSFiles() {
	write(p.t, filepath.Join(p.home, ".aws", "credentials"), fmt.Sprintf(
		"[planx-staging-pulumi]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n[docker-user]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		stagingKey, stagingSecret, dockerKey, dockerSecret))
	write(p.t, filepath.Join(p.home, ".aws", "config"), "[profile planx-staging-pulumi]\nregion = eu-west-2\n\n[profile docker-user]\nregion = eu-west-2\n")
}

func (p *prod) writeRepo() {
	t := p.t
	write(t, filepath.Join(p.dataDir, "Pulumi.yaml"), dataProject(p.tools))
	write(t, filepath.Join(p.dataDir, "Main.yaml"), dataMain)
	write(t, filepath.Join(p.appDir, "Pulumi.yaml"), appProject)
	write(t, filepath.Join(p.appDir, "Main.yaml"), appMain)
	write(t, filepath.Join(p.root, "README.md"), "# the team's repository (e2e fixture)\n")
	p.git("init", "-q", "-b", "main")
	p.git("config", "user.name", "On-call Engineer")
	p.git("config", "user.email", "oncall@example.com")
	p.pulumi(p.dataDir, "stack", "init", "staging")
	p.pulumi(p.dataDir, "config", "set", "--secret", "db-password", dbPassword, "--stack", "staging")
	if p.opts.StackProfile {
		p.pulumi(p.dataDir, "config", "set", "aws:profile", "planx-staging-pulumi", "--stack", "staging")
	}
	p.pulumi(p.appDir, "stack", "init", "staging")
	p.git("add", "-A")
	p.git("commit", "-q", "-m", "infrastructure: data and application stacks")
}

func (p *prod) writeConfig() {
	cfg := fmt.Sprintf(`region: eu-west-2
poll_interval: 1s
data:
  dir: infrastructure/data
  project: data
application:
  dir: infrastructure/application
  project: application
  config_key: db-host
  deploy: %s
stacks:
  - name: staging
  - name: production
    production: true
pulumi:
  binary: %q
%s`, p.opts.Deploy, p.tools.Pulumi, p.opts.Config)
	write(p.t, filepath.Join(p.home, ".config", "datalayer", "config.yaml"), cfg)
}

// deployWorld deploys the data stack with the pulumi CLI as the team did
// before datalayer, points the application at the instance, and takes a
// manual snapshot to restore from.
func (p *prod) deployWorld() {
	t := p.t
	p.pulumi(p.dataDir, "up", "--yes", "--skip-preview", "--stack", "staging")
	p.Instance = strings.TrimSpace(p.pulumi(p.dataDir, "stack", "output", "identifier", "--stack", "staging"))
	p.DBHost = strings.TrimSpace(p.pulumi(p.dataDir, "stack", "output", "address", "--stack", "staging"))
	if p.Instance == "" || !strings.HasPrefix(p.DBHost, p.Instance+".") {
		t.Fatalf("the deployed instance %q has address %q", p.Instance, p.DBHost)
	}
	p.pulumi(p.appDir, "config", "set", "--secret", "db-host", p.DBHost, "--stack", "staging")
	p.pulumi(p.appDir, "up", "--yes", "--skip-preview", "--stack", "staging")
	p.Snapshot = p.Instance + "-nightly"
	p.aws("rds", "create-db-snapshot", "--db-instance-identifier", p.Instance, "--db-snapshot-identifier", p.Snapshot)
	p.waitFor("snapshot "+p.Snapshot+" available", 2*time.Minute, func() bool {
		s, ok := p.snapshot(p.Snapshot)
		return ok && s.Status == "available"
	})
	p.waitFor(p.Instance+" available", 2*time.Minute, func() bool {
		in, ok := p.instance(p.Instance)
		return ok && in.Status == "available"
	})
	p.git("add", "-A")
	p.git("commit", "-q", "-m", "application: point db-host at "+p.Instance)
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// run runs a command in dir with the world's environment and fails the
// test when it fails.
func (p *prod) run(dir, name string, args ...string) string {
	p.t.Helper()
	out, err := p.try(dir, name, args...)
	if err != nil {
		p.t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return out
}

func (p *prod) try(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = p.environ(nil)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

func (p *prod) git(args ...string) string { return p.run(p.root, "git", args...) }

func (p *prod) pulumi(dir string, args ...string) string {
	p.t.Helper()
	return p.run(dir, p.tools.Pulumi, append(args, "--non-interactive")...)
}

// aws runs the AWS CLI against the sim with the staging keys, JSON output.
func (p *prod) aws(args ...string) []byte {
	p.t.Helper()
	out, err := p.awsTry(args...)
	if err != nil {
		p.t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (p *prod) awsTry(args ...string) ([]byte, error) {
	cmd := exec.Command(awsCLI, append([]string{"--endpoint-url", p.simURL, "--output", "json"}, args...)...)
	cmd.Env = p.environ(nil)
	return cmd.CombinedOutput()
}

// awsInstance is the part of describe-db-instances the tests read.
type awsInstance struct {
	DBInstanceIdentifier string
	DBInstanceStatus     string
	EngineVersion        string
	DbiResourceID        string `json:"DbiResourceId"`
	DBParameterGroups    []struct{ DBParameterGroupName, ParameterApplyStatus string }
	Endpoint             struct {
		Address string
		Port    int
	}
	PendingModifiedValues map[string]any
	MultiAZ               bool
	PubliclyAccessible    bool
	DBInstanceClass       string
	VpcSecurityGroups     []struct {
		VpcSecurityGroupID string `json:"VpcSecurityGroupId"`
	}
	DBSubnetGroup struct{ DBSubnetGroupName string }
	Status        string `json:"-"`
}

type awsSnapshot struct {
	DBSnapshotIdentifier string
	DBInstanceIdentifier string
	Status               string
	SnapshotType         string
}

// instance describes an instance with the AWS CLI; ok is false when AWS
// says it does not exist.
func (p *prod) instance(id string) (awsInstance, bool) {
	p.t.Helper()
	out, err := p.awsTry("rds", "describe-db-instances", "--db-instance-identifier", id)
	if err != nil {
		if strings.Contains(string(out), "DBInstanceNotFound") {
			return awsInstance{}, false
		}
		p.t.Fatalf("aws rds describe-db-instances %s: %v\n%s", id, err, out)
	}
	var r struct{ DBInstances []awsInstance }
	if err := json.Unmarshal(out, &r); err != nil || len(r.DBInstances) != 1 {
		p.t.Fatalf("describe-db-instances %s: %v\n%s", id, err, out)
	}
	in := r.DBInstances[0]
	in.Status = in.DBInstanceStatus
	return in, true
}

func (p *prod) snapshot(id string) (awsSnapshot, bool) {
	p.t.Helper()
	out, err := p.awsTry("rds", "describe-db-snapshots", "--db-snapshot-identifier", id)
	if err != nil {
		if strings.Contains(string(out), "DBSnapshotNotFound") {
			return awsSnapshot{}, false
		}
		p.t.Fatalf("aws rds describe-db-snapshots %s: %v\n%s", id, err, out)
	}
	var r struct{ DBSnapshots []awsSnapshot }
	if err := json.Unmarshal(out, &r); err != nil || len(r.DBSnapshots) != 1 {
		p.t.Fatalf("describe-db-snapshots %s: %v\n%s", id, err, out)
	}
	return r.DBSnapshots[0], true
}

// parameter returns a parameter's value in a parameter group.
func (p *prod) parameter(group, name string) string {
	p.t.Helper()
	var r struct {
		Parameters []struct{ ParameterName, ParameterValue string }
	}
	if err := json.Unmarshal(p.aws("rds", "describe-db-parameters", "--db-parameter-group-name", group), &r); err != nil {
		p.t.Fatal(err)
	}
	for _, x := range r.Parameters {
		if x.ParameterName == name {
			return x.ParameterValue
		}
	}
	return ""
}

func (p *prod) parameterGroupFamily(group string) string {
	p.t.Helper()
	var r struct {
		DBParameterGroups []struct{ DBParameterGroupFamily string }
	}
	if err := json.Unmarshal(p.aws("rds", "describe-db-parameter-groups", "--db-parameter-group-name", group), &r); err != nil || len(r.DBParameterGroups) != 1 {
		p.t.Fatalf("describe-db-parameter-groups %s: %v", group, err)
	}
	return r.DBParameterGroups[0].DBParameterGroupFamily
}

// waitFor polls cond every 200 ms until it holds or limit passes.
func (p *prod) waitFor(what string, limit time.Duration, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			p.t.Fatalf("gave up after %s waiting for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// requests reads the sim's log of mutating requests.
func (p *prod) requests() []rdssim.LoggedRequest {
	p.t.Helper()
	f, err := os.Open(p.reqLog)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		p.t.Fatal(err)
	}
	defer f.Close()
	l, err := rdssim.ReadRequestLog(f)
	if err != nil {
		p.t.Fatal(err)
	}
	return l
}

// accepted counts the requests AWS accepted, by action, from index from on.
func accepted(reqs []rdssim.LoggedRequest) map[string]int {
	out := map[string]int{}
	for _, r := range reqs {
		if r.OK() {
			out[r.Action]++
		}
	}
	return out
}

// updates counts the stack's updates by kind ("update", "refresh"...) from
// `pulumi stack history`.
func (p *prod) updates(dir string) map[string]int {
	p.t.Helper()
	var hist []struct {
		Kind   string `json:"kind"`
		Result string `json:"result"`
	}
	if err := json.Unmarshal([]byte(p.pulumi(dir, "stack", "history", "--json", "--stack", "staging")), &hist); err != nil {
		p.t.Fatal(err)
	}
	out := map[string]int{}
	for _, h := range hist {
		out[h.Kind]++
		out[h.Kind+":"+h.Result]++
	}
	return out
}

// secrets are the values that must never be shown or written by datalayer.
func (p *prod) secrets(extra ...string) []string {
	s := []string{stagingSecret, dockerSecret, dbPassword}
	if p.DBHost != "" {
		s = append(s, p.DBHost)
	}
	for _, e := range extra {
		if e != "" {
			s = append(s, e)
		}
	}
	return s
}

// noSecrets fails when any secret shows in text (output, journal, report,
// a screen).
func (p *prod) noSecrets(where, text string, secrets []string) {
	p.t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			p.t.Errorf("%s shows the secret %q", where, s)
		}
	}
}

// journals returns the text of every journal in the state directory.
func (p *prod) journals() string {
	p.t.Helper()
	var b strings.Builder
	_ = filepath.WalkDir(p.state, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(path)
			b.Write(data)
		}
		return nil
	})
	return b.String()
}

// ---- driving datalayer --plain ----

// plainPrompt is a prompt as the plain renderer prints it.
type plainPrompt struct {
	Title string
	Lines []string // body and options
	Kind  string   // gate, choice, manual, confirm, text
	// Expect is what a gate asks to be typed.
	Expect string
}

// answerer answers a prompt; ok false takes the default answer.
type answerer func(pp plainPrompt) (answer string, ok bool)

var (
	gateLineRE   = regexp.MustCompile(`^\s+type "(.*)" exactly to go on`)
	promptLineRE = regexp.MustCompile(`^\d\d:\d\d:\d\d \? (.*)$`)
	optionRE     = regexp.MustCompile(`^\s+(\d+)\) (\S+) — `)
)

// defaultAnswer is what an engineer following the recommendations types.
func defaultAnswer(pp plainPrompt) string {
	switch pp.Kind {
	case "gate":
		return pp.Expect
	case "choice":
		for _, l := range pp.Lines {
			if m := optionRE.FindStringSubmatch(l); m != nil && strings.Contains(l, "[recommended") {
				return m[1]
			}
		}
		return "1"
	case "manual":
		return "done checked by the e2e test"
	case "confirm":
		return "yes"
	}
	return ""
}

// plainRun is a running `datalayer ... --plain`.
type plainRun struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	mu     sync.Mutex
	out    strings.Builder
	stderr bytes.Buffer
	done   chan struct{}
	err    error
}

// Output is everything printed so far (stdout, then stderr once ended).
func (r *plainRun) Output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// Kill sends SIGKILL to datalayer (only to it: the pulumi CLI it started
// runs in a process group of its own).
func (r *plainRun) Kill() { _ = r.cmd.Process.Signal(syscall.SIGKILL) }

// Interrupt sends SIGINT, as Ctrl-C in the terminal would.
func (r *plainRun) Interrupt() { _ = r.cmd.Process.Signal(os.Interrupt) }

// Wait waits for the end and returns the exit code.
func (r *plainRun) Wait() int {
	<-r.done
	var ee *exec.ExitError
	switch {
	case r.err == nil:
		return 0
	case errorsAs(r.err, &ee):
		if ee.ExitCode() < 0 {
			return -1 // killed by a signal
		}
		return ee.ExitCode()
	}
	return -2
}

func errorsAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}

// startPlain starts datalayer with --plain in the repository root and
// answers its prompts with answer (nil: the defaults); onLine sees every
// line first (e.g. to kill the process at a chosen moment).
func (p *prod) startPlain(answer answerer, onLine func(line string, r *plainRun), args ...string) *plainRun {
	p.t.Helper()
	cmd := exec.Command(p.bin, append(args, "--plain")...)
	cmd.Dir = p.root
	cmd.Env = p.environ(nil)
	r := &plainRun{cmd: cmd, done: make(chan struct{})}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	r.stdin = stdin
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	cmd.Stderr = &r.stderr
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		var cur *plainPrompt
		for sc.Scan() {
			line := sc.Text()
			r.mu.Lock()
			r.out.WriteString(line + "\n")
			r.mu.Unlock()
			if onLine != nil {
				onLine(line, r)
			}
			if m := promptLineRE.FindStringSubmatch(line); m != nil {
				if strings.Contains(m[1], " → ") {
					cur = nil // answered by a flag or --yes
				} else {
					cur = &plainPrompt{Title: m[1]}
				}
				continue
			}
			if cur == nil {
				continue
			}
			switch {
			case gateLineRE.MatchString(line):
				cur.Kind, cur.Expect = "gate", gateLineRE.FindStringSubmatch(line)[1]
			case strings.Contains(line, "type a value or a number"):
				cur.Kind = "choice"
			case strings.Contains(line, `type "done [note]"`):
				cur.Kind = "manual"
			case strings.HasPrefix(strings.TrimSpace(line), "yes or no"):
				cur.Kind = "confirm"
			case strings.Contains(line, "paste the text, then an empty line"):
				cur.Kind = "text"
			case strings.Contains(line, "try again:"):
				// The answer was refused and the prompt still waits: the
				// test's answer was wrong; it shows in the output.
				continue
			default:
				cur.Lines = append(cur.Lines, line)
				continue
			}
			a, ok := "", false
			if answer != nil {
				a, ok = answer(*cur)
			}
			if !ok {
				a = defaultAnswer(*cur)
			}
			_, _ = io.WriteString(stdin, a+"\n")
			cur = nil
		}
		r.err = cmd.Wait()
		r.mu.Lock()
		r.out.WriteString(r.stderr.String())
		r.mu.Unlock()
	}()
	return r
}

// plain runs datalayer --plain to its end (or limit) and returns its
// output and exit code.
func (p *prod) plain(limit time.Duration, answer answerer, args ...string) (string, int) {
	p.t.Helper()
	r := p.startPlain(answer, nil, args...)
	select {
	case <-r.done:
	case <-time.After(limit):
		_ = r.cmd.Process.Signal(os.Interrupt)
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			r.Kill()
			<-r.done
		}
		p.t.Fatalf("datalayer %s did not finish in %s:\n%s", strings.Join(args, " "), limit, r.Output())
	}
	return r.Output(), r.Wait()
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
}
