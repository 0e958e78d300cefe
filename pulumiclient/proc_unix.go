//go:build !windows

package pulumiclient

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// setProcessGroup puts the CLI in its own process group, so a terminal's
// Ctrl-C reaches it only through the context (and thus only once).
//
// No parent-death signal is asked for: for a multi-threaded parent such as
// a Go program, Linux sends it again each time a dying thread hands the
// child to another (PR_SET_PDEATHSIG follows the thread, not the process),
// and a second SIGINT makes pulumi terminate at once, leaving the stack
// locked with pending operations. A CLI whose datalayer died finishes the
// update it was confirmed for; its pid is in the journal and its lock says
// it runs, so `datalayer resume` waits for it and no one is told to cancel it.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// interrupt asks the CLI to stop as Ctrl-C does; it then cancels the update
// cleanly and releases the stack's lock.
func interrupt(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		return cmd.Process.Kill()
	}
	return nil
}

// killGroup kills the CLI and the plugins it started.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		return cmd.Process.Kill()
	}
	return nil
}

// ProcessRunning reports whether process pid is alive and, where /proc
// tells, runs a program whose command line contains name (so a pid reused
// by another program does not count).
func ProcessRunning(pid int, name string) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			_, statErr := os.Stat("/proc/self")
			return statErr != nil // no /proc at all (macOS): trust kill(0)
		}
		return true
	}
	// A zombie (exited, not yet reaped) has an empty command line.
	return len(b) > 0 && (name == "" || strings.Contains(string(b), name))
}
