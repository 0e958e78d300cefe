package runbooks

import (
	"fmt"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
)

// waitKind says what AWS is doing while a step waits. It decides how long
// the wait may last and how long "not found" is an acceptable answer.
type waitKind string

const (
	// waitSettle: the instance exists and only has to settle (no change of
	// ours in flight). Not found means it is gone: an error at once.
	waitSettle waitKind = "settle"
	// waitCreate: a create or restore was just asked for; right after, the
	// name may not answer yet.
	waitCreate waitKind = "create"
	// waitRename: the instance answers under its new name once the rename
	// has settled; until then neither name may answer.
	waitRename waitKind = "rename"
	// waitModify: a modification applied now (class, storage, Multi-AZ,
	// parameter group...).
	waitModify waitKind = "modify"
	// waitUpgrade: an engine version upgrade.
	waitUpgrade waitKind = "upgrade"
	// waitMaintenance: pending maintenance applied now.
	waitMaintenance waitKind = "maintenance"
	// waitDelete: the instance is being deleted (with its final snapshot);
	// not found is the goal.
	waitDelete waitKind = "delete"
	// waitSnapshot: a snapshot was asked for (a manual one, or the final
	// snapshot of a delete).
	waitSnapshot waitKind = "snapshot"
	// waitCI: the application's deploy through CI, which needs a person to
	// merge a PR or start a workflow.
	waitCI waitKind = "CI deploy"
)

// waitPolicy is how long a wait may last. The figures are generous on
// purpose: a wait that stops too early on production costs more than one
// that watches a few minutes too long.
type waitPolicy struct {
	kind waitKind
	// usual is what the operation usually takes; past twice this the run
	// says the wait is slow (and keeps watching).
	usual time.Duration
	// limit stops the wait.
	limit time.Duration
	// notFound is how long, from the wait's start, "not found" is an
	// acceptable answer; 0 makes it an error at once.
	notFound time.Duration
	// why says where limit comes from, for the message that stops a wait.
	why string
}

// waitPolicies are the known AWS durations. Sources: the team's runbook
// (a restore is available in about 7 minutes on staging, 4-5 for a console
// restore; the February 2025 major upgrade took about 10 minutes); AWS's
// rename documentation (the new DNS name takes about 10 minutes); and the
// AWS provider's own operation timeouts for an RDS instance (create 40 min,
// update 80 min, delete 60 min), past which Pulumi gives up anyway.
var waitPolicies = map[waitKind]waitPolicy{
	waitSettle:      {usual: 2 * time.Minute, limit: 30 * time.Minute, why: "an instance with no change in flight settles within minutes"},
	waitCreate:      {usual: 7 * time.Minute, limit: time.Hour, notFound: 5 * time.Minute, why: "a restore is usually available in about 7 minutes; the AWS provider gives up on a create after 40 minutes"},
	waitRename:      {usual: 10 * time.Minute, limit: 40 * time.Minute, notFound: 40 * time.Minute, why: "AWS says a rename takes effect in about 10 minutes"},
	waitModify:      {usual: 10 * time.Minute, limit: 90 * time.Minute, why: "the AWS provider gives up on an update after 80 minutes"},
	waitUpgrade:     {usual: 10 * time.Minute, limit: 90 * time.Minute, why: "the last major upgrade took about 10 minutes; the AWS provider gives up on an update after 80 minutes"},
	waitMaintenance: {usual: 15 * time.Minute, limit: 90 * time.Minute, why: "applied maintenance takes minutes to tens of minutes"},
	waitDelete:      {usual: 10 * time.Minute, limit: 70 * time.Minute, why: "the AWS provider gives up on a delete (with its final snapshot) after 60 minutes"},
	waitSnapshot:    {usual: 10 * time.Minute, limit: 2 * time.Hour, notFound: 5 * time.Minute, why: "a snapshot of a small instance takes minutes, of a large one up to an hour or more"},
	waitCI:          {usual: 15 * time.Minute, limit: 3 * time.Hour, why: "a CI deploy waits for a person to approve and merge, then for the workflow"},
}

// waitPolicyFor returns the policy for kind in this step, raised by the step's
// own recorded duration (rehearsal or staging timings) when that is longer:
// the limit is at least four times what the step took before.
func waitPolicyFor(x *engine.Exec, kind waitKind) waitPolicy {
	p, ok := waitPolicies[kind]
	if !ok {
		kind, p = waitSettle, waitPolicies[waitSettle]
	}
	p.kind = kind
	if exp := x.Expected(); exp > 0 {
		if exp > p.usual {
			p.usual = exp
		}
		if 4*exp > p.limit {
			p.limit = 4 * exp
			p.why = fmt.Sprintf("this step took %s in an earlier run", round(exp))
		}
	}
	return p
}

// resumeHint says how to go on after a wait stopped: the AWS CLI's view of
// the resource where there is one to look at (not in a rehearsal, whose
// simulated AWS lives in this process), and resume.
func resumeHint(x *engine.Exec, kind, id string) string {
	resume := "run `datalayer resume " + x.Options().RunID + "` to watch again with a fresh limit"
	if x.Options().Rehearsal || id == "" {
		return resume
	}
	look := "aws rds describe-events --source-type db-instance --source-identifier " + id + " --duration 120"
	if kind == "snapshot" {
		look = "aws rds describe-db-snapshots --db-snapshot-identifier " + id
	}
	return "look at `" + look + "`, then " + resume
}

// Expectations of a wait's change, for the poller. A wait timed in an
// earlier run (a rehearsal's or staging's, in AWS time) is expected to take
// about as long again, give or take a fifth (at least 15 s), and the poller
// spends its budget around then. Otherwise only the policy's usual
// duration is known, which is often far off (a small snapshot takes 3
// minutes of the usual 10): the window then runs from a quarter of it to
// 1.75 times it, where the poller looks at about its sustained rate, and
// backs off past it.
const (
	recordedSpread   = 5
	minRecordedRange = 15 * time.Second
)

// expect is when the change this wait waits for is due.
func expect(x *engine.Exec, key string, pol waitPolicy) awsclient.Expect {
	if d := x.ExpectedWait(key); d > 0 {
		return awsclient.Expect{After: d, Within: max(d/recordedSpread, minRecordedRange)}
	}
	return awsclient.Expect{After: pol.usual, Within: pol.usual * 3 / 4}
}
