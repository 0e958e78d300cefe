package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		{Type: EventStatus, StepID: "wait-restored", Status: &Sample{Kind: "instance", ID: "app5ec7032-restored", NewStatus: "creating"}},
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
	splice := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	// The issued record (line 8) with one byte of its facts changed.
	badIssued := append([]byte(nil), data[ends[6]:ends[7]]...)
	badIssued[len(badIssued)-5] = '\x00'
	tests := []struct {
		name      string
		data      []byte
		wantN     int
		wantErr   bool
		wantTorn  bool
		wantLines []int
		wantTypes []string // legible types of the first damaged line
		wantInErr string
	}{
		{"intact", data, 10, false, false, nil, nil, ""},
		{"cut mid line", data[:ends[4]+7], 5, true, true, []int{6}, nil, "line 6 is cut short"},
		{"cut at line end", data[:ends[6]], 7, false, false, nil, nil, ""},
		{"last newline missing but whole", data[:ends[9]-1], 10, false, false, nil, nil, ""},
		{"garbage line: every record after it is kept", splice(data[:ends[2]], []byte("{not json\n"), data[ends[2]:]), 10, true, false, []int{4}, nil, "line 4 is damaged"},
		{"event without type", splice(data[:ends[0]], []byte("{\"seq\":2}\n")), 1, true, false, []int{2}, nil, "has no type"},
		{"blank lines skipped", splice(data[:ends[1]], []byte("\n\n"), data[ends[1]:]), 10, false, false, nil, nil, ""},
		{"a lost newline merges two lines", splice(data[:ends[2]-1], data[ends[2]:]), 8, true, false, []int{3}, []string{"output", "variable"}, "line 3 is damaged"},
		{"damaged issued record in the middle", splice(data[:ends[6]], badIssued, data[ends[7]:]), 9, true, false, []int{8}, []string{"issued"}, "2 readable events after it were kept"},
		{"damage in two places", splice(data[:ends[1]], []byte("xx\n"), data[ends[1]:ends[5]], []byte("yy\n"), data[ends[5]:]), 10, true, false, []int{3, 8}, nil, "damaged lines: 3, 8"},
		{"empty", nil, 0, false, false, nil, nil, ""},
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
			if err == nil {
				return
			}
			var je *JournalError
			if !errors.As(err, &je) {
				t.Fatalf("err %T is not a *JournalError", err)
			}
			if je.Torn != tt.wantTorn {
				t.Errorf("Torn = %v, want %v", je.Torn, tt.wantTorn)
			}
			var lines []int
			for _, d := range je.Damaged {
				lines = append(lines, d.Line)
			}
			if fmt.Sprint(lines) != fmt.Sprint(tt.wantLines) {
				t.Errorf("damaged lines %v, want %v", lines, tt.wantLines)
			}
			if tt.wantTypes != nil && fmt.Sprint(je.Damaged[0].Types) != fmt.Sprint(tt.wantTypes) {
				t.Errorf("legible types %v, want %v", je.Damaged[0].Types, tt.wantTypes)
			}
			if je.Before+je.After != len(evs) {
				t.Errorf("before %d + after %d != %d events", je.Before, je.After, len(evs))
			}
			if !strings.Contains(err.Error(), tt.wantInErr) || !strings.Contains(err.Error(), "intact") {
				t.Errorf("error %q does not say %q and what is intact", err, tt.wantInErr)
			}
		})
	}
}

// FuzzReadJournal damages a journal (cut at any byte, one byte changed)
// and checks that the reader keeps every line the damage did not touch,
// before and after it, never invents an event, and names every damaged line.
func FuzzReadJournal(f *testing.F) {
	f.Add(uint16(100), uint16(0), byte(0))
	f.Add(uint16(65535), uint16(37), byte('}'))
	f.Add(uint16(400), uint16(399), byte('\n'))
	f.Add(uint16(2000), uint16(1500), byte(0xff))
	f.Fuzz(fuzzBody)
}

