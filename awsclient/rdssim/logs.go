package rdssim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Log files of an instance, as RDS for PostgreSQL names them: the server log
// rotates every hour into error/postgresql.log.YYYY-MM-DD-HH (the default
// log_filename), kept for three days; a major-version upgrade that fails its
// pre-check leaves error/pg_upgrade_precheck.log, pg_upgrade_internal.log and
// pg_upgrade_server.log, each with a timestamp suffix.
//
// The hourly files are made up on the fly from the instance's life (a
// checkpoint twice an hour, plus the lines its operations wrote); only the
// lines operations write are stored (Instance.Log).

const (
	logRetention   = 72 * time.Hour // rds.log_retention_period default, 4320 minutes
	maxLogLines    = 10000          // DownloadDBLogFilePortion without NumberOfLines
	maxLogPortion  = 1 << 20        // one portion is at most 1 MB
	serverLogGroup = "error/postgresql.log."
)

// LogLine is one line an operation wrote to an instance's logs. File is the
// log file's name; empty means the hourly server log of At's hour.
type LogLine struct {
	At   time.Time `json:"at"`
	File string    `json:"file,omitempty"`
	Text string    `json:"text"`
}

// logFile is one log file as DescribeDBLogFiles and DownloadDBLogFilePortion
// see it.
type logFile struct {
	Name    string
	Written time.Time
	Lines   []string
}

// logPID is the postgres process id a line is prefixed with; it only needs
// to look real and stay the same for a given instance and hour.
func logPID(in *Instance, hour time.Time) int {
	n := 0
	for _, r := range in.ResourceID + hour.Format("2006010215") {
		n = (n*31 + int(r)) % 30000
	}
	return 1000 + n
}

// serverLine formats a server log line with RDS's log_line_prefix
// "%t:%r:%u@%d:[%p]:".
func serverLine(in *Instance, at time.Time, text string) string {
	return fmt.Sprintf("%s::@:[%d]:%s", at.UTC().Format("2006-01-02 15:04:05 UTC"), logPID(in, at.Truncate(time.Hour)), text)
}

