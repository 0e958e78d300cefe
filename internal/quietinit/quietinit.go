// Package quietinit keeps the frozen bubbletea v1 from asking the terminal
// anything while the program starts.
//
// datalayer draws with the Charm v2 line, but the Pulumi SDK's Automation
// API links bubbletea v1 (go/auto imports go/common/util/cmdutil, whose
// console prompts use it; datalayer never shows them). bubbletea v1's
// package init asks the terminal for its background colour through termenv
// and waits up to 5 s for the answer: on a terminal that never answers,
// every command, `version` included, stalled 5 s. termenv asks nothing while
// the CI variable is set. This package's init sets CI for the span of the
// package inits (when it was not set already) and Restore, the first thing
// main does, takes it away again, so no command and no child process sees
// it.
//
// Order: Go initialises packages in import-path order among those whose
// imports are initialised. This package imports only os, which termenv
// imports too, and its path sorts before github.com/muesli/termenv; so it
// is always initialised before termenv, hence before lipgloss v1 and
// bubbletea v1. The pty test in e2e (TestStartupOnSilentTerminal) proves
// the effect on the built binary.
package quietinit

import "os"

// ciVar is the variable termenv reads: with it set, termenv takes the
// output for a non-terminal and sends no query.
const ciVar = "CI"

// setHere is true while CI is set by this package.
var setHere bool

func init() {
	if _, ok := os.LookupEnv(ciVar); !ok {
		setHere = os.Setenv(ciVar, "datalayer-start-up") == nil
	}
}

// Restore unsets CI if this package set it. main calls it before anything
// else, so commands and the processes they start see the environment they
// were given.
func Restore() {
	if setHere {
		_ = os.Unsetenv(ciVar)
		setHere = false
	}
}
