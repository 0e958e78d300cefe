package pulumiclient

import (
	"context"
	"os/exec"
	"strings"
)

// ProgramEditor edits the data program in a directory the way an engineer
// would: it proposes a change as a diff, writes it, and commits it with git
// when the directory is in a repository. It loads the program afresh for
// every change, so an edit by hand in between is seen.
type ProgramEditor struct {
	dir      string
	pending  *Patch // written, not committed yet
	proposed *Patch // shown, not written yet
}

// NewProgramEditor returns an editor of the data program in dir (index.ts
// or a YAML Pulumi.yaml).
func NewProgramEditor(dir string) *ProgramEditor { return &ProgramEditor{dir: dir} }

// Settings reads the instance's settings as the program writes them.
func (p *ProgramEditor) Settings() (ProgramSettings, error) {
	prog, err := LoadProgram(p.dir)
	if err != nil {
		return ProgramSettings{}, err
	}
	return prog.Settings(), nil
}

func (p *ProgramEditor) apply(e ProgramEdit) (string, error) {
	prog, err := LoadProgram(p.dir)
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

// Propose computes a change of the instance's properties (engine version,
// snapshot and final snapshot names, point in time) and returns its diff
// without writing anything ("" when the program already says so);
// WriteProposed writes it.
func (p *ProgramEditor) Propose(e ProgramEdit) (string, error) {
	return p.propose(func(prog *Program) (*Patch, error) { return prog.Apply(e) })
}

// ProposeMajorUpgrade computes the program change of a major upgrade
// (Program.ApplyMajorUpgrade) and returns its diff without writing
// anything; WriteProposed writes it.
func (p *ProgramEditor) ProposeMajorUpgrade(u MajorUpgrade) (string, error) {
	return p.propose(func(prog *Program) (*Patch, error) { return prog.ApplyMajorUpgrade(u) })
}

// ProposeRemoveParameterGroup computes the removal of a declared parameter
// group; WriteProposed writes it.
func (p *ProgramEditor) ProposeRemoveParameterGroup(resource string) (string, error) {
	return p.propose(func(prog *Program) (*Patch, error) {
		return prog.RemoveParameterGroup(resource)
	})
}

// propose computes a patch and keeps it, unwritten, for WriteProposed.
func (p *ProgramEditor) propose(edit func(*Program) (*Patch, error)) (string, error) {
	p.proposed = nil
	prog, err := LoadProgram(p.dir)
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

// WriteProposed writes the last proposed change; Commit commits it.
func (p *ProgramEditor) WriteProposed() error {
	if p.proposed == nil {
		return nil
	}
	if err := p.proposed.Write(); err != nil {
		return err
	}
	p.pending, p.proposed = p.proposed, nil
	return nil
}

// ParameterGroups lists the program's parameter groups and the one the
// instance uses (nil when none of them).
func (p *ProgramEditor) ParameterGroups() ([]ParameterGroupDecl, *ParameterGroupDecl, error) {
	prog, err := LoadProgram(p.dir)
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

// SetEngineVersion writes engineVersion and returns a unified diff.
func (p *ProgramEditor) SetEngineVersion(v string) (string, error) {
	return p.apply(SetEngineVersion(v))
}

// SetSnapshotIdentifier adds (or changes) snapshotIdentifier on the
// instance and returns a unified diff.
func (p *ProgramEditor) SetSnapshotIdentifier(name string) (string, error) {
	return p.apply(SetSnapshot(name))
}

// Commit commits the change written last when the directory is in a git
// repository and returns the commit; it returns "" with no error when the
// directory is not in one or nothing is pending. git stops when ctx ends.
func (p *ProgramEditor) Commit(ctx context.Context, message string) (string, error) {
	if p.pending == nil {
		return "", nil
	}
	if err := exec.CommandContext(ctx, "git", "-C", p.dir, "rev-parse", "--show-toplevel").Run(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", nil
	}
	c, err := p.pending.Commit(ctx, message)
	if err != nil {
		if strings.Contains(err.Error(), "nothing to commit") {
			return "", nil
		}
		return "", err
	}
	p.pending = nil
	return c, nil
}
