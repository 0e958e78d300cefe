package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/datalayer-tool/datalayer/internal/config"
	"github.com/datalayer-tool/datalayer/runbooks"
	"github.com/datalayer-tool/datalayer/tui"
)

// picker shows the start screen; tui.PickStart unless a test says otherwise.
type picker func(context.Context, tui.StartOptions) (tui.StartChoice, error)

// fillFromStartScreen completes a request that lacks its runbook or stack:
// on a terminal the start screen asks, as if the flags had been given; in
// plain mode (--plain, no terminal, TERM=dumb) it is the usage error naming
// what is missing. missingRunbook is the rehearse command without its
// argument; a request without Stack outside a rehearsal lacks --stack.
func (a *app) fillFromStartScreen(ctx context.Context, req *runRequest, missingRunbook bool) error {
	missingStack := !req.Rehearsal && req.Stack == ""
	if !missingRunbook && !missingStack {
		return nil
	}
	var stacks []config.Stack
	if missingStack {
		l, err := a.config()
		if err != nil {
			return err
		}
		stacks = l.Stacks
	}
	if req.Plain || a.plainOutput() {
		if missingRunbook {
			return usagef("name one runbook: %s (or run without --plain in a terminal to choose on the start screen)", runbookList("or"))
		}
		names := make([]string, len(stacks))
		for i, s := range stacks {
			names[i] = s.Name
		}
		return usagef(`required flag(s) "stack" not set: add --stack NAME (one of %s), or run without --plain in a terminal to choose on the start screen`, strings.Join(names, ", "))
	}
	opts := tui.StartOptions{Input: a.io.In, Output: a.io.Out}
	for _, name := range runbooks.Names() {
		b, err := runbooks.Get(name)
		if err != nil {
			return err
		}
		opts.Runbooks = append(opts.Runbooks, tui.StartRunbook{Name: b.Name, Line: b.Line, Urgent: b.Urgent})
	}
	if !missingRunbook {
		opts.Runbook = req.Runbook
	}
	for _, s := range stacks {
		opts.Stacks = append(opts.Stacks, tui.StartStack{Name: s.Name, Production: s.Production || isProduction(config.Config{}, s.Name)})
	}
	pick := a.pick
	if pick == nil {
		pick = tui.PickStart
	}
	choice, err := pick(ctx, opts)
	switch {
	case errors.Is(err, tea.ErrInterrupted):
		return &InterruptedError{Err: err}
	case err != nil:
		return fmt.Errorf("start screen: %w", err)
	}
	if missingRunbook {
		if err := oneOf("runbook", choice.Runbook, runbookNames...); err != nil || choice.Runbook == "" {
			return fmt.Errorf("start screen: no runbook chosen")
		}
		req.Runbook = choice.Runbook
	}
	if missingStack {
		if choice.Stack == "" {
			return fmt.Errorf("start screen: no stack chosen")
		}
		req.Stack = choice.Stack
	}
	return nil
}
