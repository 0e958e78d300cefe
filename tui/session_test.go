package tui

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/pulumiclient"
	"github.com/datalayer-tool/datalayer/steps"
)

// scriptedSession is a test fixture of the steps.Session contract: it
// replays a list of events and records the answers it gets. A prompt event
// holds the replay until it is answered, as the engine does.
type scriptedSession struct {
	info   steps.RunInfo
	steps  []steps.StepInfo
	script []steps.Event
	// keepOpen leaves the channel open after the script, so a screen can be
	// looked at mid-run.
	keepOpen bool

	ch      chan steps.Event
	answers chan steps.Answer

	mu       sync.Mutex
	answered []steps.Answer
	done     chan struct{}
}

func newScriptedSession(info steps.RunInfo, list []steps.StepInfo, script []steps.Event, keepOpen bool) *scriptedSession {
	s := &scriptedSession{
		info: info, steps: list, script: script, keepOpen: keepOpen,
		ch:      make(chan steps.Event),
		answers: make(chan steps.Answer, 8),
		done:    make(chan struct{}),
	}
	go s.play()
	return s
}

func (s *scriptedSession) play() {
	defer close(s.done)
	for i, ev := range s.script {
		ev.Seq = int64(i + 1)
		s.ch <- ev
		if ev.Type == steps.EventPrompt && ev.Prompt != nil {
			// The engine would now wait; the next scripted event is the answer.
			a := <-s.answers
			if a.PromptID != ev.Prompt.ID {
				panic(fmt.Sprintf("answer for %q while %q is open", a.PromptID, ev.Prompt.ID))
			}
		}
	}
	if !s.keepOpen {
		close(s.ch)
	}
}

func (s *scriptedSession) Info() steps.RunInfo        { return s.info }
func (s *scriptedSession) Steps() []steps.StepInfo    { return s.steps }
func (s *scriptedSession) Events() <-chan steps.Event { return s.ch }

func (s *scriptedSession) Answer(a steps.Answer) error {
	s.mu.Lock()
	s.answered = append(s.answered, a)
	s.mu.Unlock()
	select {
	case s.answers <- a:
	default:
		return fmt.Errorf("no prompt is waiting for %s", a.PromptID)
	}
	return nil
}

func (s *scriptedSession) Answers() []steps.Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]steps.Answer(nil), s.answered...)
}

// The world of the fixtures: the default world of the simulator.
var (
	t0 = time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)

	stagingInfo = steps.RunInfo{
		RunID: "r-20261125-140000", Runbook: "restore", Stack: "data/staging", Rehearsal: true,
		Identity: &awsclient.Identity{
			Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/planx-staging-pulumi",
			CredentialSource: "EnvConfigCredentials", Region: "eu-west-2",
			Endpoint: "http://127.0.0.1:4566",
		},
	}
	productionInfo = steps.RunInfo{
		RunID: "r-20261125-140000", Runbook: "restore", Stack: "data/production", Production: true,
		Identity: &awsclient.Identity{
			Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/planx-production-pulumi",
			CredentialSource: "SharedConfigCredentials: /home/oncall/.aws/credentials",
			Profile:          "planx-production", Region: "eu-west-2",
		},
	}

	restoreSteps = []steps.StepInfo{
		{ID: "identity", Title: "Check who we are in AWS", Kind: steps.KindCheck, Phase: "prepare",
			Explanation: "Reads the caller identity and the credential source.\n\n- a profile can silently win over env keys\n- check the account before anything else"},
		{ID: "lost", Title: "What was lost?", Kind: steps.KindDecision, Phase: "prepare"},
		{ID: "maintenance", Title: "Turn maintenance mode on", Kind: steps.KindManual, Phase: "prepare"},
		{ID: "pick", Title: "Pick the snapshot", Kind: steps.KindDecision, Phase: "prepare"},
		{ID: "fresh", Title: "Take a fresh snapshot of app5ec7032", Kind: steps.KindWait, Phase: "prepare",
			Explanation: "Takes a **manual snapshot** of the current instance first, so the restore can be undone.\n\n- it runs while the database serves traffic\n- it takes a few minutes",
			Commands:    []string{"aws rds create-db-snapshot --db-instance-identifier app5ec7032 --db-snapshot-identifier pre-restore-20261125"}},
		{ID: "patch", Title: "Add snapshotIdentifier to the program", Kind: steps.KindAction, Phase: "restore"},
		{ID: "preview", Title: "Preview the replacement", Kind: steps.KindCheck, Phase: "restore"},
		{ID: "gate", Title: "Replace the database instance", Kind: steps.KindGate, Phase: "restore", Destructive: true},
		{ID: "up", Title: "pulumi up", Kind: steps.KindAction, Phase: "restore",
			Explanation: "Creates the new instance from the snapshot, then deletes the old one.\n\n- the old instance keeps serving until it is deleted\n- a final snapshot is taken before the delete"},
		{ID: "dbhost", Title: "Point the application at the new host", Kind: steps.KindAction, Phase: "switch traffic"},
		{ID: "redeploy", Title: "Redeploy the application", Kind: steps.KindManual, Phase: "switch traffic"},
		{ID: "verify", Title: "Verify the new instance", Kind: steps.KindCheck, Phase: "switch traffic"},
	}
)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func instance(id, status, version string) *awsclient.Instance {
	return &awsclient.Instance{
		ID: id, Status: status, Engine: "postgres", EngineVersion: version, Class: "db.t3.small",
		Address: id + ".c9akciq32x1z.eu-west-2.rds.amazonaws.com", Port: 5432,
	}
}

