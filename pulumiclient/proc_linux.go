//go:build linux

package pulumiclient

import "syscall"

// setDeathSignal makes the kernel send the CLI SIGINT when datalayer dies
// (a SIGKILL, a crash): the CLI then stops the update as after Ctrl-C —
// in-flight operations finish, the lock is released — instead of going on
// unwatched. The signal is tied to the thread that started the CLI; Go
// keeps its threads alive (none of ours is locked), so it fires when the
// process dies.
func setDeathSignal(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGINT }
