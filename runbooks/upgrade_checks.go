package runbooks

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/datalayer-tool/datalayer/engine"
	"github.com/datalayer-tool/datalayer/pgclient"
)

// The upgrade's checks that talk to the database itself: EXPLAIN ANALYZE
// spot checks before and after, and the extensions whose installed version
// differs from the one the engine offers.

const (
	spotBeforeVar = "spot-checks-before" // JSON []pgclient.Result
	spotAfterVar  = "spot-checks-after"  // JSON []pgclient.Comparison
	extBeforeVar  = "extensions-before"  // JSON []pgclient.Extension
	extAfterVar   = "extensions-outdated"
)

// databaseURL returns the database URL from the configured environment
// variable, and the variable's name.
func databaseURL(x *engine.Exec) (url, env string) {
	env = orDefault(x.Flag("spot-checks-url-env"), "DATALAYER_DATABASE_URL")
	get := deps(x).Getenv
	if get == nil {
		get = os.Getenv
	}
	return strings.TrimSpace(get(env)), env
}

// connect opens the database, or returns nil and says how to give one.
func connectDB(x *engine.Exec) (Database, func(), error) {
	url, env := databaseURL(x)
	if url == "" {
		return nil, func() {}, nil
	}
	dial := deps(x).Database
	if dial == nil {
		dial = func(ctx context.Context, url string) (Database, error) { return pgclient.Connect(ctx, url) }
	}
	db, err := dial(x.Ctx(), url)
	if err != nil {
		return nil, func() {}, fmt.Errorf("connect with $%s: %w", env, err)
	}
	return db, func() { _ = db.Close(context.WithoutCancel(x.Ctx())) }, nil
}

func howToGiveURL(env string) string {
	return fmt.Sprintf("export %s=postgres://USER:PASSWORD@HOST:5432/DBNAME (the URL is read from the environment, never stored), then run the upgrade again or `datalayer resume`", env)
}

func spotCheckStep(after bool) *engine.Step {
	id, title, phase := "explain-before", "Run the EXPLAIN ANALYZE spot checks (before)", PhasePrepare
	if after {
		id, title, phase = "explain-after", "Run the EXPLAIN ANALYZE spot checks again and compare (after)", PhaseVerify
	}
	return &engine.Step{
		ID: id, Title: title, Kind: engine.KindCheck, Phase: phase,
		Commands: []string{
			"psql \"$DATALAYER_DATABASE_URL\" -c 'BEGIN' -c 'SET LOCAL statement_timeout = 30000' -c 'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) <query>' -c 'ROLLBACK'",
		},
		Explanation: "Performance spot checks: each query of the spot-check file (`upgrade.spot_checks.queries_file` " +
			"in the config, a list of `name`/`sql`) runs as `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)` inside a " +
			"transaction that is rolled back, under a statement timeout, before and after the upgrade. The " +
			"report shows planning and execution time side by side, the ratio, and whether the plan's shape " +
			"changed; a slowdown beyond the configured threshold is flagged (run `ANALYZE` after a major " +
			"upgrade: the statistics are not carried over). The database URL comes from the environment " +
			"variable the config names (default `DATALAYER_DATABASE_URL`); without it, paste the outputs instead.",
		Do: func(x *engine.Exec) error {
			o := spotChecks(x.Options())
			var qs []pgclient.Query
			if o.QueriesFile != "" {
				var err error
				if qs, err = pgclient.LoadQueries(o.QueriesFile); err != nil {
					return fmt.Errorf("%w (upgrade.spot_checks.queries_file in the config)", err)
				}
			}
			db, done, err := connectDB(x)
			if err != nil {
				return err
			}
			defer done()
			var results []pgclient.Result
			switch {
			case db != nil && len(qs) > 0:
				if v, err := db.ServerVersion(x.Ctx()); err == nil {
					x.Say("connected to PostgreSQL %s; running %d spot check(s)", v, len(qs))
				}
				results = db.ExplainAll(x.Ctx(), qs, o.Timeout)
			default:
				_, env := databaseURL(x)
				why := "no database URL in $" + env + ": " + howToGiveURL(env)
				if len(qs) == 0 {
					why = "no spot-check file is configured (upgrade.spot_checks.queries_file: a list of `- name:` / `sql:`)"
				}
				x.Say("the program cannot run the spot checks itself: %s", why)
				names := make([]string, len(qs))
				for i, q := range qs {
					names[i] = q.Name
				}
				txt, err := x.Text("paste", title, "Paste the EXPLAIN ANALYZE output of your queries (text or JSON format, in the order of the file), or leave empty to skip.\n\n"+why, "")
				if err != nil {
					return err
				}
				if strings.TrimSpace(txt) == "" {
					return engine.Skip("no spot checks: %s", why)
				}
				if results, err = pgclient.ParsePasted(txt, names); err != nil {
					return fmt.Errorf("read the pasted output: %w; paste the whole EXPLAIN ANALYZE output", err)
				}
			}
			for _, r := range results {
				if r.Err != "" {
					x.Warn("%s: %s", r.Name, r.Err)
					continue
				}
				x.Say("%s: planning %.3g ms, execution %.3g ms, plan %s", r.Name, r.PlanningMS, r.ExecutionMS, r.Shape)
			}
			if !after {
				b, _ := json.Marshal(results)
				x.Set(spotBeforeVar, string(b))
				return nil
			}
			var before []pgclient.Result
			if s := x.Get(spotBeforeVar); s != "" {
				_ = json.Unmarshal([]byte(s), &before)
			}
			if len(before) == 0 {
				x.Warn("no spot checks were saved before the upgrade: nothing to compare with")
			}
			threshold := o.Threshold
			if threshold <= 0 {
				threshold = 1.5
			}
			cmp := pgclient.Compare(before, results, threshold)
			for _, c := range cmp {
				switch {
				case c.Missing:
					x.Warn("%s: measured on one side only", c.Name)
				case c.Slower:
					x.Warn("%s: %.3g ms before, %.3g ms after (x%.2f, beyond x%.2f)%s; run ANALYZE and check its plan", c.Name, c.Before.ExecutionMS, c.After.ExecutionMS, c.Ratio, threshold, shapeText(c))
				default:
					x.Say("%s: %.3g ms before, %.3g ms after (x%.2f)%s", c.Name, c.Before.ExecutionMS, c.After.ExecutionMS, c.Ratio, shapeText(c))
				}
			}
			b, _ := json.Marshal(cmp)
			x.Set(spotAfterVar, string(b))
			return nil
		},
	}
}

