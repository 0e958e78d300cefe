package pulumiclient

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// simLock is a simulated stack's lock file, as the CLI's file backend
// writes one per running update (.pulumi/locks/.../<stack>/<id>.json).
//
// The CLI's lock names a process of its own: once the update is over, or
// the process killed, the process is gone and a lock it left is stale. The
// simulated engine runs inside the process that uses it, which outlives an
// update it abandoned (an interruption past the grace period), so the pid
// alone cannot tell. The lock also names its operation, and the operation
// is running while its process still has it in flight (simOperations).
type simLock struct {
	Pid  int       `json:"pid"`
	Host string    `json:"hostname,omitempty"`
	Time time.Time `json:"timestamp"`
	// Operation is the update's (or refresh's, or state edit's) token.
	Operation string `json:"operation,omitempty"`
	// Program is the holding process's program (os.Args[0]'s base name),
	// so a pid reused by another program does not count as the holder.
	Program string `json:"program,omitempty"`
}

// simOperations holds the tokens of the simulated engine's operations in
// flight in this process, from taking the lock to their end.
var simOperations sync.Map

// endOperation marks the operation that took a lock (its token) as ended:
// a lock it leaves behind is then abandoned, as a killed CLI's is.
func endOperation(token string) { simOperations.Delete(token) }

// running reports whether the operation holding lock l is still at work:
// in this process, while it is in flight; in another process on this
// machine, while that process runs.
func (l *simLock) running() bool {
	if l == nil || l.Pid <= 0 {
		return false
	}
	if l.Pid == os.Getpid() {
		_, ok := simOperations.Load(l.Operation)
		return ok && l.Operation != ""
	}
	host, err := os.Hostname()
	return err == nil && l.Host == host && ProcessRunning(l.Pid, l.Program)
}

func (s *SimStack) lockPath() string { return filepath.Join(s.opts.StateDir, s.name+".lock") }

// takeLock locks the stack for an update or a refresh, as the CLI's file
// backend does (pkg/backend/diy: Update and Refresh lock, Preview and a
// preview-only refresh neither lock nor look). The lock is a file created
// only when none exists, so it holds across processes, and a killed
// update leaves it behind. It returns the operation's token, in flight
// until the caller ends it (endOperation) whether or not the lock was
// released: a lock left once its operation ended is an abandoned one.
func (s *SimStack) takeLock() (string, error) {
	if err := os.MkdirAll(s.opts.StateDir, 0o755); err != nil {
		return "", fmt.Errorf("lock the stack: %w", err)
	}
	f, err := os.OpenFile(s.lockPath(), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		l, _ := s.readLock()
		return "", s.lockedError(l)
	}
	if err != nil {
		return "", fmt.Errorf("lock the stack: %w", err)
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	simOperations.Store(token, struct{}{})
	host, _ := os.Hostname()
	err = json.NewEncoder(f).Encode(simLock{Pid: os.Getpid(), Host: host, Time: s.opts.Clock.Now(),
		Operation: token, Program: filepath.Base(os.Args[0])})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		endOperation(token)
		_ = os.Remove(s.lockPath())
		return "", fmt.Errorf("lock the stack: %w", err)
	}
	return token, nil
}

func (s *SimStack) releaseLock() { _ = os.Remove(s.lockPath()) }

// readLock returns the stack's lock, or nil when it is not locked.
func (s *SimStack) readLock() (*simLock, error) {
	b, err := os.ReadFile(s.lockPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the stack's lock: %w", err)
	}
	var l simLock
	if err := json.Unmarshal(b, &l); err != nil {
		return &simLock{}, nil // locked, by a writer cut short
	}
	return &l, nil
}

func (s *SimStack) lockedError(l *simLock) error {
	who := "another update"
	if l != nil && l.Pid != 0 {
		who = fmt.Sprintf("an update started at %s (pid %d)", l.Time.Format(time.RFC3339), l.Pid)
	}
	return fmt.Errorf("%w: the stack is currently locked by 1 lock(s): %s has not finished; wait for it to end, or if it is dead remove the lock; fix: pulumi cancel --stack %s",
		ErrLocked, who, s.name)
}

