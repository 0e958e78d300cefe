package runbooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// Phases used by the runbooks.
const (
	PhasePrepare = "prepare"
	PhaseDecide  = "decide"
	PhasePlan    = "plan"
	PhaseApply   = "apply"
	PhaseSwitch  = "switch traffic"
	PhaseVerify  = "verify"
)

// secretVars are the secret variables of every runbook: the application's
// db-host and the one that replaces it, both endpoints, and the endpoint of
// the stack's instance when the application names none yet (its db-host
// to be).
var secretVars = []engine.Secret{{Var: "db-host", Endpoint: true}, {Var: "new-db-host", Endpoint: true}, {Var: "instance-host", Endpoint: true}}

func identityStep() *engine.Step {
	return &engine.Step{
		ID: "identity", Title: "Check who we are acting as", Kind: engine.KindCheck, Phase: PhasePrepare,
		Produces: []string{"account", "principal"},
		Explanation: "Asks AWS (STS) which account and principal the credentials in use belong to, and which " +
			"credential source won: environment keys or a shared profile. The team once had Pulumi quietly " +
			"pick up a `docker-user` profile although the right profile was configured, and it took a long " +
			"time to see why. Knowing the identity before anything else rules that out.",
		Commands: []string{"aws sts get-caller-identity", "env | grep -E '^AWS_(PROFILE|REGION|ACCESS_KEY_ID)'"},
		Do: func(x *engine.Exec) error {
			id, err := deps(x).AWS.Identity(x.Ctx())
			if err != nil {
				return fmt.Errorf("ask AWS who we are: %w (check AWS_PROFILE or the exported keys, and AWS_REGION)", err)
			}
			x.Say("account %s, principal %s", id.Account, id.ARN)
			x.Say("credentials from %s%s, region %s", orDefault(id.CredentialSource, "an unknown source"), profileText(id.Profile), orDefault(id.Region, "(none)"))
			if id.Endpoint != "" {
				x.Say("RDS endpoint override: %s", id.Endpoint)
			}
			x.SetIdentity(engine.Identity{
				Account: id.Account, ARN: id.ARN, UserID: id.UserID, CredentialSource: id.CredentialSource,
				Profile: id.Profile, Region: id.Region, Endpoint: id.Endpoint,
			})
			x.Set("account", id.Account)
			x.Set("principal", id.ARN)
			if id.Profile != "" {
				x.Set("aws-profile", id.Profile)
			}
			return nil
		},
	}
}

func profileText(p string) string {
	if p == "" {
		return ""
	}
	return " (profile " + p + ")"
}

// principalName returns the user or role name of an STS ARN.
func principalName(arn string) string {
	i := strings.Index(arn, ":user/")
	if i >= 0 {
		n := arn[i+len(":user/"):]
		return n[strings.LastIndex(n, "/")+1:]
	}
	i = strings.Index(arn, ":assumed-role/")
	if i >= 0 {
		n := arn[i+len(":assumed-role/"):]
		if j := strings.Index(n, "/"); j >= 0 {
			return n[:j]
		}
		return n
	}
	return ""
}

// identityFits reports whether the identity in use is the one the stack's
// aws:profile names.
func identityFits(id awsclient.Identity, profile string) bool {
	if profile == "" {
		return true
	}
	if principalName(id.ARN) == profile {
		return true
	}
	// The profile was loaded and its credentials won (shared keys, SSO, a
	// role): environment keys would have taken over silently otherwise.
	return id.Profile == profile && !strings.HasPrefix(id.CredentialSource, "EnvConfigCredentials")
}

// emptyStackUse says what a runbook does with a stack whose state holds no
// RDS instance.
type emptyStackUse int

