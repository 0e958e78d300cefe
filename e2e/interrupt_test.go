package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestProdCtrlCDuringLongUp presses Ctrl-C (SIGINT) while `pulumi up`
// waits on an AWS operation that takes longer than the interrupt grace
// (an instance class change, 6 AWS minutes, played at 10x: 36 s, against a
// grace of 3 s). What happens, and what the program then offers:
//
//  1. datalayer interrupts pulumi once; pulumi cancels the update but waits
//     for the in-flight modify; after the grace datalayer kills it: the
//     stack stays locked (the lock file of a dead pulumi) with the
//     instance's update as a pending operation. datalayer exits 130 naming
//     `datalayer resume`.
//  2. `datalayer resume` does not run the update again: it stops on the
//     lock and pending operation with the commands that clear them, and
//     where to run them.
//  3. Following them (pulumi cancel; drop the pending operation once AWS
//     shows the modify done; pulumi refresh) and resuming again finishes
//     the run, with the one modify AWS accepted.
func TestProdCtrlCDuringLongUp(t *testing.T) {
	t.Parallel()
	p := newProd(t, prodOptions{Deployed: true, StackProfile: true, Speed: 10, Config: "  interrupt_grace: 3s\n"})
	main := filepath.Join(p.dataDir, "Main.yaml")
	b, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	write(t, main, strings.Replace(string(b), "instanceClass: db.t3.small", "instanceClass: db.t3.medium", 1))
	p.git("commit", "-q", "-am", "data: a bigger instance")

	interrupted := make(chan struct{})
	before := accepted(p.requests())["ModifyDBInstance"]
	var sent bool
	first := p.startPlain(nil, func(line string, r *plainRun) {
		if sent || !strings.Contains(line, "pulumi: started update aws:rds/instance:Instance") {
			return
		}
		sent = true
		go func() {
			for accepted(p.requests())["ModifyDBInstance"] == before {
				time.Sleep(20 * time.Millisecond)
			}
			r.Interrupt()
			close(interrupted)
		}()
	}, "deploy", "--stack", "staging")
	select {
	case <-interrupted:
	case <-first.done:
		t.Fatalf("deploy ended before the modify reached AWS:\n%s", first.Output())
	case <-time.After(6 * time.Minute):
		first.Kill()
		t.Fatalf("the modify never reached AWS:\n%s", first.Output())
	}
	code := first.Wait()
	out1 := first.Output()
	t.Logf("interrupted deploy (exit %d):\n%s", code, out1)
	if code != 130 || !strings.Contains(out1, "datalayer resume") {
		t.Fatalf("the interrupted deploy exited %d; want 130 naming datalayer resume", code)
	}
	locks := p.lockFiles()
	t.Logf("after Ctrl-C: lock files %v", locks)
	if len(locks) != 1 {
		t.Errorf("lock files after a pulumi killed past its grace: %v; want its one lock", locks)
	}

	// The path offered: resume says what to run, and where.
	out2, code := p.plain(5*time.Minute, nil, "resume")
	t.Logf("first resume (exit %d):\n%s", code, out2)
	if code != 1 {
		t.Fatalf("resume over a locked stack exited %d, want 1", code)
	}
	cmds := offeredCommands(out2)
	t.Logf("commands offered: %q", cmds)
	if len(cmds) == 0 || !strings.Contains(strings.Join(cmds, "\n"), "pulumi cancel --stack staging") {
		t.Fatalf("resume offers no pulumi cancel:\n%s", out2)
	}
	if !strings.Contains(out2, "infrastructure/data") {
		t.Errorf("the advice does not say where to run the commands")
	}
	if got := accepted(p.requests())["ModifyDBInstance"]; got != before+1 {
		t.Errorf("ModifyDBInstance accepted %d times, want %d: resume must not update again", got, before+1)
	}
	// As the advice says: check in AWS that the modify finished first.
	p.waitFor("the class change to finish in AWS", 3*time.Minute, func() bool {
		in, ok := p.instance(p.Instance)
		return ok && in.Status == "available" && in.DBInstanceClass == "db.t3.medium"
	})
	for _, c := range cmds {
		if strings.HasPrefix(c, "pulumi cancel") || strings.HasPrefix(c, "pulumi refresh") {
			// A person confirms at pulumi's prompt; without a terminal,
			// --yes is that confirmation.
			c += " --yes"
		}
		sh := exec.Command("sh", "-c", c)
		sh.Dir = p.dataDir
		sh.Env = p.environ(nil)
		o, err := sh.CombinedOutput()
		t.Logf("$ %s\n%s", c, o)
		if err != nil {
			t.Fatalf("the offered command %q failed: %v", c, err)
		}
	}
	out3, code := p.plain(5*time.Minute, nil, "resume")
	t.Logf("second resume (exit %d):\n%s", code, out3)
	if code != 0 {
		t.Fatalf("resume after following the advice exited %d", code)
	}
	in, _ := p.instance(p.Instance)
	if in.DBInstanceClass != "db.t3.medium" || in.Status != "available" {
		t.Errorf("the instance ends %+v", in)
	}
	if got := accepted(p.requests())["ModifyDBInstance"]; got != before+1 {
		t.Errorf("ModifyDBInstance accepted %d times in all, want %d", got, before+1)
	}
	if ls := p.lockFiles(); len(ls) > 0 {
		t.Errorf("lock files left: %v", ls)
	}
	if ops, other := p.previewOps(); len(ops) > 0 || len(other) > 0 {
		t.Errorf("a preview after the run still proposes %v / %v", ops, other)
	}
	for where, text := range map[string]string{"the output": out1 + out2 + out3, "the journals": p.journals()} {
		p.noSecrets(where, text, p.secrets())
	}
}

// offeredCommands picks the pulumi commands datalayer's advice names
// ("run: CMD", "; then CMD"), in order, from the first line giving it.
func offeredCommands(out string) []string {
	var cmds []string
	re := regexp.MustCompile(`(?:run: |; then )(pulumi [^;]+)`)
	for _, l := range strings.Split(out, "\n") {
		if !strings.Contains(l, "pulumi cancel --stack") {
			continue
		}
		for _, m := range re.FindAllStringSubmatch(l, -1) {
			cmds = append(cmds, strings.TrimSpace(m[1]))
		}
		break
	}
	return cmds
}
