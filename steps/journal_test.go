package steps

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/datalayer-tool/datalayer/awsclient"
)

func sampleEvents() []Event {
	t0 := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	info := RunInfo{RunID: "r1", Runbook: "restore", Stack: "staging", Rehearsal: true, Flags: map[string]string{"method": "console"}}
	evs := []Event{
		{Type: EventRunStarted, Text: "started", Run: &info},
		{Type: EventStepStarted, StepID: "identity"},
		{Type: EventOutput, StepID: "identity", Text: "account 123456789012 — naïve ünïcode"},
		{Type: EventVariable, StepID: "identity", Name: "account", Value: "123456789012"},
		{Type: EventStepFinished, StepID: "identity", Elapsed: 2 * time.Second},
		{Type: EventPrompt, StepID: "method", Prompt: &Prompt{ID: "method/method", Kind: PromptChoice, Title: "Restore how?", Options: []Option{{Value: "pulumi"}, {Value: "console", Recommended: true}}}},
		{Type: EventAnswer, StepID: "method", Answer: &Answer{PromptID: "method/method", Value: "console"}},
		{Type: EventIssued, StepID: "restore", Name: "restore", Value: `{"instance":"app5ec7032-restored"}`},
		{Type: EventStatus, StepID: "wait-restored", Status: &awsclient.Change{Kind: "instance", ID: "app5ec7032-restored", NewStatus: "creating"}},
		{Type: EventRunFinished, Text: "done"},
	}
	for i := range evs {
		evs[i].Seq = int64(i + 1)
		evs[i].Time = t0.Add(time.Duration(i) * time.Second)
	}
	return evs
}

func encode(t testing.TB, evs []Event) ([]byte, []int) {
	var b bytes.Buffer
	var ends []int // offset just after each line's newline
	for _, e := range evs {
		line, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
		ends = append(ends, b.Len())
	}
	return b.Bytes(), ends
}

