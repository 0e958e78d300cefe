package pulumiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// ErrLocked is returned when a stack is locked by another update (or by one
// that was killed) or holds pending operations.
var ErrLocked = errors.New("stack is locked")

// LockFile is one lock held on a stack in a file (DIY) backend.
type LockFile struct {
	Path string
	// Holder says who took the lock, from the file: "user@host pid N".
	Holder string
	// PID and Host are the holder's process and machine, when the file
	// says (0 and "" otherwise), so a caller can tell a dead holder.
	PID  int
	Host string
	// Running says the holder is still at work on this machine: for the
	// pulumi CLI, its process still runs (a lock whose process is gone is
	// stale); for the simulated engine, which runs inside the process
	// that uses it, the operation that took the lock is still in flight.
	Running bool
}

// FileBackendLocks lists the lock files of a stack in a file:// backend
// (<backend>/.pulumi/locks/.../<project>/<stack>/*.json, and the older
// layout without the project). Other backends return nothing.
func FileBackendLocks(backendURL, project, stack string) ([]LockFile, error) {
	root, ok := fileBackendPath(backendURL)
	if !ok {
		return nil, nil
	}
	locks := filepath.Join(root, ".pulumi", "locks")
	var out []LockFile
	err := filepath.WalkDir(locks, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return filepath.SkipAll
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".json") {
			return nil
		}
		dir := filepath.Dir(path)
		if filepath.Base(dir) != stack {
			return nil
		}
		parent := filepath.Base(filepath.Dir(dir))
		if parent != project && filepath.Dir(dir) != locks {
			return nil
		}
		lf := LockFile{Path: path}
		lf.Holder, lf.PID, lf.Host = lockHolder(path)
		lf.Running = cliRunningHere(lf.PID, lf.Host)
		out = append(out, lf)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read lock files: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func lockHolder(path string) (holder string, pid int, host string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", 0, ""
	}
	var l struct {
		Pid       int    `json:"pid"`
		Username  string `json:"username"`
		Hostname  string `json:"hostname"`
		Timestamp string `json:"timestamp"`
	}
	if json.Unmarshal(b, &l) != nil {
		return "", 0, ""
	}
	return fmt.Sprintf("%s@%s pid %d since %s", l.Username, l.Hostname, l.Pid, l.Timestamp), l.Pid, l.Hostname
}

// cliRunningHere reports whether the pulumi CLI that wrote a lock (pid
// on host) still runs on this machine.
func cliRunningHere(pid int, host string) bool {
	here, err := os.Hostname()
	return err == nil && host == here && ProcessRunning(pid, "pulumi")
}

// runningHere returns the pid of a lock holder still at work on this
// machine, or 0.
func runningHere(locks []LockFile) int {
	for _, l := range locks {
		if l.Running {
			return l.PID
		}
	}
	return 0
}

func fileBackendPath(backendURL string) (string, bool) {
	if !strings.HasPrefix(backendURL, "file://") {
		return "", false
	}
	u, err := url.Parse(backendURL)
	if err != nil {
		return strings.TrimPrefix(backendURL, "file://"), true
	}
	p := u.Path
	if u.Host != "" && u.Host != "localhost" {
		p = u.Host + p // file://relative/path
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	return p, true
}

// LockFromState explains a stack's lock files and pending operations with
// the command that fixes them.
func LockFromState(stack string, locks []LockFile, pending []apitype.OperationV2) LockState {
	ls := LockState{Locked: len(locks) > 0, Locks: locks}
	creates := 0
	for _, op := range pending {
		ls.PendingOperations = append(ls.PendingOperations, string(op.Resource.URN))
		if op.Type == apitype.OperationTypeCreating {
			creates++
		}
	}
	var fixes []string
	if ls.RunningPID = runningHere(locks); ls.RunningPID != 0 {
		// An update is in progress: cancelling it would leave its
		// operations half done. Waiting is the fix.
		ls.Fix = fmt.Sprintf("an update is running right now (pulumi, pid %d on this machine): let it finish — do not run pulumi cancel — then check again", ls.RunningPID)
		return ls
	}
	if ls.Locked {
		holders := make([]string, 0, len(locks))
		for _, l := range locks {
			if l.Holder != "" {
				holders = append(holders, l.Holder)
			}
		}
		fix := "make sure no other update is running"
		if len(holders) > 0 {
			fix += " (lock held by " + strings.Join(holders, ", ") + ")"
		}
		fixes = append(fixes, fix+", then run: pulumi cancel --stack "+stack)
	}
	switch {
	case len(pending) == 0:
	case creates == len(pending):
		fixes = append(fixes, "check in AWS whether the interrupted creates finished, then run: pulumi refresh --clear-pending-creates --stack "+stack)
	default:
		fixes = append(fixes, "check in AWS what the interrupted operations did, then run: pulumi stack export --stack "+stack+
			" | jq 'del(.deployment.pending_operations)' | pulumi stack import --stack "+stack+"; then pulumi refresh --stack "+stack)
	}
	ls.Fix = strings.Join(fixes, "; ")
	return ls
}

// Lock implements Stack: lock files of a file backend, and the pending
// operations recorded in the state.
func (s *LocalStack) Lock(ctx context.Context) (LockState, error) {
	var locks []LockFile
	info, err := s.Info(ctx)
	if err != nil {
		return LockState{}, fmt.Errorf("lock status: %w", err)
	}
	locks, err = FileBackendLocks(info.Backend, info.Project, s.name)
	if err != nil {
		return LockState{}, fmt.Errorf("lock status: %w", err)
	}
	u, err := s.stack.Export(ctx)
	if err != nil {
		return LockState{}, fmt.Errorf("lock status: export: %w", cliError(err))
	}
	d, err := decodeDeployment(u)
	if err != nil {
		return LockState{}, fmt.Errorf("lock status: %w", err)
	}
	return LockFromState(s.name, locks, d.PendingOperations), nil
}

// ClearPendingOperations removes the pending operations from the state
// (export, drop pending_operations, import), the programmatic form of the
// jq fix. Check in AWS what the interrupted operations did first, and
// refresh afterwards.
func (s *LocalStack) ClearPendingOperations(ctx context.Context) (int, error) {
	u, err := s.stack.Export(ctx)
	if err != nil {
		return 0, fmt.Errorf("clear pending operations: export: %w", cliError(err))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(u.Deployment, &raw); err != nil {
		return 0, fmt.Errorf("clear pending operations: %w", err)
	}
	var pending []json.RawMessage
	if p, ok := raw["pending_operations"]; ok {
		_ = json.Unmarshal(p, &pending)
	}
	if len(pending) == 0 {
		return 0, nil
	}
	delete(raw, "pending_operations")
	b, err := json.Marshal(raw)
	if err != nil {
		return 0, fmt.Errorf("clear pending operations: %w", err)
	}
	u.Deployment = b
	if err := s.stack.Import(ctx, u); err != nil {
		return 0, fmt.Errorf("clear pending operations: import: %w", cliError(err))
	}
	return len(pending), nil
}
