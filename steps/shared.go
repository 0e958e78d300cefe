package steps

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

// sharedPoller fans the single awsclient.Poller loop out to per-resource
// watches, so every wait of every step costs no extra requests.
type sharedPoller struct {
	p    *awsclient.Poller
	mu   sync.Mutex
	subs map[string][]chan awsclient.Change // kind/id -> subscribers
}

// NewSharedPoller runs p (until ctx ends) and returns it as a Poller.
func NewSharedPoller(ctx context.Context, p *awsclient.Poller) Poller {
	sp := &sharedPoller{p: p, subs: map[string][]chan awsclient.Change{}}
	go func() { _ = p.Run(ctx) }()
	go sp.dispatch()
	return sp
}

func (sp *sharedPoller) dispatch() {
	for c := range sp.p.Changes() {
		sp.mu.Lock()
		var targets []chan awsclient.Change
		if c.Err != nil && c.ID == "" {
			for _, l := range sp.subs {
				targets = append(targets, l...)
			}
		} else {
			targets = append(targets, sp.subs[c.Kind+"/"+c.ID]...)
		}
		sp.mu.Unlock()
		for _, ch := range targets {
			select {
			case ch <- c:
			default:
				// A slow watcher only misses intermediate samples; the
				// latest one is offered again on its next change.
			}
		}
	}
	sp.mu.Lock()
	for k, l := range sp.subs {
		for _, ch := range l {
			close(ch)
		}
		delete(sp.subs, k)
	}
	sp.mu.Unlock()
}

// Watch implements Poller.
func (sp *sharedPoller) Watch(ctx context.Context, kind, id string) <-chan awsclient.Change {
	in := make(chan awsclient.Change, 64)
	out := make(chan awsclient.Change)
	key := kind + "/" + id
	sp.mu.Lock()
	sp.subs[key] = append(sp.subs[key], in)
	sp.mu.Unlock()
	var err error
	if kind == "snapshot" {
		err = sp.p.WatchSnapshot(id)
	} else {
		err = sp.p.WatchInstance(id)
	}
	go func() {
		defer close(out)
		defer sp.remove(key, in)
		if err != nil {
			select {
			case out <- awsclient.Change{Kind: kind, ID: id, Err: fmt.Errorf("cannot watch %s %q: %w", kind, id, err)}:
			case <-ctx.Done():
			}
			return
		}
		if c, ok := sp.p.Latest(id); ok && c.ID == id {
			select {
			case out <- c:
			case <-ctx.Done():
				return
			}
		}
		for {
			select {
			case c, ok := <-in:
				if !ok {
					return
				}
				select {
				case out <- c:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

func (sp *sharedPoller) remove(key string, ch chan awsclient.Change) {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	l := sp.subs[key]
	for i, c := range l {
		if c == ch {
			sp.subs[key] = append(l[:i], l[i+1:]...)
			break
		}
	}
	if len(sp.subs[key]) == 0 {
		delete(sp.subs, key)
	}
}

// programDir edits the data program in a directory through pulumiclient.
type programDir struct {
	dir      string
	pending  *pulumiclient.Patch // written, not committed yet
	proposed *pulumiclient.Patch // shown, not written yet
}

// NewProgram returns a Program editing the data program in dir (index.ts or
// a YAML Pulumi.yaml).
func NewProgram(dir string) Program { return &programDir{dir: dir} }

// Settings implements Program.
func (p *programDir) Settings() (pulumiclient.ProgramSettings, error) {
	prog, err := pulumiclient.LoadProgram(p.dir)
	if err != nil {
		return pulumiclient.ProgramSettings{}, err
	}
	return prog.Settings(), nil
}

func (p *programDir) apply(e pulumiclient.ProgramEdit) (string, error) {
	prog, err := pulumiclient.LoadProgram(p.dir)
	if err != nil {
		return "", err
	}
	patch, err := prog.Apply(e)
	if err != nil {
		return "", err
	}
	if patch.Empty() {
		p.pending = nil
		return "(the program already says so: nothing to change)", nil
	}
	if err := patch.Write(); err != nil {
		return "", err
	}
	p.pending = patch
	return patch.Diff, nil
}

// Propose implements Program.
func (p *programDir) Propose(e pulumiclient.ProgramEdit) (string, error) {
	return p.propose(func(prog *pulumiclient.Program) (*pulumiclient.Patch, error) { return prog.Apply(e) })
}

// ProposeMajorUpgrade implements Program.
func (p *programDir) ProposeMajorUpgrade(u pulumiclient.MajorUpgrade) (string, error) {
	return p.propose(func(prog *pulumiclient.Program) (*pulumiclient.Patch, error) { return prog.ApplyMajorUpgrade(u) })
}

// ProposeRemoveParameterGroup implements Program.
func (p *programDir) ProposeRemoveParameterGroup(resource string) (string, error) {
	return p.propose(func(prog *pulumiclient.Program) (*pulumiclient.Patch, error) {
		return prog.RemoveParameterGroup(resource)
	})
}

// propose computes a patch and keeps it, unwritten, for WriteProposed.
func (p *programDir) propose(edit func(*pulumiclient.Program) (*pulumiclient.Patch, error)) (string, error) {
	p.proposed = nil
	prog, err := pulumiclient.LoadProgram(p.dir)
	if err != nil {
		return "", err
	}
	patch, err := edit(prog)
	if err != nil {
		return "", err
	}
	if patch.Empty() {
		// Already so: a run interrupted between writing and committing
		// still has the change to commit.
		p.pending = patch
		return "", nil
	}
	p.proposed = patch
	return patch.Diff, nil
}

// WriteProposed implements Program.
func (p *programDir) WriteProposed() error {
	if p.proposed == nil {
		return nil
	}
	if err := p.proposed.Write(); err != nil {
		return err
	}
	p.pending, p.proposed = p.proposed, nil
	return nil
}

// ParameterGroups implements Program.
func (p *programDir) ParameterGroups() ([]pulumiclient.ParameterGroupDecl, *pulumiclient.ParameterGroupDecl, error) {
	prog, err := pulumiclient.LoadProgram(p.dir)
	if err != nil {
		return nil, nil, err
	}
	all, err := prog.ParameterGroups()
	if err != nil {
		return nil, nil, err
	}
	inst, err := prog.InstanceParameterGroup()
	return all, inst, err
}

// SetEngineVersion implements Program.
func (p *programDir) SetEngineVersion(v string) (string, error) {
	return p.apply(pulumiclient.SetEngineVersion(v))
}

// SetSnapshotIdentifier implements Program.
func (p *programDir) SetSnapshotIdentifier(name string) (string, error) {
	return p.apply(pulumiclient.SetSnapshot(name))
}

// Commit implements Program.
func (p *programDir) Commit(message string) (string, error) {
	if p.pending == nil {
		return "", nil
	}
	if err := exec.Command("git", "-C", p.dir, "rev-parse", "--show-toplevel").Run(); err != nil {
		return "", nil
	}
	c, err := p.pending.Commit(context.Background(), message)
	if err != nil {
		if strings.Contains(err.Error(), "nothing to commit") {
			return "", nil
		}
		return "", err
	}
	p.pending = nil
	return c, nil
}
