package engine

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAcquireLock(t *testing.T) {
	host, _ := os.Hostname()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	me := LockHolder{PID: os.Getpid(), Host: host, RunID: "me", Started: time.Now(), What: "stack staging"}
	tests := []struct {
		name      string
		held      string // the lock file's content before; "" = none
		wantErr   []string
		recovered bool
	}{
		{"free", "", nil, false},
		{"held by a live process here", `{"pid":` + strconv.Itoa(os.Getpid()) + `,"host":"` + host + `","run":"other","started":"2026-11-25T03:00:00Z"}`,
			[]string{"stack staging is in use by run other (pid", "on " + host, "2026-11-25T03:00:00Z"}, false},
		{"held on another host", `{"pid":1,"host":"elsewhere","run":"other","started":"2026-11-25T03:00:00Z"}`,
			[]string{"on elsewhere", "cannot be checked from here", "remove "}, false},
		{"held by a process that is gone", `{"pid":` + strconv.Itoa(dead.Process.Pid) + `,"host":"` + host + `","run":"killed"}`, nil, true},
		{"unreadable", `{"pid":`, []string{"cannot be read", "remove "}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "locks", "stack.lock")
			if tt.held != "" {
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(tt.held), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			l, rec, err := acquireLock(path, me)
			if tt.wantErr != nil {
				var le *LockedError
				if !errors.As(err, &le) {
					t.Fatalf("not refused: %v", err)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%q does not say %q", err, w)
					}
				}
				if b, _ := os.ReadFile(path); string(b) != tt.held {
					t.Errorf("the refused lock changed the holder's file: %s", b)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (rec != nil) != tt.recovered {
				t.Fatalf("recovered = %+v, want %v", rec, tt.recovered)
			}
			if rec != nil && !strings.Contains(rec.text(), "run killed") {
				t.Errorf("the take-over does not name the killed run: %s", rec.text())
			}
			if _, _, err := acquireLock(path, LockHolder{PID: os.Getpid(), Host: host, RunID: "second", What: "stack staging"}); err == nil {
				t.Fatal("a second holder got the lock")
			}
			l.release()
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("release left the lock: %v", err)
			}
			if m, _ := filepath.Glob(path + "*.tmp"); len(m) > 0 {
				t.Fatalf("temporary files left: %v", m)
			}
		})
	}
}
