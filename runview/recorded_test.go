package runview

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/internal/pulumitest"
	"github.com/datalayer-tool/datalayer/pulumiclient"
)

var record = flag.Bool("record", false, "write the event streams of the real pulumi CLI to testdata/pulumi")

// recording is one operation of the real CLI whose engine events are kept
// in testdata/pulumi/<name>.jsonl, and what the view model must show once
// they are folded: every row's op and phase ("op phase") by resource name.
type recording struct {
	name string
	step string
	want map[string]string
}

// recordings are replayed in this order: they are one stack's life.
var recordings = []recording{
	{name: "up-create", step: "up", want: map[string]string{
		"parameterGroup": "create done", "app": "create done", "data-dev": "create done", "default": "create done",
	}},
	// The refresh that showed its rows "refreshing…" for ever on the
	// production path: nothing drifted, so the engine ends each refresh
	// with a "same" outputs event.
	{name: "refresh", step: "refresh", want: map[string]string{
		"data-dev": "refresh done", "default": "refresh done", "parameterGroup": "refresh done", "app": "refresh done",
	}},
	// Someone changed the maintenance window in the console.
	{name: "refresh-drift", step: "refresh", want: map[string]string{
		"data-dev": "refresh done", "default": "refresh done", "parameterGroup": "refresh done", "app": "refresh done",
	}},
	{name: "preview-restore", step: "preview", want: map[string]string{
		"app": "create-replacement planned", "app#replace": "replace planned", "app#delete-replaced": "delete-replaced planned",
	}},
	{name: "up-restore", step: "up", want: map[string]string{
		"app": "create-replacement done", "app#replace": "replace done", "app#delete-replaced": "delete-replaced done",
	}},
}

// readRecording reads the engine events of a recording and turns them into
// the engine's events as pulumiclient's pump and the step's Exec.Progress
// do on the production path.
func readRecording(t *testing.T, r recording) []engine.Event {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "pulumi", r.name+".jsonl"))
	if err != nil {
		t.Fatalf("%v (record with: go test ./runview -run TestPulumiStreamsFromTheCLI -record)", err)
	}
	defer f.Close()
	var out []engine.Event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev apitype.EngineEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		out = append(out, progressEvents(r.step, events.EngineEvent{EngineEvent: ev})...)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no events", r.name)
	}
	return out
}

func progressEvents(step string, ev events.EngineEvent) []engine.Event {
	p, ok := pulumiclient.ToProgress(ev)
	if !ok {
		return nil
	}
	return []engine.Event{{Type: engine.EventPulumi, StepID: step, Time: p.Time, Pulumi: stepOf(p)}}
}

// rowsByName is the view model's Pulumi rows as "op phase" by resource name;
// a resource's second and third rows (a replacement) are name#op.
func rowsByName(s *State) map[string]string {
	out := map[string]string{}
	for _, r := range s.Pulumi.Rows {
		k := r.Name
		if _, taken := out[k]; taken {
			k += "#" + r.Op
		}
		out[k] = r.Op + " " + r.Phase.String()
	}
	return out
}

// checkFolded folds one operation's events and checks the rows.
func checkFolded(t *testing.T, r recording, evs []engine.Event) {
	t.Helper()
	s := New(info, nil, nil, 0)
	for _, ev := range evs {
		s.Apply(ev)
	}
	got := rowsByName(s)
	if fmt.Sprint(got) != fmt.Sprint(r.want) {
		t.Errorf("%s: rows %v, want %v", r.name, got, r.want)
	}
	for _, row := range s.Pulumi.Rows {
		if row.Phase == PhaseRunning {
			t.Errorf("%s: %s %s still says %q after the operation ended", r.name, row.Type, row.Name, row.StatusText())
		}
	}
	if s.Pulumi.Result == "" && r.step != "preview" {
		t.Errorf("%s: no summary folded", r.name)
	}
	if got := s.InFlight(time.Now()); len(got) > 0 {
		t.Errorf("%s: in flight after the operation ended: %v", r.name, got)
	}
}

// TestRecordedPulumiStreams replays event streams recorded from the real
// pulumi CLI (v3.274.1, YAML program, datalayer's test AWS provider over
// the RDS simulator): the view model must end each operation with every row
// ended, in the words the CLI uses.
func TestRecordedPulumiStreams(t *testing.T) {
	for _, r := range recordings {
		t.Run(r.name, func(t *testing.T) {
			checkFolded(t, r, readRecording(t, r))
		})
	}
	t.Run("refresh rows are not left refreshing before the summary either", func(t *testing.T) {
		// The summary closes what is left; the rows must end on the
		// engine's own end events already.
		evs := readRecording(t, recordings[1])
		s := New(info, nil, nil, 0)
		for _, ev := range evs {
			if ev.Pulumi.Status == engine.PulumiSummary {
				continue
			}
			s.Apply(ev)
		}
		for _, row := range s.Pulumi.Rows {
			if row.Phase != PhaseDone {
				t.Errorf("%s is %q without the summary", row.Name, row.StatusText())
			}
		}
	})
}