var (
	lostPrompt = &steps.Prompt{ID: "p-lost", StepID: "lost", Kind: steps.PromptChoice, Title: "What was lost?",
		Body: "Pick what is missing or broken.",
		Options: []steps.Option{
			{Value: "whole", Label: "The whole database", Recommended: true, Reason: "the instance is gone or unusable"},
			{Value: "critical", Label: "Feature-critical tables (flows, teams, users)"},
			{Value: "isolated", Label: "Isolated tables (feedback, analytics, audit)"},
			{Value: "none", Label: "Nothing needs a restore"},
		}}
	maintenancePrompt = &steps.Prompt{ID: "p-maint", StepID: "maintenance", Kind: steps.PromptManual,
		Title: "Turn maintenance mode on",
		Body:  "Switch the CDN's maintenance page on so nobody writes to the old database.\n\n1. open the CDN dashboard\n2. turn the maintenance switch on"}
	gatePrompt = &steps.Prompt{ID: "p-gate", StepID: "gate", Kind: steps.PromptGate,
		Title:  "Replace app5ec7032 with a restore of pre-release-2026-11-22",
		Body:   "Pulumi will create a new instance from the snapshot, then delete **app5ec7032** (a final snapshot is kept).\n\n    ++ aws:rds/instance:Instance app create-replacement\n    +- aws:rds/instance:Instance app replace\n    -- aws:rds/instance:Instance app delete-replaced",
		Expect: "app5ec7032"}
)

