package pulumiclient

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// golden compares got (as indented JSON) with testdata/<name>, rewriting it
// with -update.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	var b []byte
	if s, ok := got.(string); ok {
		b = []byte(s)
	} else {
		var err error
		b, err = json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, '\n')
	}
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if string(want) != string(b) {
		t.Errorf("%s differs from golden:\n got: %s\nwant: %s", name, b, want)
	}
}

func TestParseExport(t *testing.T) {
	tests := []struct {
		file        string
		wantErr     error
		errContains string
		resourceID  bool
		identifier  string
	}{
		{file: "aws4.json", identifier: "app5ec7032", resourceID: false},
		{file: "aws7.json", identifier: "app5ec7032", resourceID: true},
		{file: "replacing-pending-delete.json", identifier: "app3f9b2c1", resourceID: true},
		{file: "no-instance.json", wantErr: ErrNoInstance},
		{file: "two-instances.json", wantErr: ErrManyInstances, errContains: "aws:rds/instance:Instance::replica"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "export", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseExport(data)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.errContains) {
					t.Errorf("err %q does not name %q", err, tt.errContains)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Identifier != tt.identifier {
				t.Errorf("Identifier = %q, want %q", got.Identifier, tt.identifier)
			}
			if got.TrackedByResourceID() != tt.resourceID {
				t.Errorf("TrackedByResourceID = %v, want %v", got.TrackedByResourceID(), tt.resourceID)
			}
			if strings.Contains(string(mustJSON(t, got)), "ciphertext") || strings.Contains(string(mustJSON(t, got)), "v1:") {
				t.Errorf("a secret leaked into the parsed instance: %s", mustJSON(t, got))
			}
			golden(t, filepath.Join("export", strings.TrimSuffix(tt.file, ".json")+".golden"), got)
		})
	}
}

func TestParseExportBadInput(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"not json", "hello", "is this the output of `pulumi stack export`"},
		{"old version", `{"version":1,"deployment":{}}`, "too old"},
		{"empty stack", `{"version":3}`, "no aws:rds/instance:Instance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseExport([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
