// Package pgclient runs the few read-only things the upgrade runbook asks
// of the database itself, over pgx: EXPLAIN ANALYZE spot checks (each in a
// transaction that is rolled back, under a statement timeout) and the list
// of installed extensions against the versions the engine offers. It never
// keeps the connection string.
package pgclient

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"
)

// Query is one spot-check query, named so before and after can be matched.
type Query struct {
	Name string `yaml:"name" json:"name"`
	SQL  string `yaml:"sql" json:"sql"`
}

// LoadQueries reads a spot-check file: a YAML list of {name, sql}, or a
// mapping with such a list under `queries:`. Every entry needs a unique name
// and one statement.
func LoadQueries(path string) ([]Query, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read spot-check queries: %w", err)
	}
	var qs []Query
	if err := yaml.Unmarshal(b, &qs); err != nil {
		var wrapped struct {
			Queries []Query `yaml:"queries"`
		}
		if err2 := yaml.Unmarshal(b, &wrapped); err2 != nil {
			return nil, fmt.Errorf("read spot-check queries %s: %w (write a list of `- name: ...` / `sql: ...` entries)", path, err)
		}
		qs = wrapped.Queries
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("read spot-check queries %s: no queries; add entries of `- name: ...` / `sql: ...`", path)
	}
	seen := map[string]bool{}
	for i, q := range qs {
		q.Name, q.SQL = strings.TrimSpace(q.Name), strings.TrimSpace(q.SQL)
		q.SQL = strings.TrimSpace(strings.TrimSuffix(q.SQL, ";"))
		switch {
		case q.Name == "":
			return nil, fmt.Errorf("read spot-check queries %s: entry %d has no name", path, i+1)
		case seen[q.Name]:
			return nil, fmt.Errorf("read spot-check queries %s: the name %q is used twice; names match the before and after runs", path, q.Name)
		case q.SQL == "":
			return nil, fmt.Errorf("read spot-check queries %s: %q has no sql", path, q.Name)
		case strings.HasPrefix(strings.ToUpper(q.SQL), "EXPLAIN"):
			return nil, fmt.Errorf("read spot-check queries %s: %q starts with EXPLAIN; give the bare query, the program adds EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)", path, q.Name)
		}
		seen[q.Name] = true
		qs[i] = q
	}
	return qs, nil
}

// Client is a connection to the database the instance serves.
type Client struct {
	conn *pgx.Conn
}

// Connect opens a connection. Errors never repeat the URL (it holds the
// password).
func Connect(ctx context.Context, url string) (*Client, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, errors.New("connect to the database: the database URL does not parse; give it as postgres://user:password@host:5432/dbname")
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 15 * time.Second
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the database at %s:%d as %s: %w", cfg.Host, cfg.Port, cfg.User, redact(err, cfg.Password))
	}
	return &Client{conn: conn}, nil
}

// Close closes the connection.
func (c *Client) Close(ctx context.Context) error { return c.conn.Close(ctx) }

// ServerVersion returns the server's version string (server_version).
func (c *Client) ServerVersion(ctx context.Context) (string, error) {
	var v string
	if err := c.conn.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "", fmt.Errorf("read the server version: %w", err)
	}
	return v, nil
}

// Extension is an installed extension with the version the engine offers
// by default; they differ after a major upgrade until `ALTER EXTENSION ...
// UPDATE` runs.
type Extension struct {
	Name      string `json:"name"`
	Installed string `json:"installed"`
	Default   string `json:"default"` // "" when the engine no longer offers it
}

// Outdated reports whether the installed version is not the default one.
func (e Extension) Outdated() bool { return e.Installed != e.Default }

// Extensions lists the installed extensions (pg_extension) with the default
// version the engine offers (pg_available_extensions), by name.
func (c *Client) Extensions(ctx context.Context) ([]Extension, error) {
	rows, err := c.conn.Query(ctx, `SELECT e.extname, e.extversion, coalesce(a.default_version, '')
		FROM pg_extension e LEFT JOIN pg_available_extensions a ON a.name = e.extname
		ORDER BY e.extname`)
	if err != nil {
		return nil, fmt.Errorf("list extensions: %w", err)
	}
	defer rows.Close()
	var out []Extension
	for rows.Next() {
		var e Extension
		if err := rows.Scan(&e.Name, &e.Installed, &e.Default); err != nil {
			return nil, fmt.Errorf("list extensions: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list extensions: %w", err)
	}
	return out, nil
}

func redact(err error, secret string) error {
	if secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), secret, "***"))
}
