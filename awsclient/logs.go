package awsclient

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// LogFile is one of an instance's database log files, e.g.
// error/postgresql.log.2026-11-25-22 or error/pg_upgrade_precheck.log.*.
type LogFile struct {
	Name        string
	Size        int64
	LastWritten time.Time
}

// maxLogPortions bounds how many portions LogPortion reads from one file
// (RDS sends at most 1 MB a portion).
const maxLogPortions = 64

// LogFiles lists an instance's log files (DescribeDBLogFiles), every page,
// oldest written first.
func (c *Client) LogFiles(ctx context.Context, instanceID string) ([]LogFile, error) {
	if err := ValidateInstanceID(instanceID); err != nil {
		return nil, err
	}
	p := rds.NewDescribeDBLogFilesPaginator(c.rds, &rds.DescribeDBLogFilesInput{DBInstanceIdentifier: aws.String(instanceID)})
	var out []LogFile
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrapErr("list the log files of "+instanceID, err)
		}
		for _, f := range page.DescribeDBLogFiles {
			out = append(out, LogFile{
				Name: aws.ToString(f.LogFileName), Size: aws.ToInt64(f.Size),
				// LastWritten is a POSIX time in milliseconds.
				LastWritten: time.UnixMilli(aws.ToInt64(f.LastWritten)).UTC(),
			})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LastWritten.Before(out[j].LastWritten) })
	return out, nil
}

// LogPortion downloads a log file from its start (DownloadDBLogFilePortion,
// following Marker while more data is pending).
func (c *Client) LogPortion(ctx context.Context, instanceID, file string) (string, error) {
	if err := ValidateInstanceID(instanceID); err != nil {
		return "", err
	}
	op := "download log file " + file + " of " + instanceID
	in := &rds.DownloadDBLogFilePortionInput{DBInstanceIdentifier: aws.String(instanceID), LogFileName: aws.String(file), Marker: aws.String("0")}
	var b strings.Builder
	for range maxLogPortions {
		out, err := c.rds.DownloadDBLogFilePortion(ctx, in)
		if err != nil {
			return b.String(), wrapErr(op, err)
		}
		b.WriteString(aws.ToString(out.LogFileData))
		next := aws.ToString(out.Marker)
		if !aws.ToBool(out.AdditionalDataPending) || next == "" || next == aws.ToString(in.Marker) {
			break
		}
		in.Marker = aws.String(next)
	}
	return b.String(), nil
}
