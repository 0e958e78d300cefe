package runbooks

import (
	"context"
	"os/exec"
	"strings"

	"github.com/datalayer-tool/datalayer/pulumiclient"
)

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