// restoreScript is a restore up to the gate (and, with full, to the end).
func restoreScript(full bool) []steps.Event {
	ev := []steps.Event{
		{Type: steps.EventRunStarted, Time: at(0)},
		{Type: steps.EventStepStarted, StepID: "identity", Time: at(0)},
		{Type: steps.EventOutput, StepID: "identity", Time: at(1), Text: "account 123456789012 as user/planx-staging-pulumi (EnvConfigCredentials)"},
		{Type: steps.EventStepFinished, StepID: "identity", Time: at(2), Elapsed: 2 * time.Second},
		{Type: steps.EventStepStarted, StepID: "lost", Time: at(2)},
		{Type: steps.EventPrompt, StepID: "lost", Time: at(2), Prompt: lostPrompt},
		{Type: steps.EventAnswer, StepID: "lost", Time: at(9), Answer: &steps.Answer{PromptID: "p-lost", Value: "whole"}},
		{Type: steps.EventStepFinished, StepID: "lost", Time: at(9), Elapsed: 7 * time.Second},
		{Type: steps.EventStepStarted, StepID: "maintenance", Time: at(9)},
		{Type: steps.EventPrompt, StepID: "maintenance", Time: at(9), Prompt: maintenancePrompt},
		{Type: steps.EventAnswer, StepID: "maintenance", Time: at(40), Answer: &steps.Answer{PromptID: "p-maint", Value: "done", Note: "switched on at 14:00"}},
		{Type: steps.EventStepFinished, StepID: "maintenance", Time: at(40), Elapsed: 31 * time.Second},
		{Type: steps.EventStepStarted, StepID: "pick", Time: at(40)},
		{Type: steps.EventVariable, StepID: "pick", Time: at(41), Name: "snapshot", Value: "pre-release-2026-11-22"},
		{Type: steps.EventStepFinished, StepID: "pick", Time: at(41), Elapsed: time.Second},
		{Type: steps.EventStepStarted, StepID: "fresh", Time: at(41), Expected: 4 * time.Minute},
		{Type: steps.EventStatus, StepID: "fresh", Time: at(42), Status: &awsclient.Change{Kind: "instance", ID: "app5ec7032", NewStatus: "backing-up", At: at(42), Instance: instance("app5ec7032", "backing-up", "16.13")}},
		{Type: steps.EventStatus, StepID: "fresh", Time: at(42), Status: &awsclient.Change{Kind: "snapshot", ID: "pre-restore-20261125", NewStatus: "creating", At: at(42), Snapshot: &awsclient.Snapshot{ID: "pre-restore-20261125", Status: "creating", PercentProgress: 0}}},
		{Type: steps.EventStatus, StepID: "fresh", Time: at(150), Status: &awsclient.Change{Kind: "snapshot", ID: "pre-restore-20261125", OldStatus: "creating", NewStatus: "creating", At: at(150), Snapshot: &awsclient.Snapshot{ID: "pre-restore-20261125", Status: "creating", PercentProgress: 45}}},
	}
	if !full {
		return ev
	}
	return append(ev, []steps.Event{
		{Type: steps.EventStatus, StepID: "fresh", Time: at(260), Status: &awsclient.Change{Kind: "snapshot", ID: "pre-restore-20261125", OldStatus: "creating", NewStatus: "available", At: at(260), Snapshot: &awsclient.Snapshot{ID: "pre-restore-20261125", Status: "available", PercentProgress: 100}}},
		{Type: steps.EventStatus, StepID: "fresh", Time: at(260), Status: &awsclient.Change{Kind: "instance", ID: "app5ec7032", OldStatus: "backing-up", NewStatus: "available", At: at(260), Instance: instance("app5ec7032", "available", "16.13")}},
		{Type: steps.EventStepFinished, StepID: "fresh", Time: at(261), Elapsed: 220 * time.Second, Expected: 4 * time.Minute},
		{Type: steps.EventStepStarted, StepID: "patch", Time: at(261)},
		{Type: steps.EventOutput, StepID: "patch", Time: at(262), Text: "index.ts: snapshotIdentifier: \"pre-release-2026-11-22\"\ncommitted: restore app from pre-release-2026-11-22 [skip pizza]"},
		{Type: steps.EventStepFinished, StepID: "patch", Time: at(262), Elapsed: time.Second},
		{Type: steps.EventStepStarted, StepID: "preview", Time: at(262)},
		{Type: steps.EventPulumi, StepID: "preview", Time: at(270), Pulumi: &pulumiclient.Progress{URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpCreateReplacement, Status: pulumiclient.StepPlanned, Diffs: []string{"snapshotIdentifier"}}},
		{Type: steps.EventPulumi, StepID: "preview", Time: at(270), Pulumi: &pulumiclient.Progress{URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpReplace, Status: pulumiclient.StepPlanned}},
		{Type: steps.EventPulumi, StepID: "preview", Time: at(270), Pulumi: &pulumiclient.Progress{URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpDeleteReplaced, Status: pulumiclient.StepPlanned}},
		{Type: steps.EventStepFinished, StepID: "preview", Time: at(275), Elapsed: 13 * time.Second},
		{Type: steps.EventStepStarted, StepID: "gate", Time: at(275)},
		{Type: steps.EventPrompt, StepID: "gate", Time: at(275), Prompt: gatePrompt},
		{Type: steps.EventAnswer, StepID: "gate", Time: at(290), Answer: &steps.Answer{PromptID: "p-gate", Value: "app5ec7032"}},
		{Type: steps.EventStepFinished, StepID: "gate", Time: at(290), Elapsed: 15 * time.Second},
		{Type: steps.EventStepStarted, StepID: "up", Time: at(290), Expected: 9 * time.Minute},
		{Type: steps.EventPulumi, StepID: "up", Time: at(291), Pulumi: &pulumiclient.Progress{URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpCreateReplacement, Status: pulumiclient.StepStarted}},
		{Type: steps.EventStatus, StepID: "up", Time: at(300), Status: &awsclient.Change{Kind: "instance", ID: "app3f9a1c2", NewStatus: "creating", At: at(300), Instance: &awsclient.Instance{ID: "app3f9a1c2", Status: "creating", EngineVersion: "16.13"}}},
		{Type: steps.EventStatus, StepID: "up", Time: at(700), Status: &awsclient.Change{Kind: "instance", ID: "app3f9a1c2", OldStatus: "creating", NewStatus: "available", At: at(700), Instance: instance("app3f9a1c2", "available", "16.13")}},
		{Type: steps.EventPulumi, StepID: "up", Time: at(701), Pulumi: &pulumiclient.Progress{URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpCreateReplacement, Status: pulumiclient.StepDone, ID: "app3f9a1c2"}},
		{Type: steps.EventPulumi, StepID: "up", Time: at(701), Pulumi: &pulumiclient.Progress{URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpReplace, Status: pulumiclient.StepDone}},
		{Type: steps.EventPulumi, StepID: "up", Time: at(702), Pulumi: &pulumiclient.Progress{URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpDeleteReplaced, Status: pulumiclient.StepStarted}},
		{Type: steps.EventStatus, StepID: "up", Time: at(705), Status: &awsclient.Change{Kind: "instance", ID: "app5ec7032", OldStatus: "available", NewStatus: "deleting", At: at(705), Instance: instance("app5ec7032", "deleting", "16.13")}},
		{Type: steps.EventStatus, StepID: "up", Time: at(900), Status: &awsclient.Change{Kind: "instance", ID: "app5ec7032", OldStatus: "deleting", Gone: true, At: at(900)}},
		{Type: steps.EventPulumi, StepID: "up", Time: at(901), Pulumi: &pulumiclient.Progress{URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpDeleteReplaced, Status: pulumiclient.StepDone}},
		{Type: steps.EventStepFinished, StepID: "up", Time: at(902), Elapsed: 612 * time.Second, Expected: 9 * time.Minute},
		{Type: steps.EventStepStarted, StepID: "dbhost", Time: at(902)},
		{Type: steps.EventVariable, StepID: "dbhost", Time: at(903), Name: "db-host", Value: "app3f9a1c2.c9akciq32x1z.eu-west-2.rds.amazonaws.com"},
		{Type: steps.EventStepFinished, StepID: "dbhost", Time: at(903), Elapsed: time.Second},
		{Type: steps.EventStepStarted, StepID: "redeploy", Time: at(903)},
		{Type: steps.EventPrompt, StepID: "redeploy", Time: at(903), Prompt: &steps.Prompt{ID: "p-redeploy", StepID: "redeploy", Kind: steps.PromptManual, Title: "Redeploy the application through CI"}},
		{Type: steps.EventAnswer, StepID: "redeploy", Time: at(1000), Answer: &steps.Answer{PromptID: "p-redeploy", Value: "done"}},
		{Type: steps.EventStepFinished, StepID: "redeploy", Time: at(1000), Elapsed: 97 * time.Second},
		{Type: steps.EventStepStarted, StepID: "verify", Time: at(1000)},
		{Type: steps.EventStepFinished, StepID: "verify", Time: at(1004), Elapsed: 4 * time.Second},
		{Type: steps.EventRunFinished, Time: at(1004), Elapsed: 1004 * time.Second},
	}...)
}

func statusChange(kind, id, from, to string, when time.Time) *awsclient.Change {
	c := &awsclient.Change{Kind: kind, ID: id, OldStatus: from, NewStatus: to, At: when}
	if kind == "instance" {
		c.Instance = instance(id, to, "16.13")
	}
	return c
}

// longGatePrompt has a plan longer than an 80×24 screen.
var longGatePrompt = func() *steps.Prompt {
	p := *gatePrompt
	var b strings.Builder
	b.WriteString(p.Body + "\n\nWhat else happens:\n\n")
	for i := 1; i <= 16; i++ {
		fmt.Fprintf(&b, "%d. consequence number %d of replacing the instance\n", i, i)
	}
	p.Body = b.String()
	return &p
}()
