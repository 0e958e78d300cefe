package pgclient_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/datalayer-tool/datalayer/internal/pgtest"
	"github.com/datalayer-tool/datalayer/pgclient"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return c
}

// TestAgainstRealPostgres runs the spot checks and the extension listing
// against a throwaway cluster of the real server.
func TestAgainstRealPostgres(t *testing.T) {
	pg := pgtest.Start(t)
	pg.Exec(t,
		`CREATE TABLE teams (id int PRIMARY KEY, name text NOT NULL)`,
		`CREATE TABLE flows (id int PRIMARY KEY, team_id int NOT NULL REFERENCES teams, slug text NOT NULL)`,
		`INSERT INTO teams SELECT g, 'team ' || g FROM generate_series(1, 200) g`,
		`INSERT INTO flows SELECT g, 1 + g % 200, 'flow-' || g FROM generate_series(1, 20000) g`,
		`CREATE INDEX flows_slug ON flows (slug)`,
		`ANALYZE`,
		`CREATE EXTENSION pg_stat_statements VERSION '1.9'`,
		`CREATE EXTENSION hstore`,
	)
	c := ctx(t)
	db, err := pgclient.Connect(c, pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close(c) }()

	qs := []pgclient.Query{
		{Name: "flow by slug", SQL: "SELECT * FROM flows WHERE slug = 'flow-42'"},
		{Name: "flows per team", SQL: "SELECT t.name, count(*) FROM flows f JOIN teams t ON t.id = f.team_id GROUP BY t.name"},
		{Name: "delete is rolled back", SQL: "DELETE FROM flows WHERE id <= 100"},
		{Name: "runaway", SQL: "SELECT pg_sleep(30)"},
	}
	before := db.ExplainAll(c, qs, 2*time.Second)
	if len(before) != len(qs) {
		t.Fatalf("%d results for %d queries", len(before), len(qs))
	}
	for _, r := range before[:3] {
		if r.Err != "" {
			t.Fatalf("%s: %s", r.Name, r.Err)
		}
		if r.ExecutionMS <= 0 || r.PlanningMS <= 0 || r.Shape == "" {
			t.Errorf("%s: planning %v ms, execution %v ms, shape %q: want both times and a shape", r.Name, r.PlanningMS, r.ExecutionMS, r.Shape)
		}
	}
	if got := before[0].Shape; !strings.Contains(got, "using flows_slug on flows") {
		t.Errorf("flow by slug shape = %q, want the flows_slug index", got)
	}
	if got := before[1].Shape; !strings.Contains(got, "Join") || !strings.Contains(got, "on teams") {
		t.Errorf("flows per team shape = %q, want a join over teams", got)
	}
	if r := before[3]; !strings.Contains(r.Err, "statement timeout") {
		t.Errorf("runaway query: %+v, want it cancelled by the statement timeout", r)
	}
	var n int
	if err := pgxCount(c, pg.URL, &n); err != nil || n != 20000 {
		t.Errorf("flows after the spot checks: %d (%v), want 20000: the DELETE must be rolled back", n, err)
	}

	// A plan that changes shape: the index goes.
	pg.Exec(t, `DROP INDEX flows_slug`, `ANALYZE flows`)
	after := db.ExplainAll(c, qs[:2], 2*time.Second)
	cmp := pgclient.Compare(before[:2], after, 1.5)
	if !cmp[0].ShapeChanged || cmp[1].ShapeChanged {
		t.Errorf("shape changed = %v, %v; want true (index dropped), false", cmp[0].ShapeChanged, cmp[1].ShapeChanged)
	}
	if cmp[0].Ratio <= 0 {
		t.Errorf("ratio = %v, want a measured one", cmp[0].Ratio)
	}

	exts, err := db.Extensions(c)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]pgclient.Extension{}
	for _, e := range exts {
		got[e.Name] = e
	}
	if e := got["pg_stat_statements"]; e.Installed != "1.9" || !e.Outdated() || e.Default == "" {
		t.Errorf("pg_stat_statements = %+v, want 1.9 installed, a newer default", e)
	}
	if e := got["hstore"]; e.Outdated() {
		t.Errorf("hstore = %+v, want installed at its default", e)
	}
	if v, err := db.ServerVersion(c); err != nil || v == "" {
		t.Errorf("server version %q: %v", v, err)
	}
}

func TestConnectErrorHidesPassword(t *testing.T) {
	pg := pgtest.Start(t)
	url := strings.Replace(pg.URL, "postgres@", "nobody-here:s3cret-pw@", 1)
	_, err := pgclient.Connect(ctx(t), url)
	if err == nil {
		t.Fatal("connected as a role that does not exist")
	}
	if strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("error shows the password: %v", err)
	}
	if _, err := pgclient.Connect(ctx(t), "postgres://%zz"); err == nil || strings.Contains(err.Error(), "%zz") {
		t.Errorf("bad URL: %v", err)
	}
}