func TestJournalRoundTrip(t *testing.T) {
	dir := t.TempDir()
	j, err := OpenJournal(filepath.Join(dir, "runs", "r1.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	want := sampleEvents()
	for _, e := range want {
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJournalFile(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d events, wrote %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Seq != want[i].Seq || got[i].Type != want[i].Type || got[i].Text != want[i].Text {
			t.Errorf("event %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	runs, err := ListRuns(dir)
	if err != nil || len(runs) != 1 || !runs[0].Finished || runs[0].Info.RunID != "r1" {
		t.Fatalf("ListRuns = %+v, %v", runs, err)
	}
}

func TestReadJournalDamage(t *testing.T) {
	data, ends := encode(t, sampleEvents())
	tests := []struct {
		name      string
		data      []byte
		wantN     int
		wantErr   bool
		wantTorn  bool
		wantInErr string
	}{
		{"intact", data, 10, false, false, ""},
		{"cut mid line", data[:ends[4]+7], 5, true, true, "line 6 is cut short"},
		{"cut at line end", data[:ends[6]], 7, false, false, ""},
		{"last newline missing but whole", data[:ends[9]-1], 10, false, false, ""},
		{"garbage line", append(append(append([]byte{}, data[:ends[2]]...), []byte("{not json\n")...), data[ends[2]:]...), 3, true, false, "line 4 is damaged"},
		{"event without type", append(append([]byte{}, data[:ends[0]]...), []byte("{\"seq\":2}\n")...), 1, true, false, "has no type"},
		{"blank lines skipped", append(append(append([]byte{}, data[:ends[1]]...), '\n', '\n'), data[ends[1]:]...), 10, false, false, ""},
		{"empty", nil, 0, false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := ReadJournal(bytes.NewReader(tt.data))
			if len(evs) != tt.wantN {
				t.Errorf("got %d events, want %d", len(evs), tt.wantN)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				var je *JournalError
				if !errors.As(err, &je) {
					t.Fatalf("err %T is not a *JournalError", err)
				}
				if je.Torn != tt.wantTorn {
					t.Errorf("Torn = %v, want %v", je.Torn, tt.wantTorn)
				}
				if !strings.Contains(err.Error(), tt.wantInErr) || !strings.Contains(err.Error(), "intact") {
					t.Errorf("error %q does not say %q and what is intact", err, tt.wantInErr)
				}
			}
		})
	}
}

// FuzzReadJournal damages a journal (cut at any byte, one byte changed)
// and checks that the reader never loses a line written whole before the
// damage, never invents events, and says clearly where it stopped.
func FuzzReadJournal(f *testing.F) {
	f.Add(uint16(100), uint16(0), byte(0))
	f.Add(uint16(65535), uint16(37), byte('}'))
	f.Add(uint16(400), uint16(399), byte('\n'))
	f.Add(uint16(2000), uint16(1500), byte(0xff))
	f.Fuzz(func(t *testing.T, cut, pos uint16, b byte) {
		orig := sampleEvents()
		data, ends := encode(t, orig)
		n := int(cut) % (len(data) + 1)
		d := append([]byte(nil), data[:n]...)
		damageAt := n
		if len(d) > 0 && b != 0 {
			p := int(pos) % len(d)
			if d[p] != b {
				d[p] = b
				damageAt = p
			}
		}
		evs, err := ReadJournal(bytes.NewReader(d))
		intact := 0
		for _, e := range ends {
			if e <= damageAt {
				intact++
			}
		}
		if len(evs) < intact {
			t.Fatalf("lost intact events: read %d, %d lines were whole before the damage at byte %d (err %v)", len(evs), intact, damageAt, err)
		}
		if len(evs) > len(orig) {
			t.Fatalf("read %d events from a journal of %d", len(evs), len(orig))
		}
		for i := 0; i < intact; i++ {
			if evs[i].Seq != orig[i].Seq || evs[i].Type != orig[i].Type {
				t.Fatalf("event %d changed: %+v", i, evs[i])
			}
		}
		if err != nil {
			var je *JournalError
			if !errors.As(err, &je) {
				t.Fatalf("error %v is not a *JournalError", err)
			}
			if je.Line != len(evs)+1 && je.Line < len(evs)+1 {
				t.Fatalf("error names line %d but %d events were returned", je.Line, len(evs))
			}
			if !strings.Contains(err.Error(), "intact") {
				t.Fatalf("error %q does not say what is intact", err)
			}
		}
	})
}

func TestResumeSetsAsideTornTail(t *testing.T) {
	dir := t.TempDir()
	data, ends := encode(t, sampleEvents()[:7]) // no run-finished
	p := JournalPath(dir, "r1")
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data[:ends[6]-5], 0o600); err != nil {
		t.Fatal(err)
	}
	evs, err := ReadJournalFile(p)
	if err == nil || len(evs) != 6 {
		t.Fatalf("read %d events, err %v", len(evs), err)
	}
	if err := setAsideTail(p, evs); err != nil {
		t.Fatal(err)
	}
	again, err := ReadJournalFile(p)
	if err != nil || len(again) != 6 {
		t.Fatalf("after setting the tail aside: %d events, %v", len(again), err)
	}
	if _, err := os.Stat(p + ".damaged"); err != nil {
		t.Fatalf("the damaged original was not kept: %v", err)
	}
}

func TestRedactor(t *testing.T) {
	r := &redactor{}
	host := "app5ec7032.c9akciq32x1z.eu-west-2.rds.amazonaws.com"
	r.add(host)
	e := r.event(Event{Type: EventOutput, Text: "db-host is " + host, Answer: &Answer{Value: host}})
	if strings.Contains(e.Text, host) || strings.Contains(e.Answer.Value, host) {
		t.Fatalf("secret leaked: %+v", e)
	}
	v := r.event(Event{Type: EventVariable, Name: "db-host", Value: "anything", Secret: true})
	if v.Value != redacted {
		t.Fatalf("secret variable value kept: %q", v.Value)
	}
}

func TestReport(t *testing.T) {
	evs := sampleEvents()
	evs = append(evs[:9], Event{Seq: 10, Time: evs[9].Time, Type: EventStepFinished, StepID: "wait-restored", Elapsed: 5 * time.Minute, Expected: 4 * time.Minute}, evs[9])
	rep := Report(evs)
	for _, want := range []string{
		"# Run r1: restore on staging",
		"- Outcome: done",
		"| 03:00:04 | +4s | identity | done in 2s |",
		"answered: console",
		"done in 5m0s (expected 4m0s)",
		"## Phases: expected against elapsed",
		"| apply | 5m0s | 4m0s |",
	} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q:\n%s", want, rep)
		}
	}
	if Report(nil) == "" {
		t.Error("empty journal gives no report")
	}
}

// TestReportOfAPacedRehearsal: a rehearsal at --speed 60 keeps wall-clock
// times of day, and shows the spans between them in AWS time, as its steps'
// own timings are.
func TestReportOfAPacedRehearsal(t *testing.T) {
	evs := sampleEvents()
	info := *evs[0].Run
	info.Speed = 60
	evs[0].Run = &info
	rep := Report(evs)
	for _, want := range []string{
		"played 60× faster than AWS: durations below are AWS time",
		"| 03:00:04 | +4m0s | identity | done in 2s |",
		"- Finished: 2026-11-25T03:00:09Z after 9m0s",
	} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q:\n%s", want, rep)
		}
	}
}
