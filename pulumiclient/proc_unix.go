//go:build !windows

package pulumiclient

import (
	"os"
	"os/exec"
	"syscall"
)

// setProcessGroup puts the CLI in its own process group, so a terminal's
// Ctrl-C reaches it only through the context (and thus only once).
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