const (
	// emptyNeedsDeploy: the runbook needs an instance (upgrade): it stops,
	// saying to deploy first.
	emptyNeedsDeploy emptyStackUse = iota
	// emptyFirstDeploy: the runbook creates the instance (deploy on a new
	// stack): first-deploy is set and the instance is empty.
	emptyFirstDeploy
	// emptyDroppedInstance: the runbook can bring back an instance that was
	// deleted outside Pulumi and that an earlier refresh dropped from the
	// state (restore): the instance is the one named, found gone in AWS
	// with backups left to restore from.
	emptyDroppedInstance
)

// stackStep reads the stack, checks the identities and learns the instance
// the stack manages. empty says what happens when it manages none.
func stackStep(empty emptyStackUse) *engine.Step {
	firstDeploy := empty == emptyFirstDeploy
	explanation := "Reads the selected Pulumi stack, the AWS profile its configuration names (`aws:profile`) " +
		"and the RDS instance it manages. When the profile differs from the identity in use the run stops " +
		"here with the fix, instead of half-way through an update. A stack left locked by an interrupted " +
		"update stops the run too, with the command that clears it."
	if firstDeploy {
		explanation += " A stack that manages no instance yet (never deployed) is a first deploy: the checks " +
			"of an existing instance are skipped and the preview shows what will be created; when the " +
			"application's db-host already names an instance AWS runs, the run stops instead, since a deploy " +
			"would create a second database."
	} else if empty == emptyDroppedInstance {
		explanation += " A stack whose state holds no instance any more, because its instance was deleted outside " +
			"Pulumi and a refresh dropped it, is restored by creating the instance again: the instance is the one " +
			"the application's db-host (or `--instance`) names, once AWS confirms it is gone and has backups of it."
	} else {
		explanation += " A stack that manages no instance yet stops the run: deploy it first."
	}
	return &engine.Step{
		ID: "stack", Title: "Check the stack and its credentials", Kind: engine.KindCheck, Phase: PhasePrepare,
		Needs:       []string{"principal"},
		Produces:    []string{"instance", "final-snapshot"},
		Explanation: explanation,
		Commands:    []string{"pulumi stack select {stack}", "pulumi config get aws:profile --stack {stack}", "pulumi stack export --stack {stack} > stack.json"},
		Do: func(x *engine.Exec) error {
			d := deps(x)
			info, err := d.Data.Info(x.Ctx())
			if err != nil {
				return fmt.Errorf("read stack: %w", err)
			}
			x.Say("stack %s/%s, backend %s", info.Project, info.Stack, orDefault(info.Backend, "(default)"))
			if info.Note != "" {
				x.Say("%s", info.Note)
			}
			if want := x.Options().Stack; info.Stack != "" && info.Stack != want && !strings.HasSuffix(info.Stack, "/"+want) {
				return fmt.Errorf("the selected stack is %q but this run is for %q: run `pulumi stack select %s` in %s, then `datalayer resume`", info.Stack, want, want, d.Data.ProgramDir())
			}
			x.Say("stack config: aws:profile %s, aws:region %s", orDefault(info.AWSProfile, "(not set)"), orDefault(info.AWSRegion, "(not set)"))
			id := x.Info().Identity
			if id != nil && d.PulumiIdentity != nil {
				if err := checkPulumiIdentity(x, awsIdentity(*id), info); err != nil {
					return err
				}
			} else if id != nil {
				if !identityFits(awsIdentity(*id), info.AWSProfile) {
					return fmt.Errorf("wrong credentials: stack %s expects AWS profile %q, but the credentials in use (%s) act as %s. "+
						"Fix: export the access keys of %s (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION=%s) or run with AWS_PROFILE=%s and no AWS_ACCESS_KEY_ID in the environment, then start again",
						info.Stack, info.AWSProfile, orDefault(id.CredentialSource, "unknown source"), id.ARN, info.AWSProfile, orDefault(info.AWSRegion, "eu-west-2"), info.AWSProfile)
				}
				x.Say("the credentials fit the stack's profile")
			}
			if id != nil && info.AWSRegion != "" && id.Region != "" && info.AWSRegion != id.Region {
				return fmt.Errorf("wrong region: stack %s is in %s but the AWS client uses %s: export AWS_REGION=%s (or pass --region %s) and start again", info.Stack, info.AWSRegion, id.Region, info.AWSRegion, info.AWSRegion)
			}
			lock, err := d.Data.Lock(x.Ctx())
			if err != nil {
				return fmt.Errorf("check the stack lock: %w", err)
			}
			if lock.Locked || len(lock.PendingOperations) > 0 {
				return fmt.Errorf("the stack is locked or has pending operations (%s): in %s, %s", strings.Join(lock.PendingOperations, ", "), d.Data.ProgramDir(), orDefault(lock.Fix, "run `pulumi cancel` and `pulumi refresh`"))
			}
			exp, err := d.Data.Export(x.Ctx())
			if errors.Is(err, pulumiclient.ErrNoInstance) {
				if empty == emptyDroppedInstance {
					return droppedInstance(x)
				}
				return emptyStack(x, firstDeploy)
			}
			if err != nil {
				return fmt.Errorf("read the stack export: %w", err)
			}
			inst := exp.Identifier
			if inst == "" && !strings.HasPrefix(exp.ID, "db-") {
				inst = exp.ID
			}
			if inst == "" {
				return errors.New("the stack export has no RDS instance identifier: is this the data stack?")
			}
			x.Say("the stack manages instance %s (state id %s)", inst, exp.ID)
			host := readAppHost(x, "whether the state tracks the application's instance is not checked")
			if host == "" && exp.Address != "" {
				// No db-host to hide endpoints by: the instance's own is
				// the application's db-host to be.
				x.SetSecret("instance-host", exp.Address)
			}
			repaired, err := checkStateMatchesApp(x, exp, host)
			if err != nil {
				return err
			}
			if repaired {
				if exp, err = d.Data.Export(x.Ctx()); err != nil {
					return fmt.Errorf("read the stack export: %w", err)
				}
				inst = exp.Identifier
			}
			x.Set("instance", inst)
			x.Set("state-id", exp.ID)
			x.Set("final-snapshot", exp.FinalSnapshotIdentifier)
			x.Set("code-version", exp.EngineVersion)
			return nil
		},
	}
}

