package awsclient

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// LogFile is one of an instance's database log files, e.g.
// error/postgresql.log.2026-11-25-14 or, after a failed major upgrade,
// error/pg_upgrade_precheck.log.<time>.
type LogFile struct {
	Name        string
	Size        int64 // bytes
	LastWritten time.Time
}

// logBlock is how many lines LogPortion asks for at a time; maxLogPortions
// bounds how many blocks it reads from one file.
const (
	logBlock       = 2000
	maxLogPortions = 64
)

// LogFiles lists an instance's log files (DescribeDBLogFiles, every page),
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
				LastWritten: time.UnixMilli(aws.ToInt64(f.LastWritten)).UTC(),
			})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LastWritten.Before(out[j].LastWritten) })
	return out, nil
}

// LogPortion downloads a whole log file (DownloadDBLogFilePortion from
// Marker "0", block after block while AWS says more data is pending). The
// SDK's paginator is not used: it follows Marker alone, which RDS still
// returns at the end of the file.
func (c *Client) LogPortion(ctx context.Context, instanceID, file string) (string, error) {
	if err := ValidateInstanceID(instanceID); err != nil {
		return "", err
	}
	op := fmt.Sprintf("download log %s of %s", file, instanceID)
	if strings.TrimSpace(file) == "" {
		return "", inputError(op, "no log file name given", "pick one from the instance's log files (LogFiles)")
	}
	var b strings.Builder
	marker := "0"
	for range maxLogPortions {
		out, err := c.rds.DownloadDBLogFilePortion(ctx, &rds.DownloadDBLogFilePortionInput{
			DBInstanceIdentifier: aws.String(instanceID), LogFileName: aws.String(file),
			Marker: aws.String(marker), NumberOfLines: aws.Int32(logBlock),
		})
		if err != nil {
			return b.String(), wrapErr(op, err)
		}
		b.WriteString(aws.ToString(out.LogFileData))
		next := aws.ToString(out.Marker)
		if !aws.ToBool(out.AdditionalDataPending) || next == "" || next == marker {
			return b.String(), nil
		}
		marker = next
	}
	return b.String(), nil
}
