package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// LockHolder is who holds a lock in the state directory: enough to find
// the process, and to say what it is doing.
type LockHolder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	RunID   string    `json:"run"`
	Started time.Time `json:"started"`
	// What the lock is for, in words: "stack staging" or "run <id>".
	What string `json:"what"`
}

func (h LockHolder) String() string {
	return fmt.Sprintf("run %s (pid %d on %s, since %s)", orDefault(h.RunID, "?"), h.PID, orDefault(h.Host, "?"), h.Started.UTC().Format(time.RFC3339))
}

// LockedError says that another run holds a lock this run needs.
type LockedError struct {
	What   string // "stack staging", "run <id>"
	Holder LockHolder
	Path   string
	// Unsure is set when the holder's process cannot be checked from here
	// (another host, or an unreadable lock file).
	Unsure bool
	Reason string
}

func (e *LockedError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("%s is locked: %s; if no datalayer run is using it, remove %s and start again", e.What, e.Reason, e.Path)
	}
	msg := fmt.Sprintf("%s is in use by %s: two runs at once would both send the same writes. Wait for that run to end (or stop it)", e.What, e.Holder)
	if e.Unsure {
		return msg + fmt.Sprintf("; it runs on another host, so whether it is still alive cannot be checked from here: if it is not, remove %s and start again", e.Path)
	}
	return msg + ", then start again"
}

// lockFile is one held lock; release removes it.
type lockFile struct {
	path string
	me   LockHolder
}

// recoveredLock is a stale lock that was taken over: its holder had gone.
type recoveredLock struct {
	What   string
	Holder LockHolder
}

func (r recoveredLock) text() string {
	return fmt.Sprintf("%s was locked by %s, whose process is gone (killed or crashed): the stale lock was taken over", r.What, r.Holder)
}

// lockName turns a key into a file name that says what it locks.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// stackLockKey names the lock of a stack: the stack's name and the
// program directory it is deployed from (a rehearsal's world has its own).
func stackLockKey(stack, programDir string) string {
	sum := sha256.Sum256([]byte(programDir + "\x00" + stack))
	return "stack-" + unsafeName.ReplaceAllString(stack, "_") + "-" + hex.EncodeToString(sum[:6])
}

func runLockKey(runID string) string { return "run-" + unsafeName.ReplaceAllString(runID, "_") }

// lockPath is where a lock lives in the state directory.
func lockPath(stateDir, key string) string { return filepath.Join(stateDir, "locks", key+".lock") }

// acquireLock takes the lock file at path for me. A lock whose holder's
// process is gone (same host, pid not running) is taken over and reported;
// any other holder is refused with a *LockedError naming it. The file is
// created whole (written aside, then linked in place), so a reader never
// sees half a holder.
func acquireLock(path string, me LockHolder) (*lockFile, *recoveredLock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("lock %s: %w", me.What, err)
	}
	b, err := json.Marshal(me)
	if err != nil {
		return nil, nil, fmt.Errorf("lock %s: %w", me.What, err)
	}
	tmp := fmt.Sprintf("%s.%d.%d.tmp", path, me.PID, time.Now().UnixNano())
	if err := writeSynced(tmp, b); err != nil {
		return nil, nil, fmt.Errorf("lock %s: %w", me.What, err)
	}
	defer os.Remove(tmp)
	var recovered *recoveredLock
	for attempt := 0; attempt < 3; attempt++ {
		err := os.Link(tmp, path)
		if err == nil {
			if err := syncDir(filepath.Dir(path)); err != nil {
				_ = os.Remove(path)
				return nil, nil, fmt.Errorf("lock %s: %w", me.What, err)
			}
			return &lockFile{path: path, me: me}, recovered, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, nil, fmt.Errorf("lock %s: %w", me.What, err)
		}
		held, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue // released meanwhile: try again
		}
		if err != nil {
			return nil, nil, fmt.Errorf("lock %s: read %s: %w", me.What, path, err)
		}
		var h LockHolder
		if err := json.Unmarshal(held, &h); err != nil || h.PID <= 0 {
			return nil, nil, &LockedError{What: me.What, Path: path, Unsure: true, Reason: "its lock file cannot be read (" + strings.TrimSpace(string(held)) + ")"}
		}
		if h.Host != me.Host {
			return nil, nil, &LockedError{What: me.What, Holder: h, Path: path, Unsure: true}
		}
		if ProcessAlive(h.PID) {
			return nil, nil, &LockedError{What: me.What, Holder: h, Path: path}
		}
		// The holder is gone: take the lock over, unless another process
		// took it over first (then the file is no longer the stale one).
		again, err := os.ReadFile(path)
		if err == nil && string(again) == string(held) {
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, nil, fmt.Errorf("lock %s: remove the stale lock %s: %w", me.What, path, err)
			}
			recovered = &recoveredLock{What: me.What, Holder: h}
		}
	}
	return nil, nil, fmt.Errorf("lock %s: %s keeps changing: another run is starting at the same time", me.What, path)
}

// release removes the lock if it is still this holder's.
func (l *lockFile) release() {
	if l == nil {
		return
	}
	b, err := os.ReadFile(l.path)
	if err != nil {
		return
	}
	var h LockHolder
	if json.Unmarshal(b, &h) == nil && h.PID == l.me.PID && h.RunID == l.me.RunID && h.Host == l.me.Host {
		_ = os.Remove(l.path)
	}
}

// runLocks are the locks a run holds from its start (or resume) to its end.
type runLocks struct {
	run, stack *lockFile
	recovered  []recoveredLock
}

func (l *runLocks) release() {
	if l == nil {
		return
	}
	l.stack.release()
	l.run.release()
}

// takeRunLocks takes the run's own lock, then its stack's, before the
// journal is opened: one process per run and one run per stack.
func takeRunLocks(stateDir, runID, stack, programDir string, now time.Time) (*runLocks, error) {
	host, _ := os.Hostname()
	me := LockHolder{PID: os.Getpid(), Host: host, RunID: runID, Started: now.UTC()}
	locks := &runLocks{}
	me.What = "run " + runID
	l, rec, err := acquireLock(lockPath(stateDir, runLockKey(runID)), me)
	if err != nil {
		return nil, err
	}
	locks.run = l
	if rec != nil {
		locks.recovered = append(locks.recovered, *rec)
	}
	me.What = "stack " + stack
	l, rec, err = acquireLock(lockPath(stateDir, stackLockKey(stack, programDir)), me)
	if err != nil {
		locks.release()
		return nil, err
	}
	locks.stack = l
	if rec != nil {
		locks.recovered = append(locks.recovered, *rec)
	}
	return locks, nil
}
