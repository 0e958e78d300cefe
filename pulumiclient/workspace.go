package pulumiclient

import (
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

//go:embed fixture
var fixtureFS embed.FS

// Rehearsal defaults: the data stack's instance and the application's
// db-host in the default simulated world.
const (
	RehearsalStack      = "staging"
	RehearsalInstanceID = "app5ec7032"
	RehearsalDBHost     = "app5ec7032.c9akciq32x1z.eu-west-2.rds.amazonaws.com"
)

// RehearsalWorkspace is a laid-out pair of program directories for
// `rehearse`: the data program (index.ts mirroring the team's, Pulumi.yaml,
// Pulumi.staging.yaml and Pulumi.production.yaml) and the application
// program whose config holds db-host as a secret.
type RehearsalWorkspace struct {
	Root    string
	DataDir string
	AppDir  string
	Stack   string
}

// NewRehearsalWorkspace writes the rehearsal's programs under dir (created
// when missing) with simulated state saying the data stack was deployed
// with instance app5ec7032. Open the stacks with OpenSim.
func NewRehearsalWorkspace(dir string) (RehearsalWorkspace, error) {
	ws := RehearsalWorkspace{
		Root:    dir,
		DataDir: filepath.Join(dir, "infrastructure", "data"),
		AppDir:  filepath.Join(dir, "infrastructure", "application"),
		Stack:   RehearsalStack,
	}
	err := fs.WalkDir(fixtureFS, "fixture", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("fixture", path)
		target := filepath.Join(dir, "infrastructure", rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := fixtureFS.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		return ws, fmt.Errorf("lay out rehearsal workspace: %w", err)
	}
	for _, stack := range []struct{ name, profile string }{{"staging", "planx-staging-pulumi"}, {"production", "planx-production-pulumi"}} {
		body := fmt.Sprintf("# Rehearsal stack: values marked %q are encoded, not encrypted.\nconfig:\n  aws:profile: %s\n  application:db-host:\n    secure: %s%s\n",
			simSecretPrefix, stack.profile, simSecretPrefix, base64.StdEncoding.EncodeToString([]byte(RehearsalDBHost)))
		if err := os.WriteFile(filepath.Join(ws.AppDir, "Pulumi."+stack.name+".yaml"), []byte(body), 0o644); err != nil {
			return ws, fmt.Errorf("lay out rehearsal workspace: %w", err)
		}
	}
	// State: the data stack was deployed; the instance's details are read
	// from the simulator on first use.
	prog, err := LoadProgram(ws.DataDir)
	if err != nil {
		return ws, fmt.Errorf("lay out rehearsal workspace: %w", err)
	}
	set := prog.Settings()
	for _, stack := range []string{"staging", "production"} {
		st := simState{Project: "data", Stack: stack, Instance: &simResource{
			URN: fmt.Sprintf("urn:pulumi:%s::data::%s::app", stack, InstanceType),
			Inputs: map[string]any{
				"engine": "postgres", "engineVersion": set.EngineVersion, "finalSnapshotIdentifier": set.FinalSnapshotIdentifier,
				"skipFinalSnapshot": false, "username": "dbuser",
			},
			Outputs: map[string]any{"identifier": RehearsalInstanceID, "engineVersion": set.EngineVersion,
				"finalSnapshotIdentifier": set.FinalSnapshotIdentifier, "skipFinalSnapshot": false},
		}}
		if err := writeJSON(filepath.Join(ws.DataDir, ".pulumi-sim", stack+".json"), st); err != nil {
			return ws, fmt.Errorf("lay out rehearsal workspace: %w", err)
		}
		applied := map[string]string{"application:db-host": RehearsalDBHost, "aws:profile": "planx-" + stack + "-pulumi"}
		app := simState{Project: "application", Stack: stack, Applied: applied, Updates: 1,
			History: []simUpdate{{Version: 1, Result: "succeeded", Config: applied}}}
		if err := writeJSON(filepath.Join(ws.AppDir, ".pulumi-sim", stack+".json"), app); err != nil {
			return ws, fmt.Errorf("lay out rehearsal workspace: %w", err)
		}
	}
	return ws, nil
}

func writeJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

func pendingOps(p []simPending) []apitype.OperationV2 {
	out := make([]apitype.OperationV2, 0, len(p))
	for _, op := range p {
		out = append(out, apitype.OperationV2{Type: apitype.OperationType(op.Type), Resource: apitype.ResourceV3{URN: resource.URN(op.URN)}})
	}
	return out
}
