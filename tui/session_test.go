package tui

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// scriptedSession is a test fixture of the engine.Session contract: it
// replays a list of events and records the answers it gets. A prompt event
// holds the replay until it is answered, as the engine does.
type scriptedSession struct {
	info   engine.RunInfo
	steps  []engine.StepInfo
	script []engine.Event
	// keepOpen leaves the channel open after the script, so a screen can be
	// looked at mid-run.
	keepOpen bool

	ch      chan engine.Event
	answers chan engine.Answer

	mu       sync.Mutex
	answered []engine.Answer
	done     chan struct{}
}

func newScriptedSession(info engine.RunInfo, list []engine.StepInfo, script []engine.Event, keepOpen bool) *scriptedSession {
	s := &scriptedSession{
		info: info, steps: list, script: script, keepOpen: keepOpen,
		ch:      make(chan engine.Event),
		answers: make(chan engine.Answer, 8),
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
		if ev.Type == engine.EventPrompt && ev.Prompt != nil {
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

func (s *scriptedSession) Info() engine.RunInfo        { return s.info }
func (s *scriptedSession) Steps() []engine.StepInfo    { return s.steps }
func (s *scriptedSession) Events() <-chan engine.Event { return s.ch }

func (s *scriptedSession) Answer(a engine.Answer) error {
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

func (s *scriptedSession) Answers() []engine.Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]engine.Answer(nil), s.answered...)
}

// The world of the fixtures: the default world of the simulator.
var (
	t0 = time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)

	stagingInfo = engine.RunInfo{
		RunID: "r-20261125-140000", Runbook: "restore", Stack: "data/staging", Rehearsal: true,
		Identity: &engine.Identity{
			Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/planx-staging-pulumi",
			CredentialSource: "EnvConfigCredentials", Region: "eu-west-2",
			Endpoint: "http://127.0.0.1:4566",
		},
	}
	productionInfo = engine.RunInfo{
		RunID: "r-20261125-140000", Runbook: "restore", Stack: "data/production", Production: true,
		Identity: &engine.Identity{
			Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/planx-production-pulumi",
			CredentialSource: "SharedConfigCredentials: /home/oncall/.aws/credentials",
			Profile:          "planx-production", Region: "eu-west-2",
		},
	}

	restoreSteps = []engine.StepInfo{
		{ID: "identity", Title: "Check who we are in AWS", Kind: engine.KindCheck, Phase: "prepare",
			Explanation: "Reads the caller identity and the credential source.\n\n- a profile can silently win over env keys\n- check the account before anything else"},
		{ID: "lost", Title: "What was lost?", Kind: engine.KindDecision, Phase: "prepare"},
		{ID: "maintenance", Title: "Turn maintenance mode on", Kind: engine.KindManual, Phase: "prepare"},
		{ID: "pick", Title: "Pick the snapshot", Kind: engine.KindDecision, Phase: "prepare"},
		{ID: "fresh", Title: "Take a fresh snapshot of app5ec7032", Kind: engine.KindWait, Phase: "prepare",
			Explanation: "Takes a **manual snapshot** of the current instance first, so the restore can be undone.\n\n- it runs while the database serves traffic\n- it takes a few minutes",
			Commands:    []string{"aws rds create-db-snapshot --db-instance-identifier app5ec7032 --db-snapshot-identifier pre-restore-20261125"}},
		{ID: "patch", Title: "Add snapshotIdentifier to the program", Kind: engine.KindAction, Phase: "restore"},
		{ID: "preview", Title: "Preview the restore", Kind: engine.KindCheck, Phase: "restore"},
		{ID: "gate", Title: "Replace the database instance", Kind: engine.KindGate, Phase: "restore", Destructive: true},
		{ID: "up", Title: "pulumi up", Kind: engine.KindAction, Phase: "restore",
			Explanation: "Creates the new instance from the snapshot, then deletes the old one.\n\n- the old instance keeps serving until it is deleted\n- a final snapshot is taken before the delete"},
		{ID: "dbhost", Title: "Point the application at the new host", Kind: engine.KindAction, Phase: "switch traffic"},
		{ID: "redeploy", Title: "Redeploy the application", Kind: engine.KindManual, Phase: "switch traffic"},
		{ID: "verify", Title: "Verify the new instance", Kind: engine.KindCheck, Phase: "switch traffic"},
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
	lostPrompt = &engine.Prompt{ID: "p-lost", StepID: "lost", Kind: engine.PromptChoice, Title: "What was lost?",
		Body: "Pick what is missing or broken.",
		Options: []engine.Option{
			{Value: "whole", Label: "The whole database", Recommended: true, Reason: "the instance is gone or unusable"},
			{Value: "critical", Label: "Feature-critical tables (flows, teams, users)"},
			{Value: "isolated", Label: "Isolated tables (feedback, analytics, audit)"},
			{Value: "none", Label: "Nothing needs a restore"},
		}}
	maintenancePrompt = &engine.Prompt{ID: "p-maint", StepID: "maintenance", Kind: engine.PromptManual,
		Title: "Turn maintenance mode on",
		Body:  "Switch the CDN's maintenance page on so nobody writes to the old database.\n\n1. open the CDN dashboard\n2. turn the maintenance switch on"}
	gatePrompt = &engine.Prompt{ID: "p-gate", StepID: "gate", Kind: engine.PromptGate,
		Title:  "Replace app5ec7032 with a restore of pre-release-2026-11-22",
		Body:   "Pulumi will create a new instance from the snapshot, then delete **app5ec7032** (a final snapshot is kept).\n\n    ++ aws:rds/instance:Instance app create-replacement\n    +- aws:rds/instance:Instance app replace\n    -- aws:rds/instance:Instance app delete-replaced",
		Expect: "app5ec7032"}
)

// restoreScript is a restore up to the gate (and, with full, to the end).
func restoreScript(full bool) []engine.Event {
	ev := []engine.Event{
		{Type: engine.EventRunStarted, Time: at(0)},
		{Type: engine.EventStepStarted, StepID: "identity", Time: at(0)},
		{Type: engine.EventOutput, StepID: "identity", Time: at(1), Text: "account 123456789012 as user/planx-staging-pulumi (EnvConfigCredentials)"},
		{Type: engine.EventStepFinished, StepID: "identity", Time: at(2), Elapsed: 2 * time.Second},
		{Type: engine.EventStepStarted, StepID: "lost", Time: at(2)},
		{Type: engine.EventPrompt, StepID: "lost", Time: at(2), Prompt: lostPrompt},
		{Type: engine.EventAnswer, StepID: "lost", Time: at(9), Answer: &engine.Answer{PromptID: "p-lost", Value: "whole"}},
		{Type: engine.EventStepFinished, StepID: "lost", Time: at(9), Elapsed: 7 * time.Second},
		{Type: engine.EventStepStarted, StepID: "maintenance", Time: at(9)},
		{Type: engine.EventPrompt, StepID: "maintenance", Time: at(9), Prompt: maintenancePrompt},
		{Type: engine.EventAnswer, StepID: "maintenance", Time: at(40), Answer: &engine.Answer{PromptID: "p-maint", Value: "done", Note: "switched on at 14:00"}},
		{Type: engine.EventStepFinished, StepID: "maintenance", Time: at(40), Elapsed: 31 * time.Second},
		{Type: engine.EventStepStarted, StepID: "pick", Time: at(40)},
		{Type: engine.EventVariable, StepID: "pick", Time: at(41), Name: "snapshot", Value: "pre-release-2026-11-22"},
		{Type: engine.EventStepFinished, StepID: "pick", Time: at(41), Elapsed: time.Second},
		{Type: engine.EventStepStarted, StepID: "fresh", Time: at(41), Expected: 4 * time.Minute},
		{Type: engine.EventStatus, StepID: "fresh", Time: at(42), Status: sampleOf(awsclient.Change{Kind: "instance", ID: "app5ec7032", NewStatus: "backing-up", At: at(42), Instance: instance("app5ec7032", "backing-up", "16.13")})},
		{Type: engine.EventStatus, StepID: "fresh", Time: at(42), Status: sampleOf(awsclient.Change{Kind: "snapshot", ID: "pre-restore-20261125", NewStatus: "creating", At: at(42), Snapshot: &awsclient.Snapshot{ID: "pre-restore-20261125", Status: "creating", PercentProgress: 0}})},
		{Type: engine.EventStatus, StepID: "fresh", Time: at(150), Status: sampleOf(awsclient.Change{Kind: "snapshot", ID: "pre-restore-20261125", OldStatus: "creating", NewStatus: "creating", At: at(150), Snapshot: &awsclient.Snapshot{ID: "pre-restore-20261125", Status: "creating", PercentProgress: 45}})},
	}
	if !full {
		return ev
	}
	return append(ev, []engine.Event{
		{Type: engine.EventStatus, StepID: "fresh", Time: at(260), Status: sampleOf(awsclient.Change{Kind: "snapshot", ID: "pre-restore-20261125", OldStatus: "creating", NewStatus: "available", At: at(260), Snapshot: &awsclient.Snapshot{ID: "pre-restore-20261125", Status: "available", PercentProgress: 100}})},
		{Type: engine.EventStatus, StepID: "fresh", Time: at(260), Status: sampleOf(awsclient.Change{Kind: "instance", ID: "app5ec7032", OldStatus: "backing-up", NewStatus: "available", At: at(260), Instance: instance("app5ec7032", "available", "16.13")})},
		{Type: engine.EventStepFinished, StepID: "fresh", Time: at(261), Elapsed: 220 * time.Second, Expected: 4 * time.Minute},
		{Type: engine.EventStepStarted, StepID: "patch", Time: at(261)},
		{Type: engine.EventOutput, StepID: "patch", Time: at(262), Text: "index.ts: snapshotIdentifier: \"pre-release-2026-11-22\"\ncommitted: restore app from pre-release-2026-11-22 [skip pizza]"},
		{Type: engine.EventStepFinished, StepID: "patch", Time: at(262), Elapsed: time.Second},
		{Type: engine.EventStepStarted, StepID: "preview", Time: at(262)},
		{Type: engine.EventPulumi, StepID: "preview", Time: at(270), Pulumi: stepOf(pulumiclient.Progress{URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpCreateReplacement, Status: pulumiclient.StepPlanned, Diffs: []string{"snapshotIdentifier"}})},
		{Type: engine.EventPulumi, StepID: "preview", Time: at(270), Pulumi: stepOf(pulumiclient.Progress{URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpReplace, Status: pulumiclient.StepPlanned})},
		{Type: engine.EventPulumi, StepID: "preview", Time: at(270), Pulumi: stepOf(pulumiclient.Progress{URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpDeleteReplaced, Status: pulumiclient.StepPlanned})},
		{Type: engine.EventStepFinished, StepID: "preview", Time: at(275), Elapsed: 13 * time.Second},
		{Type: engine.EventStepStarted, StepID: "gate", Time: at(275)},
		{Type: engine.EventPrompt, StepID: "gate", Time: at(275), Prompt: gatePrompt},
		{Type: engine.EventAnswer, StepID: "gate", Time: at(290), Answer: &engine.Answer{PromptID: "p-gate", Value: "app5ec7032"}},
		{Type: engine.EventStepFinished, StepID: "gate", Time: at(290), Elapsed: 15 * time.Second},
		{Type: engine.EventStepStarted, StepID: "up", Time: at(290), Expected: 9 * time.Minute},
		{Type: engine.EventPulumi, StepID: "up", Time: at(291), Pulumi: stepOf(pulumiclient.Progress{URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpCreateReplacement, Status: pulumiclient.StepStarted})},
		{Type: engine.EventStatus, StepID: "up", Time: at(300), Status: sampleOf(awsclient.Change{Kind: "instance", ID: "app3f9a1c2", NewStatus: "creating", At: at(300), Instance: &awsclient.Instance{ID: "app3f9a1c2", Status: "creating", EngineVersion: "16.13"}})},
		{Type: engine.EventStatus, StepID: "up", Time: at(700), Status: sampleOf(awsclient.Change{Kind: "instance", ID: "app3f9a1c2", OldStatus: "creating", NewStatus: "available", At: at(700), Instance: instance("app3f9a1c2", "available", "16.13")})},
		{Type: engine.EventPulumi, StepID: "up", Time: at(701), Pulumi: stepOf(pulumiclient.Progress{URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpCreateReplacement, Status: pulumiclient.StepDone, ID: "app3f9a1c2"})},
		{Type: engine.EventPulumi, StepID: "up", Time: at(701), Pulumi: stepOf(pulumiclient.Progress{URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpReplace, Status: pulumiclient.StepDone})},
		{Type: engine.EventPulumi, StepID: "up", Time: at(702), Pulumi: stepOf(pulumiclient.Progress{URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpDeleteReplaced, Status: pulumiclient.StepStarted})},
		{Type: engine.EventStatus, StepID: "up", Time: at(705), Status: sampleOf(awsclient.Change{Kind: "instance", ID: "app5ec7032", OldStatus: "available", NewStatus: "deleting", At: at(705), Instance: instance("app5ec7032", "deleting", "16.13")})},
		{Type: engine.EventStatus, StepID: "up", Time: at(900), Status: sampleOf(awsclient.Change{Kind: "instance", ID: "app5ec7032", OldStatus: "deleting", Gone: true, At: at(900)})},
		{Type: engine.EventPulumi, StepID: "up", Time: at(901), Pulumi: stepOf(pulumiclient.Progress{URN: "urn:app", Type: pulumiclient.InstanceType, Name: "app", Op: pulumiclient.OpDeleteReplaced, Status: pulumiclient.StepDone})},
		{Type: engine.EventStepFinished, StepID: "up", Time: at(902), Elapsed: 612 * time.Second, Expected: 9 * time.Minute},
		{Type: engine.EventStepStarted, StepID: "dbhost", Time: at(902)},
		{Type: engine.EventVariable, StepID: "dbhost", Time: at(903), Name: "db-host", Value: "app3f9a1c2.c9akciq32x1z.eu-west-2.rds.amazonaws.com"},
		{Type: engine.EventStepFinished, StepID: "dbhost", Time: at(903), Elapsed: time.Second},
		{Type: engine.EventStepStarted, StepID: "redeploy", Time: at(903)},
		{Type: engine.EventPrompt, StepID: "redeploy", Time: at(903), Prompt: &engine.Prompt{ID: "p-redeploy", StepID: "redeploy", Kind: engine.PromptManual, Title: "Redeploy the application through CI"}},
		{Type: engine.EventAnswer, StepID: "redeploy", Time: at(1000), Answer: &engine.Answer{PromptID: "p-redeploy", Value: "done"}},
		{Type: engine.EventStepFinished, StepID: "redeploy", Time: at(1000), Elapsed: 97 * time.Second},
		{Type: engine.EventStepStarted, StepID: "verify", Time: at(1000)},
		{Type: engine.EventStepFinished, StepID: "verify", Time: at(1004), Elapsed: 4 * time.Second},
		{Type: engine.EventRunFinished, Time: at(1004), Elapsed: 1004 * time.Second},
	}...)
}

func statusChange(kind, id, from, to string, when time.Time) *engine.Sample {
	c := awsclient.Change{Kind: kind, ID: id, OldStatus: from, NewStatus: to, At: when}
	if kind == "instance" {
		c.Instance = instance(id, to, "16.13")
	}
	return sampleOf(c)
}

// longGatePrompt has a plan longer than an 80×24 screen.
var longGatePrompt = func() *engine.Prompt {
	p := *gatePrompt
	var b strings.Builder
	b.WriteString(p.Body + "\n\nWhat else happens:\n\n")
	for i := 1; i <= 16; i++ {
		fmt.Fprintf(&b, "%d. consequence number %d of replacing the instance\n", i, i)
	}
	p.Body = b.String()
	return &p
}()
