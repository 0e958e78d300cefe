package awsclient_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/datalayer-tool/datalayer/awsclient"
	"github.com/datalayer-tool/datalayer/awsclient/rdssim"
)

// TestUpgradeLogs: after an upgrade that failed its pre-check, the runbook
// finds the pg_upgrade logs and reads why: the pending maintenance.
func TestUpgradeLogs(t *testing.T) {
	e, clk := newEnv(t, "upgrade-precheck-fails")
	files, err := e.c.LogFiles(ctx(t), app)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 72 || !strings.HasPrefix(files[0].Name, "error/postgresql.log.") || files[0].Size == 0 || files[0].LastWritten.After(t0) {
		t.Fatalf("log files before the upgrade: %d, first %+v", len(files), files[0])
	}
	_, err = e.raw.ModifyDBInstance(ctx(t), &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String(app), EngineVersion: aws.String("17.6"),
		AllowMajorVersionUpgrade: aws.Bool(true), ApplyImmediately: aws.Bool(true), DBParameterGroupName: aws.String("default.postgres17")})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(rdssim.UpgradeDuration)
	files, err = e.c.LogFiles(ctx(t), app)
	if err != nil {
		t.Fatal(err)
	}
	var precheck string
	for _, f := range files {
		if strings.HasPrefix(f.Name, "error/pg_upgrade_precheck.log.") {
			precheck = f.Name
		}
	}
	if precheck == "" {
		t.Fatalf("no pre-check log among %d files", len(files))
	}
	text, err := e.c.LogPortion(ctx(t), app, precheck)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "pending maintenance") || !strings.Contains(text, "system-update") || !strings.HasSuffix(text, "END OF LOG ----------------------\n") {
		t.Errorf("pre-check log:\n%s", text)
	}
	server, err := e.c.LogPortion(ctx(t), app, "error/postgresql.log."+t0.Format("2006-01-02-15"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(server, "database system is shut down") || !strings.Contains(server, "starting PostgreSQL 16.13") {
		t.Errorf("the server log does not show the restart on the old version:\n%s", server)
	}
	// A file longer than one block comes whole, in order.
	e.sim.Mutate(func(w *rdssim.World) {
		in := w.Instance(app)
		for i := range 4500 {
			in.Log = append(in.Log, rdssim.LogLine{At: t0, File: "error/big.log", Text: fmt.Sprint("line ", i)})
		}
	})
	big, err := e.c.LogPortion(ctx(t), app, "error/big.log")
	if lines := strings.Split(strings.TrimSuffix(big, "\n"), "\n"); err != nil || len(lines) != 4500 || lines[0] != "line 0" || lines[4499] != "line 4499" {
		t.Errorf("big log: %d lines, %v", len(lines), err)
	}
	if _, err := e.c.LogPortion(ctx(t), app, "error/nope.log"); !errors.Is(err, awsclient.ErrNotFound) {
		t.Errorf("unknown log: %v", err)
	}
	if _, err := e.c.LogPortion(ctx(t), app, ""); !errors.Is(err, awsclient.ErrInvalidInput) {
		t.Errorf("no log name: %v", err)
	}
	if _, err := e.c.LogFiles(ctx(t), "Bad_Id"); !errors.Is(err, awsclient.ErrInvalidInput) {
		t.Errorf("bad id: %v", err)
	}
}
