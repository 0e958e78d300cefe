package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// killWhenAWSSees returns an onLine hook that, once the `up` step has
// started, SIGKILLs datalayer as soon as the simulator has accepted the
// given action: the real pulumi up is then in flight, its AWS operation
// under way.
func (p *prod) killWhenAWSSees(action string, killed chan<- struct{}) func(string, *plainRun) {
	var once sync.Once
	before := accepted(p.requests())[action]
	return func(line string, r *plainRun) {
		if !strings.Contains(line, "▶ up:") {
			return
		}
		once.Do(func() {
			go func() {
				deadline := time.Now().Add(3 * time.Minute)
				for accepted(p.requests())[action] == before && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				r.Kill()
				close(killed)
			}()
		})
	}
}

// upProcess is the pid of the pulumi CLI the run's `up` step started, from
// the journal.
func upProcess(evs []engine.Event) int {
	pid := 0
	for _, e := range evs {
		if e.Type == engine.EventIssued && e.Name == "pulumi-up:up:process" {
			var f struct {
				PID int `json:"pid"`
			}
			_ = json.Unmarshal([]byte(e.Value), &f)
			pid = f.PID
		}
	}
	return pid
}

// TestProdKillDuringUpThenResume kills datalayer (SIGKILL) while each
// runbook's real `pulumi up` has its AWS operation in flight, then runs
// `datalayer resume`: the run finishes, the instance ends as it should,
// and no AWS write happens twice.
func TestProdKillDuringUpThenResume(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// args of the first run; change prepares the program first.
		args   []string
		change func(p *prod)
		// action is the AWS write the kill waits for.
		action string
		check  func(t *testing.T, p *prod, out string)
	}{
		{
			name: "deploy",
			args: []string{"deploy", "--stack", "staging"},
			change: func(p *prod) {
				main := filepath.Join(p.dataDir, "Main.yaml")
				b, _ := os.ReadFile(main)
				write(p.t, main, strings.Replace(string(b), "instanceClass: db.t3.small", "instanceClass: db.t3.medium", 1))
				p.git("commit", "-q", "-am", "data: a bigger instance")
			},
			action: "ModifyDBInstance",
			check: func(t *testing.T, p *prod, out string) {
				in, ok := p.instance(p.Instance)
				if !ok || in.Status != "available" || in.DBInstanceClass != "db.t3.medium" {
					t.Errorf("after the resumed deploy AWS shows %+v (exists %v), want db.t3.medium available", in, ok)
				}
				if got := accepted(p.requests()); got["ModifyDBInstance"] != 1 {
					t.Errorf("ModifyDBInstance reached AWS %d times, want 1 (%v)", got["ModifyDBInstance"], got)
				}
			},
		},
		{
			name:   "upgrade",
			args:   []string{"upgrade", "--stack", "staging"},
			action: "ModifyDBInstance",
			check: func(t *testing.T, p *prod, out string) {
				in, ok := p.instance(p.Instance)
				if !ok || in.Status != "available" || !strings.HasPrefix(in.EngineVersion, "17.") {
					t.Errorf("after the resumed upgrade AWS shows %+v (exists %v), want 17.x available", in, ok)
				}
				n := 0
				for _, r := range p.requests() {
					if r.OK() && r.Action == "ModifyDBInstance" && r.Instance == p.Instance {
						n++
					}
				}
				if n != 1 {
					t.Errorf("the instance was modified %d times, want 1 (the upgrade)", n)
				}
			},
		},
		{
			name:   "restore",
			args:   []string{"restore", "--stack", "staging", "--method", "pulumi", "--lost", "whole"},
			action: "RestoreDBInstanceFromDBSnapshot",
			check: func(t *testing.T, p *prod, out string) {
				p.checkPulumiRestoreOps(out, false)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newProd(t, prodOptions{Deployed: true, StackProfile: true, Speed: 60})
			if tt.change != nil {
				tt.change(p)
			}
			killed := make(chan struct{})
			first := p.startPlain(p.chooseSnapshot(nil), p.killWhenAWSSees(tt.action, killed), tt.args...)
			select {
			case <-killed:
			case <-first.done:
				t.Fatalf("datalayer ended before its pulumi up reached AWS:\n%s", first.Output())
			case <-time.After(8 * time.Minute):
				first.Kill()
				t.Fatalf("the up never reached AWS:\n%s", first.Output())
			}
			if code := first.Wait(); code != -1 {
				t.Errorf("the killed datalayer exited %d", code)
			}
			t.Logf("first session, killed:\n%s", first.Output())
			pid := upProcess(p.runEvents())
			if pid == 0 {
				t.Fatal("the journal does not name the pulumi CLI process of the up")
			}
			// The CLI outlives the killed datalayer: it finishes the update it
			// was confirmed for (resume waits for it).
			if !pulumiclient.ProcessRunning(pid, "pulumi") {
				t.Errorf("pulumi up (pid %d) died with datalayer", pid)
			}
			// Learn when it ends, to know whether resume had to wait.
			orphanEnded := make(chan time.Time, 1)
			go func() {
				for pulumiclient.ProcessRunning(pid, "pulumi") {
					time.Sleep(50 * time.Millisecond)
				}
				orphanEnded <- time.Now()
			}()
			var upStarted time.Time
			var upOnce sync.Once

			second := p.startPlain(p.chooseSnapshot(nil), func(line string, _ *plainRun) {
				if strings.Contains(line, "▶ up:") {
					upOnce.Do(func() { upStarted = time.Now() })
				}
			}, "resume")
			select {
			case <-second.done:
			case <-time.After(8 * time.Minute):
				second.Kill()
				t.Fatalf("resume did not finish:\n%s", second.Output())
			}
			out, code := second.Output(), second.Wait()
			t.Logf("resume:\n%s", out)
			if code != 0 {
				t.Fatalf("resume exited %d", code)
			}
			if strings.Contains(out, "pulumi cancel") {
				t.Errorf("resume advises pulumi cancel")
			}
			select {
			case ended := <-orphanEnded:
				// Still running when resume reached the up step: it must
				// have waited for it, and said so.
				if !upStarted.IsZero() && ended.After(upStarted) && !strings.Contains(out, "still running") {
					t.Errorf("pulumi (pid %d) ran until %s, after resume's up step began (%s), and resume did not say it waited",
						pid, ended.Format(time.StampMilli), upStarted.Format(time.StampMilli))
				}
			case <-time.After(10 * time.Second):
				t.Errorf("the first session's pulumi (pid %d) still runs after the resume", pid)
			}
			tt.check(t, p, first.Output()+out)
			if h := p.updates(p.dataDir); h["update"] != 2 || h["update:succeeded"] != 2 {
				t.Errorf("the data stack's history has %v; want the set-up's update and one more, both succeeded (no up twice)", h)
			}
			if ls := p.lockFiles(); len(ls) > 0 {
				t.Errorf("lock files left: %v", ls)
			}
		})
	}
}

// lockFiles lists the lock files of the file backend.
func (p *prod) lockFiles() []string {
	var out []string
	backend := strings.TrimPrefix(p.env["PULUMI_BACKEND_URL"], "file://")
	_ = filepath.WalkDir(filepath.Join(backend, ".pulumi", "locks"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") {
			out = append(out, path)
		}
		return nil
	})
	return out
}
