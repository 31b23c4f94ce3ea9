package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// SQLite connections keep their statements compiled: a statement run again
// while its own rows are still open, or after the schema changed under it,
// still answers as if compiled afresh.
func TestSQLiteKeepsStatementsCompiledWithoutChangingTheirAnswers(t *testing.T) {
	t.Parallel()
	db := reckontest.Open(t, store.SQLite, nil)
	reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
		for _, slug := range []string{"a", "b", "c"} {
			if _, err := tx.CreateWorkspace(ctx, slug, slug); err != nil {
				return err
			}
		}
		raw := tx.Raw().(*sql.Tx)
		const q = `SELECT slug FROM workspaces WHERE id > ?1 ORDER BY id`
		rows, err := raw.QueryContext(ctx, q, 0)
		if err != nil {
			return err
		}
		defer rows.Close()
		var slugs string
		for rows.Next() {
			var slug, none string
			if err := rows.Scan(&slug); err != nil {
				return err
			}
			// The same text again, while the outer rows are read.
			if err := raw.QueryRowContext(ctx, q, 1000).Scan(&none); !errors.Is(err, sql.ErrNoRows) {
				t.Fatalf("inner query: %v, want no rows", err)
			}
			slugs += slug
		}
		if err := rows.Err(); err != nil || slugs != "abc" {
			t.Fatalf("outer rows %q, %v; want abc", slugs, err)
		}

		const all = `SELECT * FROM workspaces WHERE slug = ?1`
		columns := func() int {
			r, err := raw.QueryContext(ctx, all, "a")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			cols, err := r.Columns()
			if err != nil {
				t.Fatal(err)
			}
			return len(cols)
		}
		before := columns()
		if _, err := raw.ExecContext(ctx, `ALTER TABLE workspaces ADD COLUMN extra TEXT`); err != nil {
			return err
		}
		if after := columns(); after != before+1 {
			t.Fatalf("%d columns after adding one to %d", after, before)
		}
		return nil
	})
}