func TestLoadQueries(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "- name: flows\n  sql: SELECT 1;\n- name: teams\n  sql: |\n    SELECT 2\n")
	qs, err := pgclient.LoadQueries(good)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 2 || qs[0].SQL != "SELECT 1" || qs[1].SQL != "SELECT 2" {
		t.Errorf("queries = %+v", qs)
	}
	wrapped := write("wrapped.yaml", "queries:\n  - name: a\n    sql: SELECT 1\n")
	if qs, err := pgclient.LoadQueries(wrapped); err != nil || len(qs) != 1 {
		t.Errorf("wrapped: %v %v", qs, err)
	}
	for _, tt := range []struct{ body, want string }{
		{"- name: a\n  sql: SELECT 1\n- name: a\n  sql: SELECT 2\n", "used twice"},
		{"- sql: SELECT 1\n", "has no name"},
		{"- name: a\n", "has no sql"},
		{"- name: a\n  sql: EXPLAIN SELECT 1\n", "give the bare query"},
		{"[]\n", "no queries"},
	} {
		if _, err := pgclient.LoadQueries(write("bad.yaml", tt.body)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.body, err, tt.want)
		}
	}
	if _, err := pgclient.LoadQueries(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("a missing file gave no error")
	}
}

func TestParsePasted(t *testing.T) {
	text := `Sort  (cost=10.0..10.1 rows=1 width=4) (actual time=0.1..0.1 rows=1 loops=1)
  ->  Index Scan using flows_slug on flows  (cost=0.29..8.30 rows=1 width=4) (actual time=0.02..0.02 rows=1 loops=1)
Planning Time: 0.120 ms
Execution Time: 0.050 ms
Seq Scan on teams  (cost=0.00..4.00 rows=200 width=4) (actual time=0.01..0.03 rows=200 loops=1)
Planning Time: 0.010 ms
Execution Time: 2.5 ms
`
	rs, err := pgclient.ParsePasted(text, []string{"flow by slug"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Name != "flow by slug" || rs[1].Name != "query 2" {
		t.Fatalf("results = %+v", rs)
	}
	if rs[0].PlanningMS != 0.12 || rs[0].ExecutionMS != 0.05 || rs[0].Shape != "Sort > Index Scan using flows_slug on flows" {
		t.Errorf("first = %+v", rs[0])
	}
	if rs[1].ExecutionMS != 2.5 || rs[1].Shape != "Seq Scan on teams" {
		t.Errorf("second = %+v", rs[1])
	}
	js := `[{"Plan": {"Node Type": "Seq Scan", "Relation Name": "teams"}, "Planning Time": 0.1, "Execution Time": 0.4}]`
	rs, err = pgclient.ParsePasted(js, nil)
	if err != nil || len(rs) != 1 || rs[0].Shape != "Seq Scan on teams" || rs[0].ExecutionMS != 0.4 {
		t.Errorf("json: %+v %v", rs, err)
	}
	if _, err := pgclient.ParsePasted("Seq Scan on x", nil); err == nil {
		t.Error("text without an execution time was accepted")
	}
}

func TestCompare(t *testing.T) {
	before := []pgclient.Result{
		{Name: "a", ExecutionMS: 10, Shape: "Seq Scan on t"},
		{Name: "b", ExecutionMS: 10, Shape: "Seq Scan on u"},
		{Name: "gone", ExecutionMS: 1},
	}
	after := []pgclient.Result{
		{Name: "a", ExecutionMS: 16, Shape: "Seq Scan on t"},
		{Name: "b", ExecutionMS: 12, Shape: "Index Scan using u_i on u"},
		{Name: "new", ExecutionMS: 1},
	}
	cmp := pgclient.Compare(before, after, 1.5)
	if len(cmp) != 4 {
		t.Fatalf("%d comparisons", len(cmp))
	}
	if c := cmp[0]; c.Ratio != 1.6 || !c.Slower || c.ShapeChanged {
		t.Errorf("a = %+v, want ratio 1.6, slower, same shape", c)
	}
	if c := cmp[1]; c.Slower || !c.ShapeChanged {
		t.Errorf("b = %+v, want not slower, shape changed", c)
	}
	if !cmp[2].Missing || !cmp[3].Missing || cmp[3].Name != "new" {
		t.Errorf("one-sided results = %+v %+v", cmp[2], cmp[3])
	}
}

func pgxCount(c context.Context, url string, n *int) error {
	conn, err := pgx.Connect(c, url)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(c) }()
	return conn.QueryRow(c, "SELECT count(*) FROM flows").Scan(n)
}