// TestPulumiStreamsFromTheCLI runs the operations of the recordings on the
// real pulumi CLI now and folds what it sends, so the stored recordings
// cannot drift from what the CLI does; -record stores the new streams.
func TestPulumiStreamsFromTheCLI(t *testing.T) {
	tools := pulumitest.Tools(t)
	sim := pulumitest.StartSim(t, "")
	env := pulumitest.Env(t, tools, sim.URL)
	ctx := pulumitest.Context(t, 10*time.Minute)
	program, err := os.ReadFile(filepath.Join("testdata", "pulumi", "Main.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := pulumitest.NewYAMLProject(t, tools, "data", string(program))
	stack, err := auto.UpsertStackLocalSource(ctx, "dev", dir, pulumitest.WorkspaceOptions(t, tools, env)...)
	if err != nil {
		t.Fatalf("create stack: %v", err)
	}
	if err := stack.SetConfig(ctx, "aws:region", auto.ConfigValue{Value: "eu-west-2"}); err != nil {
		t.Fatal(err)
	}
	// collect runs one operation with an event stream, as LocalStack does.
	collect := func(op func(ch chan<- events.EngineEvent) error) []apitype.EngineEvent {
		t.Helper()
		ch := make(chan events.EngineEvent)
		done := make(chan []apitype.EngineEvent)
		go func() {
			var evs []apitype.EngineEvent
			for ev := range ch {
				evs = append(evs, ev.EngineEvent)
			}
			done <- evs
		}()
		if err := op(ch); err != nil {
			t.Fatal(err)
		}
		return <-done
	}
	ops := map[string]func(ch chan<- events.EngineEvent) error{
		"up-create": func(ch chan<- events.EngineEvent) error {
			_, err := stack.Up(ctx, optup.EventStreams(ch), optup.Color("never"))
			return err
		},
		"refresh": func(ch chan<- events.EngineEvent) error {
			_, err := stack.Refresh(ctx, optrefresh.EventStreams(ch), optrefresh.Color("never"))
			return err
		},
		"refresh-drift": func(ch chan<- events.EngineEvent) error {
			sim.Sim.Mutate(func(w *rdssim.World) {
				for _, in := range w.Instances {
					if strings.HasPrefix(in.ID, "app") && len(in.ID) == len("app")+7 {
						in.MaintenanceWindow = "tue:01:00-tue:04:00"
					}
				}
			})
			_, err := stack.Refresh(ctx, optrefresh.EventStreams(ch), optrefresh.Color("never"))
			return err
		},
		"preview-restore": func(ch chan<- events.EngineEvent) error {
			restore := strings.Replace(string(program), "# SNAPSHOT", "snapshotIdentifier: after-postgres-update-167", 1)
			if err := os.WriteFile(filepath.Join(dir, "Main.yaml"), []byte(restore), 0o644); err != nil {
				return err
			}
			_, err := stack.Preview(ctx, optpreview.EventStreams(ch), optpreview.Color("never"), optpreview.Diff())
			return err
		},
		"up-restore": func(ch chan<- events.EngineEvent) error {
			_, err := stack.Up(ctx, optup.EventStreams(ch), optup.Color("never"))
			return err
		},
	}
	for _, r := range recordings {
		evs := collect(ops[r.name])
		var replay []engine.Event
		for _, ev := range evs {
			replay = append(replay, progressEvents(r.step, events.EngineEvent{EngineEvent: ev})...)
		}
		t.Run(r.name, func(t *testing.T) { checkFolded(t, r, replay) })
		if *record {
			writeRecording(t, r.name, evs)
		}
	}
}

// writeRecording stores a stream, one engine event per line, without the
// parts that change from run to run and say nothing to a renderer
// (sequence numbers and timestamps are kept: the fold uses them).
func writeRecording(t *testing.T, name string, evs []apitype.EngineEvent) {
	t.Helper()
	var b bytes.Buffer
	for _, ev := range evs {
		line, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	path := filepath.Join("testdata", "pulumi", name+".jsonl")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, ev := range evs {
		switch {
		case ev.ResourcePreEvent != nil:
			kinds["pre "+string(ev.ResourcePreEvent.Metadata.Op)]++
		case ev.ResOutputsEvent != nil:
			kinds["outputs "+string(ev.ResOutputsEvent.Metadata.Op)]++
		}
	}
	keys := make([]string, 0, len(kinds))
	for k := range kinds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Logf("recorded %s: %d events, %v", path, len(evs), keys)
}