// firstDeploy reports whether the run deploys a stack that manages no
// instance yet (the stack step found none).
func firstDeploy(x *engine.Exec) bool { return x.Get("first-deploy") == "yes" }

// readAppHost reads the application's secret db-host first, so it (and
// every endpoint like it) is hidden from the journal and the screen; ""
// when there is no application stack or it has none. unchecked says what
// goes unchecked when it cannot be read.
func readAppHost(x *engine.Exec, unchecked string) string {
	h, err := appHost(x)
	if err != nil {
		x.Warn("could not read the application's db-host (%v); endpoints are shown, and %s", err, unchecked)
	}
	return h
}

// appHost reads the application's db-host and hides it: "" and no error
// when there is no application stack or its config does not set db-host.
func appHost(x *engine.Exec) (string, error) {
	app := deps(x).App
	if app == nil {
		return "", nil
	}
	h, _, err := app.GetConfig(x.Ctx(), "db-host")
	if errors.Is(err, pulumiclient.ErrConfigNotSet) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if h != "" {
		x.SetSecret("db-host", h)
	}
	return h, nil
}

// endpointInstance returns the RDS instance a db-host names when it is an
// instance's endpoint (<id>.<hash>.<region>.rds.amazonaws.com, maybe with
// a port), "" otherwise: a placeholder (TBD, localhost), another name, or a
// proxy's or cluster's endpoint names no instance to ask AWS about.
func endpointInstance(host string) string {
	h := strings.ToLower(strings.TrimSpace(host))
	if i := strings.LastIndex(h, ":"); i > 0 {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	if !strings.HasSuffix(h, ".rds.amazonaws.com") && !strings.HasSuffix(h, ".rds.amazonaws.com.cn") {
		return ""
	}
	labels := strings.Split(h, ".")
	if len(labels) < 6 || labels[0] == "" || strings.HasPrefix(labels[1], "proxy-") || strings.HasPrefix(labels[1], "cluster-") {
		return ""
	}
	return labels[0]
}

// emptyStack handles a stack whose state holds no RDS instance. A deploy
// (firstDeploy) creates it: the run goes on with first-deploy set and no
// instance, unless the application's db-host names an instance AWS runs (a
// second database would be created beside the one in use). Any other
// runbook needs an instance: it stops, saying to deploy first.
func emptyStack(x *engine.Exec, firstDeploy bool) error {
	d := deps(x)
	stack := x.Options().Stack
	if !firstDeploy {
		return fmt.Errorf("stack %s manages no RDS instance: its state holds no %s (it has never been deployed, or the instance was removed from the state). Nothing was changed. "+
			"A new stack: deploy it first with `datalayer deploy --stack %s`, then run this again; otherwise check the selected stack (`pulumi stack ls` in %s)",
			stack, pulumiclient.InstanceType, stack, d.Data.ProgramDir())
	}
	// Only an instance's endpoint names something AWS may run. No db-host
	// or a placeholder (TBD, localhost) is what a new application has: the
	// verify step says how to point it at the instance once it exists.
	host := readAppHost(x, "whether the application already uses an instance is not checked")
	if want := endpointInstance(host); want != "" {
		in, err := d.AWS.Instance(x.Ctx(), want)
		switch {
		case err == nil:
			return fmt.Errorf("stack %s manages no RDS instance, but the application's db-host points at %s, which AWS runs (resource id %s): a deploy would create a second database beside it. Nothing was changed. "+
				"If %s is this stack's database, %s, then deploy",
				stack, in.ID, in.ResourceID, in.ID, importFirst(x, in.ResourceID))
		case IsNotFound(err):
			x.Warn("the application's db-host points at instance %s, which AWS does not show in this account and region: the application has no database here until it is pointed at the one this deploy creates (the verify step says how)", want)
		default:
			return fmt.Errorf("check the instance the application's db-host points at (%s): %w", want, err)
		}
	}
	x.Say("stack %s manages no RDS instance yet: this is its first deploy, which creates it (the preview shows what)", stack)
	x.Set("first-deploy", "yes")
	setNoStateInstance(x, "")
	return nil
}

// droppedInstance handles, for a restore, a stack whose state holds no RDS
// instance: its instance may have been deleted outside Pulumi and dropped
// from the state by an earlier refresh, and a restore brings it back by
// creating it (the program still declares it). The instance is the one
// --instance names, else the one the application's db-host points at; it
// is taken only when AWS confirms it is gone and keeps something to restore
// it from (retained automated backups, or snapshots). Otherwise the run
// stops, naming what is missing and what to do; nothing is changed.
func droppedInstance(x *engine.Exec) error {
	d := deps(x)
	stack := x.Options().Stack
	inst, from := x.Flag("instance"), "--instance"
	why := "the application stack has no db-host"
	if inst == "" {
		// Only an instance's endpoint names an instance; a placeholder
		// (TBD, localhost) names none.
		if host := readAppHost(x, "the instance it used is not known"); host != "" {
			inst, from = endpointInstance(host), "the application's db-host"
			why = "the application's db-host is not an RDS instance's endpoint"
		}
	}
	if inst == "" {
		return fmt.Errorf("stack %s manages no RDS instance: its state holds no %s, and no instance to restore is known (%s). Nothing was changed. "+
			"If the stack's instance was deleted and a refresh dropped it from the state, name it: `datalayer restore --stack %s --instance NAME` "+
			"(`aws rds describe-db-instance-automated-backups --query 'DBInstanceAutomatedBackups[].DBInstanceIdentifier'` lists deleted instances whose backups AWS kept); "+
			"a new stack: deploy it first with `datalayer deploy --stack %s`",
			stack, pulumiclient.InstanceType, why, stack, stack)
	}
	in, err := d.AWS.Instance(x.Ctx(), inst)
	switch {
	case err == nil:
		return fmt.Errorf("stack %s manages no RDS instance, but %s (named by %s) runs in AWS (resource id %s): the state lost track of it, and a Pulumi restore would create another database beside it. Nothing was changed. "+
			"Fix: %s, then run the restore again",
			stack, in.ID, from, in.ResourceID, importFirst(x, in.ResourceID))
	case !IsNotFound(err):
		return fmt.Errorf("look up %s (named by %s): %w", inst, from, err)
	}
	backups, err := d.AWS.AutomatedBackups(x.Ctx(), inst)
	if err != nil {
		return fmt.Errorf("read the automated backups of %s: %w", inst, err)
	}
	retained := 0
	for _, b := range backups {
		if b.Status == "retained" {
			retained++
		}
	}
	snaps, err := d.AWS.Snapshots(x.Ctx(), inst)
	if err != nil {
		return fmt.Errorf("list the snapshots of %s: %w", inst, err)
	}
	if retained == 0 && len(snaps) == 0 {
		return fmt.Errorf("stack %s manages no RDS instance, and %s (named by %s) is not in AWS, with no retained automated backups and no snapshots: there is nothing of it to restore from. Nothing was changed. "+
			"Check the name (`aws rds describe-db-instance-automated-backups` and `aws rds describe-db-snapshots` list what AWS keeps), then run again with --instance NAME; a new stack: deploy it first with `datalayer deploy --stack %s`",
			stack, inst, from, stack)
	}
	x.Warn("stack %s's state holds no RDS instance: %s (named by %s) was deleted outside Pulumi and an earlier refresh dropped it from the state. AWS keeps %s and %s of it: the restore creates it again from one of them",
		stack, inst, from, plural(retained, "retained automated backup"), plural(len(snaps), "snapshot"))
	x.Set("state-dropped", "yes")
	setNoStateInstance(x, inst)
	return nil
}

// setNoStateInstance sets what the stack step learns of an instance from
// the state when the state holds none: inst (the instance the run is about,
// "" for a first deploy) and no state id, final snapshot or code version.
func setNoStateInstance(x *engine.Exec, inst string) {
	x.Set("instance", inst)
	x.Set("state-id", "")
	x.Set("final-snapshot", "")
	x.Set("code-version", "")
}

// importFirst is the advice for an instance AWS runs that the stack's state
// does not hold: import it under the program's name before any update.
func importFirst(x *engine.Exec, resourceID string) string {
	return fmt.Sprintf("import it under the program's name for it first (`pulumi import %s <name> %s --stack %s` in %s; a preview must then propose no change to it)",
		pulumiclient.InstanceType, resourceID, x.Options().Stack, deps(x).Data.ProgramDir())
}

// checkPulumiIdentity asks who the pulumi CLI's AWS provider will act as
// (the stack's aws:profile, else the environment the CLI is given) and
// stops the run when that is not the identity datalayer acts as and showed:
// the runbook's first gotcha was Pulumi quietly using another profile.
func checkPulumiIdentity(x *engine.Exec, id awsclient.Identity, info pulumiclient.StackInfo) error {
	pid, err := deps(x).PulumiIdentity(x.Ctx(), info.AWSProfile)
	if err != nil {
		if info.AWSProfile != "" {
			return fmt.Errorf("stack %s names AWS profile %q (aws:profile), which Pulumi uses over exported keys, but it does not work here: %w. "+
				"Fix: configure it (`aws configure --profile %s`), or remove aws:profile from Pulumi.%s.yaml and export that identity's keys, then start again",
				info.Stack, info.AWSProfile, err, info.AWSProfile, info.Stack)
		}
		return fmt.Errorf("find out who Pulumi will act as: %w", err)
	}
	if pid.Account != id.Account || pid.ARN != id.ARN {
		why := "the environment the pulumi CLI gets"
		fix := "run datalayer and Pulumi with the same credentials"
		if info.AWSProfile != "" {
			why = fmt.Sprintf("stack %s's aws:profile %q, which the AWS provider uses over exported keys", info.Stack, info.AWSProfile)
			fix = fmt.Sprintf("run with --profile %s (or AWS_PROFILE=%s and no exported keys), or set aws:profile in Pulumi.%s.yaml to the profile you mean", info.AWSProfile, info.AWSProfile, info.Stack)
		}
		return fmt.Errorf("wrong credentials: Pulumi would act as %s (account %s, from %s) but datalayer acts as %s (account %s, %s). Nothing was changed. Fix: %s, then start again",
			pid.ARN, pid.Account, why, id.ARN, id.Account, orDefault(id.CredentialSource, "unknown source"), fix)
	}
	x.Say("Pulumi will act as the same identity (%s%s)", pid.ARN, profileText(info.AWSProfile))
	return nil
}

// upKey is the journal key of a stack update.
func upKey(stack pulumiclient.Stack, step string) string { return "pulumi-up:" + step }

// runUp runs `pulumi up` once. When an earlier session issued it and did
// not see it end (cut off, or failed), it is not simply started again:
// resumeUp finds out from AWS and the stack what it did, repairs the
// state behind a gate, and runs only what is missing (resumed is true).
func runUp(x *engine.Exec, stack pulumiclient.Stack, each func(pulumiclient.Progress)) (sum pulumiclient.Summary, resumed bool, err error) {
	return runUpWith(x, stack, upResume{}, each)
}

// runUpWith is runUp with what the runbook knows for a resume.
func runUpWith(x *engine.Exec, stack pulumiclient.Stack, hooks upResume, each func(pulumiclient.Progress)) (sum pulumiclient.Summary, resumed bool, err error) {
	key := upKey(stack, x.StepID())
	if _, ok := x.Issued(key); ok {
		sum, err = resumeUp(x, stack, hooks, each)
		return sum, true, err
	}
	if err := x.Issue(key, map[string]any{"program": stack.ProgramDir(), "at": x.Clock().Now()}); err != nil {
		return sum, false, err
	}
	sum, err = upOnce(x, stack, each)
	return sum, false, err
}

// upIssuedAt is when an earlier session recorded this step's `pulumi up` as
// issued (zero when it did not).
func upIssuedAt(x *engine.Exec) time.Time {
	facts, ok := x.Issued(upKey(nil, x.StepID()))
	if !ok {
		return time.Time{}
	}
	var f struct {
		At time.Time `json:"at"`
	}
	_ = json.Unmarshal([]byte(facts), &f)
	return f.At
}

// waitForRunningUpdate waits while the pulumi CLI that an interrupted
// session started for key still runs on this machine (by the pid the
// journal recorded, or the one holding the stack's lock). After a SIGKILL
// of datalayer that CLI is finishing its in-flight operations: cancelling
// it, or starting another update, would leave them half done.
func waitForRunningUpdate(x *engine.Exec, stack pulumiclient.Stack, key string) error {
	pid := 0
	// running tells whether the update still runs: by its process, or, when
	// only the lock names it, by the lock (the simulated engine's holder is
	// this very process, whose update is over while the process runs on).
	running := func() bool { return pulumiclient.ProcessRunning(pid, "pulumi") }
	if facts, ok := x.Issued(key + ":process"); ok {
		var f struct {
			PID  int    `json:"pid"`
			Host string `json:"host"`
		}
		_ = json.Unmarshal([]byte(facts), &f)
		if host, _ := os.Hostname(); f.Host == host && pulumiclient.ProcessRunning(f.PID, "pulumi") {
			pid = f.PID
		}
	}
	if pid == 0 {
		if lock, err := stack.Lock(x.Ctx()); err == nil {
			pid = lock.RunningPID
			running = func() bool {
				lock, err := stack.Lock(x.Ctx())
				return err == nil && lock.RunningPID == pid
			}
		}
	}
	if pid == 0 {
		return nil
	}
	x.Warn("the update the interrupted session started is still running (pulumi, pid %d): waiting for it to end — it is neither cancelled nor started again", pid)
	start := x.Clock().Now()
	for running() {
		select {
		case <-x.Ctx().Done():
			return fmt.Errorf("stopped waiting for pulumi (pid %d), which still runs: %w", pid, x.Ctx().Err())
		case <-x.Clock().After(time.Second):
		}
	}
	x.Say("pulumi (pid %d) has ended after %s more", pid, round(x.Clock().Now().Sub(start)))
	return nil
}

func changesText(m map[pulumiclient.Op]int) string {
	if len(m) == 0 {
		return "no changes"
	}
	var parts []string
	for _, k := range sortedOps(m) {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}

func sortedOps(m map[pulumiclient.Op]int) []pulumiclient.Op {
	var ops []pulumiclient.Op
	for k := range m {
		ops = append(ops, k)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i] < ops[j] })
	return ops
}