// simRun is one running update or refresh, interruptible as the CLI is.
type simRun struct {
	// stopped closes at the first interrupt (Ctrl-C): no operation starts
	// after it.
	stopped  chan struct{}
	stopOnce sync.Once
	// ctx is the operations' context: it ends when an interrupted run's
	// grace period is over, abandoning the operation in flight as a kill.
	ctx    context.Context
	kill   context.CancelFunc
	killed atomic.Bool
	done   chan struct{}
}

// startRun starts a run that the caller's context interrupts.
func (s *SimStack) startRun(caller context.Context) *simRun {
	ctx, kill := context.WithCancel(context.WithoutCancel(caller))
	r := &simRun{stopped: make(chan struct{}), ctx: ctx, kill: kill, done: make(chan struct{})}
	go func() {
		select {
		case <-caller.Done():
			s.interrupt(r)
		case <-r.done:
		}
	}()
	s.mu.Lock()
	s.running = r
	s.mu.Unlock()
	return r
}

// interrupt is the CLI's first Ctrl-C: the engine starts no new
// operation, and the provider's operation in flight runs on (the AWS
// provider ignores cancellation). If it outlasts the grace period it is
// abandoned, as the kill that follows leaves it: lock and pending
// operation stay.
func (s *SimStack) interrupt(r *simRun) {
	r.stopOnce.Do(func() {
		close(r.stopped)
		go func() {
			select {
			case <-s.opts.Clock.After(s.opts.InterruptGrace):
				r.killed.Store(true)
				r.kill()
			case <-r.done:
			}
		}()
	})
}

func (r *simRun) interrupted() bool {
	select {
	case <-r.stopped:
		return true
	default:
		return false
	}
}

func (s *SimStack) endRun(r *simRun) {
	close(r.done)
	r.kill()
	s.mu.Lock()
	if s.running == r {
		s.running = nil
	}
	s.mu.Unlock()
}

// errKilled is an interrupted run whose operation in flight outlasted the
// grace period.
func (s *SimStack) errKilled(op string) error {
	return fmt.Errorf("%s was interrupted and its operation in flight outlasted the %s grace period: it was stopped as a kill stops the CLI, "+
		"so the stack stays locked and the operation stays pending: %w", op, s.opts.InterruptGrace, context.Canceled)
}

// errInterrupted is an interrupted run that stopped cleanly.
func errInterrupted(op string) error {
	return fmt.Errorf("%s was interrupted: the operation in flight finished and nothing else started (update canceled): %w", op, context.Canceled)
}

// Cancel implements Stack. An update or refresh this process runs is
// interrupted as the CLI's first Ctrl-C does; otherwise, as `pulumi
// cancel` does, the lock a dead update left is removed.
func (s *SimStack) Cancel(context.Context) error {
	s.mu.Lock()
	r := s.running
	s.mu.Unlock()
	if r != nil {
		s.interrupt(r)
		return nil
	}
	if err := os.Remove(s.lockPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cancel: %w", err)
	}
	return nil
}

// Lock implements Stack: the lock file and the pending operations.
func (s *SimStack) Lock(context.Context) (LockState, error) {
	st, err := s.load()
	if err != nil {
		return LockState{}, fmt.Errorf("lock status: %w", err)
	}
	l, err := s.readLock()
	if err != nil {
		return LockState{}, fmt.Errorf("lock status: %w", err)
	}
	var locks []LockFile
	if l != nil {
		locks = append(locks, LockFile{Path: s.lockPath(), Holder: fmt.Sprintf("%s pid %d since %s", l.Host, l.Pid, l.Time.Format(time.RFC3339)),
			PID: l.Pid, Host: l.Host, Running: l.running()})
	}
	return LockFromState(s.name, locks, pendingOps(st.Pending)), nil
}