// logFiles lists an instance's log files at now, by name.
func (w *World) logFiles(in *Instance, now time.Time) []logFile {
	byName := map[string]*logFile{}
	add := func(name string, at time.Time, line string) {
		f := byName[name]
		if f == nil {
			f = &logFile{Name: name}
			byName[name] = f
		}
		f.Lines = append(f.Lines, line)
		if at.After(f.Written) {
			f.Written = at
		}
	}
	type stamped struct {
		at   time.Time
		file string
		text string
	}
	var lines []stamped
	from := in.Created
	if cut := now.Add(-logRetention); from.Before(cut) {
		from = cut
	}
	// Two checkpoints an hour, for every hour the instance has been up.
	for h := from.Truncate(time.Hour); !h.After(now); h = h.Add(time.Hour) {
		for _, m := range []time.Duration{7 * time.Minute, 37 * time.Minute} {
			at := h.Add(m)
			if at.Before(from) || at.After(now) {
				continue
			}
			lines = append(lines,
				stamped{at, "", serverLine(in, at, "LOG:  checkpoint starting: time")},
				stamped{at.Add(41 * time.Second), "", serverLine(in, at.Add(41*time.Second), "LOG:  checkpoint complete: wrote 412 buffers (2.5%); 0 WAL file(s) added, 0 removed, 1 recycled")})
		}
	}
	for _, l := range in.Log {
		if l.At.After(now) || l.File == "" && l.At.Before(from) {
			continue
		}
		text := l.Text
		if l.File == "" {
			text = serverLine(in, l.At, l.Text)
		}
		lines = append(lines, stamped{l.At, l.File, text})
	}
	slices.SortStableFunc(lines, func(a, b stamped) int { return a.at.Compare(b.at) })
	for _, l := range lines {
		if l.at.After(now) {
			continue
		}
		name := l.file
		if name == "" {
			name = serverLogGroup + l.at.UTC().Format("2006-01-02-15")
		}
		add(name, l.at, l.text)
	}
	out := make([]logFile, 0, len(byName))
	for _, f := range byName {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b logFile) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// writeLog records a line in an instance's logs (file "" is the server log).
func (in *Instance) writeLog(at time.Time, file, text string) {
	in.Log = append(in.Log, LogLine{At: at, File: file, Text: text})
}

func (f logFile) size() int64 {
	n := 0
	for _, l := range f.Lines {
		n += len(l) + 1
	}
	return int64(n)
}

type xLogFileDetails struct {
	LogFileName string
	LastWritten int64
	Size        int64
}

type xLogFiles struct {
	Items []xLogFileDetails `xml:"DescribeDBLogFilesDetails"`
}

type describeLogFilesResult struct {
	DescribeDBLogFiles xLogFiles
	Marker             string `xml:",omitempty"`
}

func describeLogFiles(w *World, p params, now time.Time) (any, *apiError) {
	in, err := w.instanceRef(p, "DBInstanceIdentifier")
	if err != nil {
		return nil, err
	}
	if len(p.indexed("Filters")) > 0 {
		if _, err := p.filters(); err != nil {
			return nil, err
		}
	}
	offset, limit, err := p.page()
	if err != nil {
		return nil, err
	}
	contains := p.str("FilenameContains")
	since, err := p.long("FileLastWritten")
	if err != nil {
		return nil, err
	}
	larger, err := p.long("FileSize")
	if err != nil {
		return nil, err
	}
	files := slices.DeleteFunc(w.logFiles(in, now), func(f logFile) bool {
		return !strings.Contains(f.Name, contains) || f.Written.UnixMilli() < since || f.size() < larger
	})
	lo, hi, marker := paginate(len(files), offset, limit)
	res := describeLogFilesResult{Marker: marker}
	for _, f := range files[lo:hi] {
		res.DescribeDBLogFiles.Items = append(res.DescribeDBLogFiles.Items, xLogFileDetails{
			LogFileName: f.Name, LastWritten: f.Written.UnixMilli(), Size: f.size(),
		})
	}
	return res, nil
}

type downloadLogResult struct {
	LogFileData           string
	Marker                string
	AdditionalDataPending bool
}

// downloadLogPortion returns a block of lines of a log file. Marker "0"
// starts at the first line, a returned Marker continues after the last line
// returned; without a Marker the block is the file's last lines.
func downloadLogPortion(w *World, p params, now time.Time) (any, *apiError) {
	in, err := w.instanceRef(p, "DBInstanceIdentifier")
	if err != nil {
		return nil, err
	}
	name, err := p.required("LogFileName")
	if err != nil {
		return nil, err
	}
	count, err := p.integer("NumberOfLines")
	if err != nil {
		return nil, err
	}
	if count != nil && *count < 0 {
		return nil, invalidValue("NumberOfLines must not be negative.")
	}
	i := slices.IndexFunc(w.logFiles(in, now), func(f logFile) bool { return f.Name == name })
	if i < 0 {
		return nil, errf(404, "DBLogFileNotFoundFault", "DBLog File: %s, is not found on the DB instance", name)
	}
	lines := w.logFiles(in, now)[i].Lines
	n := maxLogLines
	if count != nil && *count > 0 {
		n = min(int(*count), maxLogLines)
	}
	var start int
	if m := p.str("Marker"); m != "" {
		pos, ok := parseLogMarker(m)
		if !ok {
			return nil, invalidValue("The marker %q is not valid. Use \"0\" or the Marker of a previous call.", m)
		}
		start = min(pos, len(lines))
	} else {
		start = max(0, len(lines)-n)
	}
	end := min(start+n, len(lines))
	var b strings.Builder
	for j := start; j < end; j++ {
		if b.Len()+len(lines[j])+1 > maxLogPortion {
			end = j
			break
		}
		b.WriteString(lines[j])
		b.WriteByte('\n')
	}
	return downloadLogResult{LogFileData: b.String(), Marker: "0:" + strconv.Itoa(end), AdditionalDataPending: end < len(lines)}, nil
}

// parseLogMarker reads "0" or "0:N" (a line position).
func parseLogMarker(m string) (int, bool) {
	if m == "0" {
		return 0, true
	}
	rest, ok := strings.CutPrefix(m, "0:")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0
}

// logStartup writes what the server logs when it starts (after a create, a
// reboot, an upgrade or maintenance).
func (w *World) logStartup(in *Instance, at time.Time, version string) {
	in.writeLog(at, "", "LOG:  starting PostgreSQL "+version+" on x86_64-pc-linux-gnu, compiled by gcc (GCC) 12.4.0, 64-bit")
	in.writeLog(w.later(at, time.Second), "", "LOG:  listening on IPv4 address \"0.0.0.0\", port "+strconv.Itoa(int(in.Port)))
	in.writeLog(w.later(at, 2*time.Second), "", "LOG:  database system is ready to accept connections")
}

// logShutdown writes what the server logs when it stops.
func (w *World) logShutdown(in *Instance, at time.Time) {
	in.writeLog(at, "", "LOG:  received fast shutdown request")
	in.writeLog(w.later(at, time.Second), "", "LOG:  aborting any active transactions")
	in.writeLog(w.later(at, 3*time.Second), "", "LOG:  database system is shut down")
}

// upgradeLogName is the name of a pg_upgrade log of an upgrade started at.
func upgradeLogName(base string, started time.Time) string {
	return "error/" + base + "." + started.UTC().Format("2006-01-02-1504")
}

// logUpgradeRefused writes the three logs a major-version upgrade leaves
// when its pre-check fails: the pre-check report (why), pg_upgrade's own
// check run ending in the fatal line, and the old cluster's start and stop
// for the check. reasons are the report's lines.
func (w *World) logUpgradeRefused(in *Instance, started, failed time.Time, target string, reasons []string) {
	pre := upgradeLogName("pg_upgrade_precheck.log", started)
	in.writeLog(failed, pre, "------------ Upgrade could not be run on "+failed.UTC().Format("Mon Jan _2 15:04:05 2006")+" ------------")
	in.writeLog(failed, pre, "The instance could not be upgraded from "+in.EngineVersion+" to "+target+" because of following reasons.")
	for _, r := range reasons {
		in.writeLog(failed, pre, "- "+r)
	}
	in.writeLog(failed, pre, "----------------------- END OF LOG ----------------------")

	internal := upgradeLogName("pg_upgrade_internal.log", started)
	at := w.later(started, 20*time.Second)
	in.writeLog(at, internal, "pg_upgrade run on "+at.UTC().Format("Mon Jan _2 15:04:05 2006"))
	in.writeLog(at, internal, "Performing Consistency Checks")
	in.writeLog(at, internal, "-----------------------------")
	for i, check := range []string{"Checking cluster versions", "Checking database user is the install user", "Checking database connection settings", "Checking for prepared transactions", "Checking for system-defined composite types in user tables", "Checking for reg* data types in user tables"} {
		in.writeLog(w.later(at, time.Duration(i+1)*time.Second), internal, fmt.Sprintf("%-62s ok", check))
	}
	in.writeLog(failed, internal, "Checking the state of the instance for the upgrade")
	in.writeLog(failed, internal, "fatal : pg_upgrade reported failure for check_instance_state")
	in.writeLog(failed, internal, "Postgres cluster is in a state where pg_upgrade can not be completed successfully.")

	server := upgradeLogName("pg_upgrade_server.log", started)
	in.writeLog(w.later(started, 10*time.Second), server, "pg_ctl start of the old cluster for the pre-check")
	in.writeLog(w.later(started, 12*time.Second), server, serverLine(in, w.later(started, 12*time.Second), "LOG:  database system is ready to accept connections"))
	in.writeLog(w.later(failed, 5*time.Second), server, serverLine(in, w.later(failed, 5*time.Second), "LOG:  received fast shutdown request"))
	in.writeLog(w.later(failed, 8*time.Second), server, serverLine(in, w.later(failed, 8*time.Second), "LOG:  database system is shut down"))
}
