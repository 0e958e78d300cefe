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
// Ctrl-C reaches it only through the context (and thus only once), and asks
// the kernel to interrupt it if datalayer dies first (where it can).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(cmd.SysProcAttr)
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
