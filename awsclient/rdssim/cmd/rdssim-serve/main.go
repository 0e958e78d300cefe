// Command rdssim-serve runs the RDS simulator on its own, for the AWS CLI
// conformance script and for trying scripts against it without the rest of
// datalayer. It prints "listening on http://HOST:PORT" once it is ready and
// serves until interrupted; with --state it loads the file at start (when it
// exists) and saves to it at exit.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/clock"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "rdssim-serve:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:4566", "address to listen on (port 0 picks a free one)")
	speed := flag.Float64("speed", 1, "simulated operations run this many times faster than on AWS (timestamps stay on the wall clock)")
	scenario := flag.String("scenario", "default", "fault scenario")
	state := flag.String("state", "", "load the world from this file at start and save it there at exit")
	addrFile := flag.String("addr-file", "", "write the bound address (host:port) to this file when ready")
	flag.Parse()

	sim, err := rdssim.New(rdssim.Options{
		Clock:    clock.NewWall(*speed),
		Scenario: *scenario,
		OnListen: func(bound string) {
			fmt.Printf("listening on http://%s\n", bound)
			if *addrFile != "" {
				_ = os.WriteFile(*addrFile+".tmp", []byte(bound), 0o600)
				_ = os.Rename(*addrFile+".tmp", *addrFile)
			}
		},
	})
	if err != nil {
		return err
	}
	if *state != "" {
		f, err := os.Open(*state)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("open state: %w", err)
		default:
			err = sim.Load(f)
			f.Close()
			if err != nil {
				return err
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := rdssim.ListenAndServe(ctx, *addr, sim); err != nil {
		return err
	}
	if *state != "" {
		f, err := os.Create(*state)
		if err != nil {
			return fmt.Errorf("save state: %w", err)
		}
		defer f.Close()
		return sim.Save(f)
	}
	return nil
}