func fuzzBody(t *testing.T, cut, pos uint16, b byte) {
	{
		orig := sampleEvents()
		data, ends := encode(t, orig)
		n := int(cut) % (len(data) + 1)
		d := append([]byte(nil), data[:n]...)
		damageAt := -1
		if len(d) > 0 && b != 0 {
			p := int(pos) % len(d)
			if d[p] != b {
				d[p] = b
				damageAt = p
			}
		}
		evs, err := ReadJournal(bytes.NewReader(d))
		// Lines wholly before the cut and not touched by the changed byte
		// (their own bytes, or the newline that ends the line before) must
		// come back.
		start := 0
		var want []Event
		for i, e := range ends {
			if e <= n && (damageAt < start-1 || damageAt >= e) {
				want = append(want, orig[i])
			}
			start = e
		}
		bySeq := map[int64]Event{}
		for _, e := range orig {
			bySeq[e.Seq] = e
		}
		got := map[int64]bool{}
		for _, e := range evs {
			o, ok := bySeq[e.Seq]
			if !ok || o.Type != e.Type {
				// A changed byte may alter a field of an event it leaves
				// readable, but never its sequence and type both.
				if damageAt < 0 {
					t.Fatalf("invented event %+v", e)
				}
				continue
			}
			got[e.Seq] = true
		}
		for _, w := range want {
			if !got[w.Seq] {
				t.Fatalf("lost untouched event seq %d (%s); read %d events, err %v", w.Seq, w.Type, len(evs), err)
			}
		}
		if len(evs) > len(orig) {
			t.Fatalf("read %d events from a journal of %d", len(evs), len(orig))
		}
		if err != nil {
			var je *JournalError
			if !errors.As(err, &je) {
				t.Fatalf("error %v is not a *JournalError", err)
			}
			if len(je.Damaged) == 0 || je.Damaged[0].Line != je.Line {
				t.Fatalf("error names line %d but lists %+v", je.Line, je.Damaged)
			}
			if !strings.Contains(err.Error(), "intact") {
				t.Fatalf("error %q does not say what is intact", err)
			}
		}
	}
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

// reportBook names the sample's steps and their phases, as the restore
// runbook does.
var reportBook = &Runbook{Name: "restore", Steps: []*Step{
	{ID: "identity", Title: "Check who we are acting as", Phase: "prepare"},
	{ID: "wait-restored", Title: "Wait for the restored instance", Phase: "apply"},
}}

func TestReport(t *testing.T) {
	evs := sampleEvents()
	evs = append(evs[:9], Event{Seq: 10, Time: evs[9].Time, Type: EventStepFinished, StepID: "wait-restored", Elapsed: 5 * time.Minute, Expected: 4 * time.Minute}, evs[9])
	rep := Report(evs, reportBook)
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
	if Report(nil, nil) == "" {
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
	rep := Report(evs, reportBook)
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

// TestTrustDamagedJournal: which damage a resume may go on from.
func TestTrustDamagedJournal(t *testing.T) {
	data, ends := encode(t, sampleEvents()[:9]) // unfinished: no run-finished
	splice := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	garble := func(line []byte) []byte {
		l := append([]byte(nil), line...)
		for i := len(l) - 10; i < len(l)-1; i++ {
			l[i] = '#'
		}
		return l
	}
	swapped := append([]Event(nil), sampleEvents()[:9]...)
	swapped[4], swapped[5] = swapped[5], swapped[4]
	swappedData, _ := encode(t, swapped)
	tests := []struct {
		name string
		data []byte
		want string // "" when the resume may go on
	}{
		{"torn tail", data[:ends[8]-4], ""},
		{"a damaged output line", splice(data[:ends[1]], garble(data[ends[1]:ends[2]]), data[ends[2]:]), ""},
		{"a damaged issued record", splice(data[:ends[6]], garble(data[ends[6]:ends[7]]), data[ends[7]:]), "may have recorded an AWS or Pulumi write (it holds an \"issued\" record; no step was running)"},
		{"a line whose type is gone", splice(data[:ends[3]], []byte("####\n"), data[ends[3]:]), "its type cannot be read"},
		{"the first line", splice(garble(data[:ends[0]]), data[ends[0]:]), "first line (the run's description) is damaged"},
		{"records out of order after the damage", splice(swappedData[:ends[2]], []byte("####\n"), swappedData[ends[3]:]), "out of order"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := ReadJournal(bytes.NewReader(tt.data))
			var je *JournalError
			if !errors.As(err, &je) {
				t.Fatalf("no damage found: %v", err)
			}
			terr := trustDamagedJournal("j.jsonl", evs, je)
			switch {
			case tt.want == "" && terr != nil:
				t.Fatalf("refused: %v", terr)
			case tt.want != "" && (terr == nil || !strings.Contains(terr.Error(), tt.want)):
				t.Fatalf("got %v, want %q", terr, tt.want)
			case terr != nil && !strings.Contains(terr.Error(), "datalayer"):
				t.Fatalf("the refusal gives no next command: %v", terr)
			}
		})
	}
}
