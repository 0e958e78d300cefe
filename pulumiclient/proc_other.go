//go:build !linux && !windows

package pulumiclient

import "syscall"

// setDeathSignal does nothing where the kernel has no parent-death signal:
// the CLI outlives a killed datalayer there, and `datalayer resume` waits
// for it (its pid is in the journal).
func setDeathSignal(*syscall.SysProcAttr) {}