func refreshStep(id string, previewOnly bool) *engine.Step {
	s := &engine.Step{
		ID: id, Kind: engine.KindCheck, Phase: PhasePlan,
		Commands: []string{"pulumi refresh --stack {stack} --preview-only"},
	}
	if previewOnly {
		s.Title = "Refresh (preview only) to show drift"
		s.Explanation = "Compares what Pulumi last recorded with what really is in AWS, without changing " +
			"Pulumi's state. `up` only diffs against that recorded state, so drift (changes made in the " +
			"console, minor versions AWS applied on its own) is invisible to it until a refresh shows it."
	} else {
		s.Title = "Refresh Pulumi's state from AWS"
		s.Kind = engine.KindAction
		s.Commands = []string{"pulumi refresh --stack {stack} --yes"}
		s.Explanation = "Brings Pulumi's recorded state in line with AWS before the update, as the runbook " +
			"always does before `up`: otherwise the plan is computed against a stale picture."
	}
	s.Do = func(x *engine.Exec) error {
		if firstDeploy(x) {
			return engine.Skip("first deploy: Pulumi's state records nothing yet to compare with AWS")
		}
		if !previewOnly {
			// A refresh writes Pulumi's state: record it like any write.
			if err := x.Issue("pulumi-refresh:"+x.StepID(), map[string]any{"program": deps(x).Data.ProgramDir()}); err != nil {
				return err
			}
		}
		ch, wait := progress(x, nil)
		sum, err := deps(x).Data.Refresh(x.Ctx(), previewOnly, ch)
		close(ch)
		wait()
		if err != nil {
			return fmt.Errorf("pulumi refresh: %w", err)
		}
		drift := 0
		for op, n := range sum.Changes {
			if op != pulumiclient.OpSame {
				drift += n
			}
		}
		if drift == 0 {
			x.Say("no drift: AWS matches Pulumi's state")
		} else {
			x.Warn("drift: %s (Pulumi's state differs from AWS)", changesText(sum.Changes))
		}
		return nil
	}
	return s
}

func planText(p pulumiclient.Plan) string {
	var b strings.Builder
	for _, s := range p.Steps {
		if s.Op == pulumiclient.OpSame {
			continue
		}
		fmt.Fprintf(&b, "- %s %s %s", s.Op, s.Type, s.Name)
		if len(s.Keys) > 0 {
			fmt.Fprintf(&b, " (replaced because of %s)", strings.Join(s.Keys, ", "))
		} else if len(s.Diffs) > 0 {
			fmt.Fprintf(&b, " (changes %s)", strings.Join(s.Diffs, ", "))
		}
		b.WriteString("\n")
	}
	if b.Len() == 0 {
		return "no changes\n"
	}
	return b.String()
}

// replacesInstance reports whether a plan deletes or replaces the instance.
func replacesInstance(p pulumiclient.Plan) bool {
	for _, s := range p.Steps {
		if s.Type != pulumiclient.InstanceType {
			continue
		}
		switch s.Op {
		case pulumiclient.OpReplace, pulumiclient.OpDelete, pulumiclient.OpDeleteReplaced, pulumiclient.OpCreateReplacement:
			return true
		}
	}
	return false
}

func hasChanges(p pulumiclient.Plan) bool {
	for _, s := range p.Steps {
		if s.Op != pulumiclient.OpSame && s.Op != "" {
			return true
		}
	}
	for op, n := range p.Changes {
		if op != pulumiclient.OpSame && n > 0 {
			return true
		}
	}
	return false
}

