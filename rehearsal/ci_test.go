package rehearsal

import (
	"context"
	"strings"
	"testing"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/internal/pulumitest"
)

// answerNote returns the note of the answer to prompt id.
func (r result) answerNote(id string) (string, bool) {
	for _, e := range r.events {
		if e.Type == engine.EventAnswer && e.Answer != nil && e.Answer.PromptID == id {
			return e.Answer.Note, true
		}
	}
	return "", false
}

// The application's redeploy through CI completes on evidence: a new
// successful update of the application stack that deployed the new
// db-host (the rehearsal's simulated CI makes it). --yes does not tick it.
func TestCIRedeployCompletesOnTheApplicationsHistory(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "pulumi", "lost": "whole"}}, nil)
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	note, ok := r.answerNote("redeploy-app/ci")
	if !ok || !strings.HasPrefix(note, "seen by the program: update #2 of the application stack succeeded") {
		t.Fatalf("redeploy-app was not completed by the application's history: %q\n%s", note, r.text())
	}
	hs, err := r.world.App.History(context.Background(), 5, true)
	if err != nil || len(hs) < 2 {
		t.Fatalf("application history %v, %v", hs, err)
	}
	newID, _ := r.run.Var("new-instance")
	if hs[0].Result != "succeeded" || !strings.HasPrefix(hs[0].Config["application:db-host"], newID+".") {
		t.Fatalf("the newest application update did not deploy the new db-host: %+v", hs[0])
	}
	if !r.finished("redeploy-app") || !r.finished("old-gone") {
		t.Fatalf("the restore did not go on after the deploy\n%s", r.text())
	}
}

// The manual path stays: a person who deployed another way ticks it, and
// the run says the program did not see it.
func TestCIRedeployTickedByHand(t *testing.T) {
	r := runHeadless(t, engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "pulumi", "lost": "whole"}},
		answerer{"redeploy-app/ci": {Value: "done", Note: "deployed from the console"}})
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	if !r.finished("redeploy-app") || !strings.Contains(r.text(), "ticked by hand: the application stack's history does not show the deploy") {
		t.Fatalf("the hand tick was not taken, or not marked as such\n%s", r.text())
	}
}

// On the real pulumi CLI with its file backend, whose `pulumi stack
// history --json` numbers every update 0, the watch sees the simulated
// CI's deploy by its start time and the restore goes on. Before, it
// looked for an update numbered after the one before the change and
// waited until its limit (3 hours of AWS time).
func TestCIRedeploySeenOnAFileBackend(t *testing.T) {
	tools := pulumitest.Tools(t)
	r := runHeadlessOn(t, engine.Options{Runbook: "restore", Yes: true, Flags: map[string]string{"method": "pulumi", "lost": "whole"}}, nil, nil, Engine{Name: EnginePulumi, Pulumi: tools.Pulumi})
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.text())
	}
	hs, err := r.world.App.History(context.Background(), 5, true)
	if err != nil || len(hs) < 2 {
		t.Fatalf("application history %v, %v", hs, err)
	}
	for _, h := range hs {
		if h.Version != 0 {
			t.Fatalf("the file backend numbered an update %d: this test no longer shows the DIY backend's history", h.Version)
		}
	}
	note, ok := r.answerNote("redeploy-app/ci")
	if !ok || !strings.HasPrefix(note, "seen by the program: the update started ") || !strings.Contains(note, "succeeded") {
		t.Fatalf("redeploy-app was not completed by the application's history: %q\n%s", note, r.text())
	}
	if !r.finished("redeploy-app") || !r.finished("old-gone") {
		t.Fatalf("the restore did not go on after the deploy\n%s", r.text())
	}
}
