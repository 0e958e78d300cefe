package e2e

import (
	"os"
	"path/filepath"
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
//  2. `datalayer resume` does not run the update again: it names the lock
//     of the dead pulumi and the pending operation, repairs Pulumi's record
//     behind a typed confirmation (as `pulumi cancel` and dropping the
//     pending operation would), waits for AWS to finish the modify,
//     refreshes, and ends when a preview shows nothing left: the one modify
//     AWS accepted, no lock left.
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

	if !strings.Contains(out1, "interrupt_grace") {
		t.Errorf("the interrupted deploy does not say pulumi was killed after the interrupt grace")
	}

	// The path offered: `datalayer resume`. It does not run the update
	// again: it shows what the interrupted update left (the lock of a dead
	// pulumi, the pending update), repairs Pulumi's record behind a typed
	// confirmation, waits for AWS to finish the modify, refreshes, and
	// finishes when a preview shows nothing left.
	var gates []string
	r := p.startPlain(func(pp plainPrompt) (string, bool) {
		gates = append(gates, pp.Title)
		return "", false
	}, nil, "resume")
	select {
	case <-r.done:
	case <-time.After(8 * time.Minute):
		r.Kill()
		t.Fatalf("resume did not finish:\n%s", r.Output())
	}
	out2, code := r.Output(), r.Wait()
	t.Logf("resume (exit %d):\n%s", code, out2)
	if code != 0 {
		t.Fatalf("resume after Ctrl-C exited %d", code)
	}
	repairAsked := false
	for _, g := range gates {
		if strings.Contains(g, "Repair Pulumi's state") {
			repairAsked = true
		}
	}
	if !repairAsked {
		t.Errorf("resume repaired the stack without a typed confirmation (prompts: %q)", gates)
	}
	if strings.Contains(out2, "pulumi cancel --stack") && !strings.Contains(out2, "as `pulumi cancel` does") {
		t.Errorf("resume advises pulumi cancel instead of offering the repair")
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
	for where, text := range map[string]string{"the output": out1 + out2, "the journals": p.journals()} {
		p.noSecrets(where, text, p.secrets())
	}
}
