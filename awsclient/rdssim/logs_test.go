package rdssim

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

var hourlyLog = regexp.MustCompile(`^error/postgresql\.log\.\d{4}-\d{2}-\d{2}-\d{2}$`)

func TestDescribeDBLogFiles(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	out := must(e.rds.DescribeDBLogFiles(ctx, &rds.DescribeDBLogFilesInput{DBInstanceIdentifier: aws.String(DefaultInstanceID)}))
	if n := len(out.DescribeDBLogFiles); n != 72 && n != 73 {
		t.Errorf("%d log files, want an hourly server log for the last 3 days", n)
	}
	for _, f := range out.DescribeDBLogFiles {
		name := aws.ToString(f.LogFileName)
		if !hourlyLog.MatchString(name) {
			t.Errorf("log file %q is not named as RDS for PostgreSQL names it", name)
		}
		if w := time.UnixMilli(aws.ToInt64(f.LastWritten)); w.After(t0) || aws.ToInt64(f.Size) <= 0 {
			t.Errorf("%s: last written %s (now %s), size %d", name, w, t0, aws.ToInt64(f.Size))
		}
	}
	last := aws.ToString(out.DescribeDBLogFiles[len(out.DescribeDBLogFiles)-1].LogFileName)
	if want := "error/postgresql.log." + t0.Format("2006-01-02-15"); last != want {
		t.Errorf("newest log %s, want %s", last, want)
	}
	some := must(e.rds.DescribeDBLogFiles(ctx, &rds.DescribeDBLogFilesInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), FilenameContains: aws.String(t0.Format("2006-01-02-15"))}))
	if len(some.DescribeDBLogFiles) != 1 {
		t.Errorf("FilenameContains the current hour: %d files", len(some.DescribeDBLogFiles))
	}
	_, err := e.rds.DescribeDBLogFiles(ctx, &rds.DescribeDBLogFilesInput{DBInstanceIdentifier: aws.String("nope")})
	wantCode(t, err, "DBInstanceNotFound", 404)
}

func TestDownloadDBLogFilePortion(t *testing.T) {
	e := newEnv(t, "")
	ctx := context.Background()
	file := "error/postgresql.log." + t0.Add(-time.Hour).Format("2006-01-02-15")
	get := func(marker *string, lines *int32) *rds.DownloadDBLogFilePortionOutput {
		return must(e.rds.DownloadDBLogFilePortion(ctx, &rds.DownloadDBLogFilePortionInput{
			DBInstanceIdentifier: aws.String(DefaultInstanceID), LogFileName: aws.String(file), Marker: marker, NumberOfLines: lines,
		}))
	}
	whole := get(nil, nil)
	all := strings.Split(strings.TrimSuffix(aws.ToString(whole.LogFileData), "\n"), "\n")
	if len(all) != 4 || aws.ToBool(whole.AdditionalDataPending) || !strings.Contains(all[0], "LOG:  checkpoint starting: time") {
		t.Fatalf("whole file: %q pending %v", all, aws.ToBool(whole.AdditionalDataPending))
	}
	if !regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC::@:\[\d+\]:LOG:  `).MatchString(all[0]) {
		t.Errorf("line %q lacks RDS's log_line_prefix %%t:%%r:%%u@%%d:[%%p]:", all[0])
	}
	first := get(aws.String("0"), aws.Int32(3))
	if got := aws.ToString(first.LogFileData); got != strings.Join(all[:3], "\n")+"\n" || !aws.ToBool(first.AdditionalDataPending) {
		t.Errorf("Marker 0, 3 lines: %q pending %v", got, aws.ToBool(first.AdditionalDataPending))
	}
	rest := get(first.Marker, aws.Int32(3))
	if got := aws.ToString(rest.LogFileData); got != all[3]+"\n" || aws.ToBool(rest.AdditionalDataPending) {
		t.Errorf("after the marker: %q pending %v", got, aws.ToBool(rest.AdditionalDataPending))
	}
	tail := get(nil, aws.Int32(1))
	if got := aws.ToString(tail.LogFileData); got != all[3]+"\n" {
		t.Errorf("NumberOfLines without Marker gives the end of the file: %q", got)
	}
	_, err := e.rds.DownloadDBLogFilePortion(ctx, &rds.DownloadDBLogFilePortionInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), LogFileName: aws.String("error/postgresql.log.1999-01-01-00")})
	wantCode(t, err, "DBLogFileNotFoundFault", 404)
	_, err = e.rds.DownloadDBLogFilePortion(ctx, &rds.DownloadDBLogFilePortionInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), LogFileName: aws.String(file), Marker: aws.String("garbage")})
	wantCode(t, err, "InvalidParameterValue", 400)
}

// TestUpgradePrecheckLogs: the failed pre-check leaves the pg_upgrade logs,
// and the pre-check log says why: the pending maintenance.
func TestUpgradePrecheckLogs(t *testing.T) {
	e := newEnv(t, "upgrade-precheck-fails")
	ctx := context.Background()
	must(e.rds.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), EngineVersion: aws.String("17.6"),
		AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true), DBParameterGroupName: aws.String("default.postgres17")}))
	list := func() []string {
		out := must(e.rds.DescribeDBLogFiles(ctx, &rds.DescribeDBLogFilesInput{DBInstanceIdentifier: aws.String(DefaultInstanceID), FilenameContains: aws.String("pg_upgrade")}))
		var names []string
		for _, f := range out.DescribeDBLogFiles {
			names = append(names, aws.ToString(f.LogFileName))
		}
		return names
	}
	e.clk.Advance(time.Minute)
	if names := list(); len(names) != 2 {
		t.Errorf("during the pre-check: %v, want the internal and server logs being written", names)
	}
	e.clk.Advance(UpgradeDuration - time.Minute)
	stamp := t0.Format("2006-01-02-1504")
	names := list()
	want := []string{"error/pg_upgrade_internal.log." + stamp, "error/pg_upgrade_precheck.log." + stamp, "error/pg_upgrade_server.log." + stamp}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("upgrade logs %v, want %v", names, want)
	}
	pre := aws.ToString(must(e.rds.DownloadDBLogFilePortion(ctx, &rds.DownloadDBLogFilePortionInput{
		DBInstanceIdentifier: aws.String(DefaultInstanceID), LogFileName: aws.String(want[1]), Marker: aws.String("0"),
	})).LogFileData)
	for _, s := range []string{"could not be upgraded from 16.13 to 17.6", "pending maintenance", "system-update", "pg_upgrade can not be completed successfully"} {
		if !strings.Contains(pre, s) {
			t.Errorf("pre-check log lacks %q:\n%s", s, pre)
		}
	}
	internal := aws.ToString(must(e.rds.DownloadDBLogFilePortion(ctx, &rds.DownloadDBLogFilePortionInput{
		DBInstanceIdentifier: aws.String(DefaultInstanceID), LogFileName: aws.String(want[0]), Marker: aws.String("0"),
	})).LogFileData)
	if !strings.Contains(internal, "fatal : pg_upgrade reported failure") {
		t.Errorf("internal log:\n%s", internal)
	}
}
