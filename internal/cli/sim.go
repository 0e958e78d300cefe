package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/clock"
)

// scenarioNames lists the simulator's fault scenarios.
func scenarioNames() []string {
	var names []string
	for _, s := range rdssim.Scenarios() {
		names = append(names, s.Name)
	}
	return names
}

func checkScenario(name string) error {
	return oneOf("scenario", name, scenarioNames()...)
}

func checkSpeed(speed float64) error {
	if speed <= 0 || speed > 100000 {
		return usagef("--speed %g: give a factor above 0 and at most 100000 (1 is real time)", speed)
	}
	return nil
}

func scenarioHelp() string {
	s := "Scenarios:\n"
	for _, sc := range rdssim.Scenarios() {
		s += fmt.Sprintf("  %-32s %s\n", sc.Name, sc.Description)
	}
	return s
}

func (a *app) simCmd() *cobra.Command {
	var (
		addr     string
		speed    float64
		scenario string
		state    string
		reqLog   string
		callers  []string
	)
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run the RDS simulator for the AWS CLI, the SDK and datalayer itself",
		Long: `Run the built-in RDS control-plane simulator: an HTTP server speaking the real
RDS Query API (and STS GetCallerIdentity), holding the default world — the data
stack's instance app5ec7032 with a week of snapshots — changed by a fault
scenario. Point the AWS CLI, your own scripts or datalayer at it.

With --state, the world is loaded from the file when it exists and saved to it
on exit (Ctrl-C). With --requests-log, every request that changes something
(create, modify, delete, restore, rename...) is appended to the file as one
JSON line once answered: the simulated time, the action, the HTTP status, the
instance and snapshot names, and the access key id it was signed with — to
check afterwards that nothing was done twice, and by whom. --caller makes STS
answer GetCallerIdentity for one access key id as another principal, so two
profiles can be told apart.

` + scenarioHelp(),
		Example: `  datalayer sim
  datalayer sim --addr 127.0.0.1:0 --speed 60 --scenario rename-refused --state sim.json
  datalayer sim --requests-log requests.jsonl --caller AKIAEXAMPLEDOCKER=arn:aws:iam::123456789012:user/docker-user

  # in another terminal
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-west-2 \
    /usr/bin/aws --endpoint-url http://127.0.0.1:4566 rds describe-db-instances
  AWS_ENDPOINT_URL=http://127.0.0.1:4566 datalayer status`,
		Args: cobra.NoArgs,
		PreRunE: func(*cobra.Command, []string) error {
			if err := checkScenario(scenario); err != nil {
				return err
			}
			if err := checkSpeed(speed); err != nil {
				return err
			}
			_, err := parseCallers(callers)
			return err
		},
		RunE: a.run(func(cmd *cobra.Command, _ []string) error {
			cs, _ := parseCallers(callers)
			return a.runSim(cmd.Context(), simOptions{addr: addr, speed: speed, scenario: scenario, state: state, requestsLog: reqLog, callers: cs})
		}),
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:4566", "address to listen on (port 0 picks a free one)")
	f.Float64Var(&speed, "speed", 1, "operations take 1/N of their AWS time; timestamps stay on the wall clock")
	f.StringVar(&scenario, "scenario", "default", "fault scenario (see above)")
	f.StringVar(&state, "state", "", "load the world from this file if it exists, save it there on exit")
	f.StringVar(&reqLog, "requests-log", "", "append every mutating request to this file as a JSON line")
	f.StringArrayVar(&callers, "caller", nil, "KEY=ARN: STS answers requests signed with access key id KEY as principal ARN (repeatable)")
	_ = cmd.RegisterFlagCompletionFunc("scenario", fixedCompletion(scenarioNames()...))
	_ = cmd.MarkFlagFilename("state", "json")
	_ = cmd.MarkFlagFilename("requests-log")
	return cmd
}

// parseCallers reads --caller KEY=ARN values.
func parseCallers(vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		key, arn, ok := strings.Cut(v, "=")
		if !ok || strings.TrimSpace(key) == "" || !strings.HasPrefix(arn, "arn:aws:") {
			return nil, usagef("--caller %q: give ACCESS_KEY_ID=ARN, e.g. AKIAEXAMPLE=arn:aws:iam::123456789012:user/docker-user", v)
		}
		out[strings.TrimSpace(key)] = arn
	}
	return out, nil
}

// simOptions are the flags of `datalayer sim`.
type simOptions struct {
	addr, scenario, state, requestsLog string
	speed                              float64
	callers                            map[string]string
}

func (a *app) runSim(ctx context.Context, o simOptions) error {
	clk := clock.NewWall(o.speed)
	out := a.io.Out
	addr, speed, scenario, state := o.addr, o.speed, o.scenario, o.state
	sim, err := rdssim.New(rdssim.Options{Clock: clk, Scenario: scenario})
	if err != nil {
		return &UsageError{Err: fmt.Errorf("sim: %w", err)}
	}
	if len(o.callers) > 0 {
		sim.Mutate(func(w *rdssim.World) { w.Callers = o.callers })
	}
	if state != "" {
		f, err := os.Open(state)
		switch {
		case err == nil:
			err = sim.Load(f)
			_ = f.Close()
			if err != nil {
				return fmt.Errorf("sim: load %s: %w", state, err)
			}
			fmt.Fprintf(out, "Loaded the world from %s.\n", state)
		case errors.Is(err, fs.ErrNotExist):
		default:
			return fmt.Errorf("sim: %w", err)
		}
	}
	var handler http.Handler = sim
	if o.requestsLog != "" {
		f, err := os.OpenFile(o.requestsLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return &UsageError{Err: fmt.Errorf("sim: --requests-log: %w", err)}
		}
		defer func() { _ = f.Close() }()
		handler = rdssim.LogMutating(sim, clk, f, nil)
	}
	bound, done, err := rdssim.Start(ctx, addr, handler)
	if err != nil {
		return &UsageError{Err: fmt.Errorf("sim: %w", err)}
	}
	url := "http://" + bound
	fmt.Fprintf(out, "RDS simulator listening on %s (scenario %s, %gx speed, region %s, account %s)\n",
		url, scenario, speed, rdssim.DefaultRegion, rdssim.DefaultAccount)
	fmt.Fprintf(out, "Try:\n  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=%s aws --endpoint-url %s rds describe-db-instances\n",
		rdssim.DefaultRegion, url)
	fmt.Fprintf(out, "  AWS_ENDPOINT_URL=%s datalayer status\n", url)
	if o.requestsLog != "" {
		fmt.Fprintf(out, "Mutating requests are logged to %s.\n", o.requestsLog)
	}
	fmt.Fprintln(out, "Stop with Ctrl-C.")
	serveErr := <-done
	if serveErr != nil {
		serveErr = fmt.Errorf("sim: serve on %s: %w", bound, serveErr)
	}
	if state != "" {
		if err := saveSim(sim, state); err != nil {
			return errors.Join(serveErr, err)
		}
		fmt.Fprintf(out, "Saved the world to %s.\n", state)
	}
	return serveErr
}

// saveSim writes the world next to the target and renames it into place, so
// an interrupted save never leaves half a file.
func saveSim(sim *rdssim.Sim, path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sim-state-*")
	if err != nil {
		return fmt.Errorf("sim: save state: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if err := sim.Save(tmp); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("sim: save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sim: save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("sim: save state: %w", err)
	}
	return nil
}
