package pulumiclient

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestProgramSettings(t *testing.T) {
	tests := []struct {
		file string
		want ProgramSettings
	}{
		{"planx-index.ts", ProgramSettings{EngineVersion: "16.11", FinalSnapshotIdentifier: "final-before-deletion", SkipFinalSnapshot: ptr(false)}},
		{"restoring.ts", ProgramSettings{EngineVersion: "16.7", SnapshotIdentifier: "after-postgres-update-167", SkipFinalSnapshot: ptr(true), DeletionProtection: ptr(true)}},
		{"oneline.ts", ProgramSettings{EngineVersion: "16.3"}},
		{"data-Pulumi.yaml", ProgramSettings{EngineVersion: "16.11", FinalSnapshotIdentifier: "final-before-deletion", SkipFinalSnapshot: ptr(false)}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p, err := ReadProgram(filepath.Join("testdata", "program", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got := p.Settings()
			if got.EngineVersion != tt.want.EngineVersion || got.SnapshotIdentifier != tt.want.SnapshotIdentifier ||
				got.FinalSnapshotIdentifier != tt.want.FinalSnapshotIdentifier ||
				!eqBoolPtr(got.SkipFinalSnapshot, tt.want.SkipFinalSnapshot) || !eqBoolPtr(got.DeletionProtection, tt.want.DeletionProtection) {
				t.Errorf("settings = %+v, want %+v", got, tt.want)
			}
		})
	}
	p, err := ReadProgram(filepath.Join("testdata", "program", "planx-index.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Settings().Raw["backupRetentionPeriod"]; got != `env === "production" ? 35 : 1` {
		t.Errorf("raw expression = %q", got)
	}
	if p.Line != 46 {
		t.Errorf("instance line = %d, want 46", p.Line)
	}
}

func eqBoolPtr(a, b *bool) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func TestProgramApply(t *testing.T) {
	tests := []struct {
		name string
		file string
		edit ProgramEdit
		want ProgramSettings // fields checked after re-reading the patched text
	}{
		{"add snapshot ts", "planx-index.ts", SetSnapshot("pre-release-2026-11-22"), ProgramSettings{SnapshotIdentifier: "pre-release-2026-11-22", EngineVersion: "16.11"}},
		{"bump engine ts", "planx-index.ts", SetEngineVersion("17.6"), ProgramSettings{EngineVersion: "17.6"}},
		{"snapshot and engine ts", "planx-index.ts", ProgramEdit{SnapshotIdentifier: ptr("rds:app5ec7032-2026-11-24-03-12"), EngineVersion: ptr("16.13")}, ProgramSettings{SnapshotIdentifier: "rds:app5ec7032-2026-11-24-03-12", EngineVersion: "16.13"}},
		{"change snapshot ts", "restoring.ts", SetSnapshot("final-before-deletion"), ProgramSettings{SnapshotIdentifier: "final-before-deletion", EngineVersion: "16.7"}},
		{"remove snapshot ts", "restoring.ts", SetSnapshot(""), ProgramSettings{EngineVersion: "16.7"}},
		{"add snapshot last property without comma", "oneline.ts", SetSnapshot("snap-1"), ProgramSettings{SnapshotIdentifier: "snap-1", EngineVersion: "16.3"}},
		{"add snapshot yaml", "data-Pulumi.yaml", SetSnapshot("pre-release-2026-11-22"), ProgramSettings{SnapshotIdentifier: "pre-release-2026-11-22", EngineVersion: "16.11"}},
		{"bump engine yaml keeps comment", "data-Pulumi.yaml", SetEngineVersion("17.6"), ProgramSettings{EngineVersion: "17.6"}},
		{"add point in time ts", "planx-index.ts", SetPointInTime(PointInTime{SourceInstanceID: "app5ec7032", RestoreTime: "2026-12-02T14:01:00Z"}),
			ProgramSettings{EngineVersion: "16.11", RestoreToPointInTime: &PointInTime{SourceInstanceID: "app5ec7032", RestoreTime: "2026-12-02T14:01:00Z"}}},
		{"point in time replaces snapshot ts", "restoring.ts", SetPointInTime(PointInTime{SourceResourceID: "db-ABC", UseLatest: true}),
			ProgramSettings{EngineVersion: "16.7", RestoreToPointInTime: &PointInTime{SourceResourceID: "db-ABC", UseLatest: true}}},
		{"add point in time yaml", "data-Pulumi.yaml", SetPointInTime(PointInTime{SourceInstanceID: "app5ec7032", RestoreTime: "2026-12-02T14:01:00Z"}),
			ProgramSettings{EngineVersion: "16.11", RestoreToPointInTime: &PointInTime{SourceInstanceID: "app5ec7032", RestoreTime: "2026-12-02T14:01:00Z"}}},
		{"change point in time yaml", "pitr-Pulumi.yaml", SetPointInTime(PointInTime{SourceInstanceID: "app1234567", RestoreTime: "2026-12-03T09:00:00Z"}),
			ProgramSettings{EngineVersion: "16.11", RestoreToPointInTime: &PointInTime{SourceInstanceID: "app1234567", RestoreTime: "2026-12-03T09:00:00Z"}}},
		{"snapshot replaces point in time yaml", "pitr-Pulumi.yaml", SetSnapshot("pre-release-2026-11-22"),
			ProgramSettings{SnapshotIdentifier: "pre-release-2026-11-22", EngineVersion: "16.11"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ReadProgram(filepath.Join("testdata", "program", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			pt, err := p.Apply(tt.edit)
			if err != nil {
				t.Fatal(err)
			}
			again, err := ParseProgram(p.Path, pt.New)
			if err != nil {
				t.Fatalf("patched program does not parse: %v", err)
			}
			got := again.Settings()
			if got.SnapshotIdentifier != tt.want.SnapshotIdentifier || got.EngineVersion != tt.want.EngineVersion {
				t.Errorf("after patch: snapshot %q engine %q, want %q %q", got.SnapshotIdentifier, got.EngineVersion, tt.want.SnapshotIdentifier, tt.want.EngineVersion)
			}
			if (got.RestoreToPointInTime == nil) != (tt.want.RestoreToPointInTime == nil) ||
				got.RestoreToPointInTime != nil && *got.RestoreToPointInTime != *tt.want.RestoreToPointInTime {
				t.Errorf("after patch: restoreToPointInTime %+v, want %+v", got.RestoreToPointInTime, tt.want.RestoreToPointInTime)
			}
			// Everything else is untouched.
			for k, v := range p.Settings().Raw {
				if k == "snapshotIdentifier" || k == "engineVersion" || k == "restoreToPointInTime" {
					continue
				}
				if got.Raw[k] != v {
					t.Errorf("property %s changed: %q -> %q", k, v, got.Raw[k])
				}
			}
			golden(t, filepath.Join("program", strings.ReplaceAll(tt.name, " ", "-")+".diff"), pt.Diff)
		})
	}
}

func TestProgramRefusals(t *testing.T) {
	tests := []struct {
		file    string
		wantErr error
		msg     string
	}{
		{"two-instances.ts", ErrManyRDSInstances, "lines 46, 66"},
		{"no-instance.ts", ErrNoRDSInstance, "add the instance"},
		{"two-Pulumi.yaml", ErrManyRDSInstances, "app (line 16), replica"},
		{"not-literal.ts", nil, "not an object literal"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "program", tt.file)
			before, _ := os.ReadFile(path)
			_, err := ReadProgram(path)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err %q does not contain %q", err, tt.msg)
			}
			after, _ := os.ReadFile(path)
			if string(before) != string(after) {
				t.Error("the file was written")
			}
		})
	}
	if _, err := LoadProgram(t.TempDir()); !errors.Is(err, ErrNotProject) {
		t.Errorf("LoadProgram(empty dir) = %v, want ErrNotProject", err)
	}
}

func TestPatchWriteAndCommit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is required: ", err)
	}
	dir := t.TempDir()
	for _, name := range []string{"index.ts", "Pulumi.yaml"} {
		b, err := os.ReadFile(filepath.Join("fixture", "data", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("GIT_AUTHOR_NAME", "t")
	t.Setenv("GIT_AUTHOR_EMAIL", "t@example.com")
	t.Setenv("GIT_COMMITTER_NAME", "t")
	t.Setenv("GIT_COMMITTER_EMAIL", "t@example.com")
	run := func(args ...string) string {
		out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
		return string(out)
	}
	run("init", "-q")
	run("add", ".")
	run("commit", "-qm", "init")
	if err := os.WriteFile(filepath.Join(dir, "other.txt"), []byte("not mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("add", "other.txt")

	p, err := LoadProgram(dir)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := p.Apply(SetSnapshot("pre-release-2026-11-22"))
	if err != nil {
		t.Fatal(err)
	}
	// Nothing written yet.
	if b, _ := os.ReadFile(p.Path); string(b) != string(pt.Old) {
		t.Fatal("Apply wrote the file")
	}
	if err := pt.Write(); err != nil {
		t.Fatal(err)
	}
	if _, err := pt.Commit(context.Background(), "data: restore from pre-release-2026-11-22"); err != nil {
		t.Fatal(err)
	}
	msg := run("log", "-1", "--format=%s")
	if !strings.Contains(msg, "[skip pizza]") {
		t.Errorf("commit message %q lacks [skip pizza]", msg)
	}
	files := run("show", "--name-only", "--format=", "HEAD")
	if strings.TrimSpace(files) != "index.ts" {
		t.Errorf("commit holds %q, want only index.ts", files)
	}
	// A second Write of the same patch refuses: the file is no longer what was read.
	if err := pt.Write(); err == nil || !strings.Contains(err.Error(), "changed on disk") {
		t.Errorf("stale Write = %v, want a refusal", err)
	}
}