func shapeText(c pgclient.Comparison) string {
	if c.ShapeChanged {
		return ", plan shape changed"
	}
	return ""
}

func extensionsStep(after bool) *engine.Step {
	id, title, phase := "extensions-before", "List the extensions to upgrade after the engine", PhasePrepare
	if after {
		id, title, phase = "extensions", "List the extensions whose version is behind the new engine", PhaseVerify
	}
	return &engine.Step{
		ID: id, Title: title, Kind: engine.KindCheck, Phase: phase,
		Commands: []string{
			"psql \"$DATALAYER_DATABASE_URL\" -c 'SELECT e.extname, e.extversion, a.default_version FROM pg_extension e LEFT JOIN pg_available_extensions a ON a.name = e.extname'",
		},
		Explanation: "Extensions (pg_tle, pg_stat_statements, pg_cron...) keep their installed version through an " +
			"engine upgrade. Each installed extension whose version differs from the default the engine " +
			"offers is listed, as the input of the team's separate Hasura migration (`ALTER EXTENSION ... " +
			"UPDATE`). Before the upgrade the list shows what is installed, so the plan is known ahead.",
		Do: func(x *engine.Exec) error {
			db, done, err := connectDB(x)
			if err != nil {
				return err
			}
			defer done()
			if db == nil {
				_, env := databaseURL(x)
				if after {
					_, err := x.Manual("plan", "Plan the extension upgrades by hand",
						"No database URL in $"+env+" ("+howToGiveURL(env)+"). Run the query shown under By hand and plan `ALTER EXTENSION ... UPDATE` for each extension behind its default, as a separate Hasura migration.")
					return err
				}
				return engine.Skip("no database URL in $%s: %s", env, howToGiveURL(env))
			}
			exts, err := db.Extensions(x.Ctx())
			if err != nil {
				return err
			}
			var outdated []string
			for _, e := range exts {
				line := fmt.Sprintf("%s %s (default %s)", e.Name, e.Installed, orDefault(e.Default, "none: not offered"))
				if e.Outdated() {
					outdated = append(outdated, line)
				}
				if !after {
					x.Say("installed: %s", line)
				}
			}
			if !after {
				b, _ := json.Marshal(exts)
				x.Set(extBeforeVar, string(b))
				return nil
			}
			if len(outdated) == 0 {
				x.Say("every installed extension is at the default version of the new engine")
			}
			for _, l := range outdated {
				x.Warn("to migrate: %s; `ALTER EXTENSION %s UPDATE` in the team's Hasura migration", l, strings.Fields(l)[0])
			}
			x.Set(extAfterVar, strings.Join(outdated, "; "))
			return nil
		},
	}
}
