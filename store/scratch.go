package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"

	"github.com/jackc/pgx/v5"
)

var schemaPrefix = regexp.MustCompile(`^[a-z][a-z0-9_]{0,30}$`)

// ScratchSchema creates a fresh, empty PostgreSQL schema named after prefix
// on the server of baseURL, for work that must not touch the data already
// there (benchmarks, tests). It returns a URL that selects the schema through
// search_path — reckon's and River's tables are created in it — and a
// function that drops the schema with everything in it.
func ScratchSchema(ctx context.Context, baseURL, prefix string) (schemaURL string, drop func(context.Context) error, err error) {
	if engine, _, err := ParseURL(baseURL); err != nil {
		return "", nil, err
	} else if engine != Postgres {
		return "", nil, fmt.Errorf("database URL %s is not a PostgreSQL URL", Redact(baseURL))
	}
	if !schemaPrefix.MatchString(prefix) {
		return "", nil, fmt.Errorf("store: schema prefix %q is not a plain lower-case name", prefix)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	// The name is built from a checked prefix and hex digits only, so it is
	// safe to splice into DDL, which takes no parameters.
	schema := prefix + "_" + hex.EncodeToString(b)

	exec := func(ctx context.Context, stmt string) error {
		conn, err := pgx.Connect(ctx, baseURL)
		if err != nil {
			return fmt.Errorf("database %s is unreachable: %s", Redact(baseURL), safeConnError(err))
		}
		defer conn.Close(context.WithoutCancel(ctx))
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("store: %s: %w", stmt, err)
		}
		return nil
	}
	if err := exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	drop = func(ctx context.Context) error { return exec(ctx, "DROP SCHEMA "+schema+" CASCADE") }

	u, err := url.Parse(baseURL)
	if err != nil {
		_ = drop(ctx)
		return "", nil, fmt.Errorf("database URL %s is not valid: %w", Redact(baseURL), unwrapParse(err))
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}