func previewStep(id, title string, check func(x *engine.Exec, p pulumiclient.Plan) error) *engine.Step {
	return &engine.Step{
		ID: id, Title: title, Kind: engine.KindCheck, Phase: PhasePlan,
		Produces: []string{"changes", "replaces-instance"},
		Commands: []string{"pulumi stack", "pulumi preview --stack {stack} --diff"},
		Explanation: "Shows exactly what `up` would do, resource by resource. Replacing or deleting the RDS " +
			"instance is the one thing to look for: it means a new instance with a new name and the old one " +
			"deleted after its final snapshot.",
		Do: func(x *engine.Exec) error {
			ch, wait := progress(x, nil)
			plan, err := deps(x).Data.Preview(x.Ctx(), ch)
			close(ch)
			wait()
			if err != nil {
				return fmt.Errorf("pulumi preview: %w", err)
			}
			for _, l := range strings.Split(strings.TrimRight(planText(plan), "\n"), "\n") {
				x.Say("%s", l)
			}
			x.Set("plan", strings.TrimSpace(planText(plan)))
			x.Set("changes", yesNo(hasChanges(plan)))
			x.Set("replaces-instance", yesNo(replacesInstance(plan)))
			if check != nil {
				return check(x, plan)
			}
			return nil
		},
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func upStep(id, title string) *engine.Step {
	return &engine.Step{
		ID: id, Title: title, Kind: engine.KindAction, Phase: PhaseApply,
		If:       []engine.Cond{{Var: "changes", Values: []string{"yes"}}},
		Commands: []string{"pulumi up --stack {stack}"},
		Explanation: "Applies the program to AWS and streams Pulumi's progress. Pulumi only compares with its " +
			"recorded state, which is why the refresh came first.",
		Do: func(x *engine.Exec) error {
			_, _, err := runUp(x, deps(x).Data, nil)
			return err
		},
	}
}

func gateUpStep(id string, conds []engine.Cond, what string) *engine.Step {
	return &engine.Step{
		ID: id, Title: "Confirm the update", Kind: engine.KindGate, Phase: PhaseApply, Destructive: true, If: conds,
		Explanation: "Nothing has changed yet. Type the name asked for to let `pulumi up` apply the plan shown.",
		Do: func(x *engine.Exec) error {
			inst := "instance **" + x.Get("instance") + "**"
			if firstDeploy(x) {
				inst = "a first deploy: the instance is created (Pulumi names it)"
			}
			body := fmt.Sprintf("%s\n\nStack **%s**, %s. The plan:\n\n%s", what, x.Options().Stack, inst, x.Get("plan"))
			exp := x.Options().Stack
			title := "Apply this plan to " + x.Options().Stack + "?"
			if d := x.Get("destructive"); d != "" {
				// A plan that replaces or deletes asks for the instance's
				// name (the stack's on production), after saying so first.
				body = fmt.Sprintf("**This plan %s.**\n\n%s", strings.ReplaceAll(d, "; ", ", and "), body)
				exp = x.GateExpect(x.Get("instance"))
				title = "This plan replaces or deletes resources. Type " + exp + " to apply it"
			}
			return x.Gate("confirm", title, body, exp)
		},
	}
}

type pulumiPlan = pulumiclient.Plan
