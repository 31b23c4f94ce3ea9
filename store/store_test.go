package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// openFresh opens an empty, unmigrated database of the engine.
func openFresh(t *testing.T, engine store.Engine) (*store.DB, string) {
	t.Helper()
	url := reckontest.URL(t, engine)
	db, err := store.Open(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db, url
}

func eachFreshEngine(t *testing.T, fn func(t *testing.T, engine store.Engine)) {
	t.Helper()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) { fn(t, engine) })
	}
}

func inTx(t *testing.T, db *store.DB, fn func(ctx context.Context, tx *store.Tx) error) {
	t.Helper()
	reckontest.Tx(t, db, fn)
}

func TestMigrateCreatesPartialUniqueIndexes(t *testing.T) {
	t.Parallel()
	eachFreshEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db, _ := openFresh(t, engine)
		if err := db.CheckSchema(ctx); reckon.ErrorCodeOf(err) != reckon.CodeSchemaBehind {
			t.Fatalf("CheckSchema on an empty database: %v, want %s", err, reckon.CodeSchemaBehind)
		}
		applied, err := db.Migrate(ctx)
		if err != nil || applied != store.SchemaVersion() {
			t.Fatalf("Migrate: applied %d, %v; want %d", applied, err, store.SchemaVersion())
		}
		if applied, err := db.Migrate(ctx); err != nil || applied != 0 {
			t.Fatalf("second Migrate: applied %d, %v; want 0", applied, err)
		}
		if err := db.CheckSchema(ctx); err != nil {
			t.Fatalf("CheckSchema after Migrate: %v", err)
		}

		var indexes []store.Index
		inTx(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
			indexes, err = tx.Indexes(ctx)
			return err
		})
		want := map[string]struct {
			table     string
			predicate []string
		}{
			"operation_runs_active_identity_unique":          {"operation_runs", []string{"'queued'", "'running'"}},
			"environment_reviews_fingerprint_mutable_unique": {"environment_reviews", []string{"'draft'", "'ready'", "'failed'"}},
		}
		for _, ix := range indexes {
			w, ok := want[ix.Name]
			if !ok {
				continue
			}
			delete(want, ix.Name)
			def := strings.ToUpper(ix.Definition)
			if ix.Table != w.table || !strings.Contains(def, "UNIQUE") || !strings.Contains(def, " WHERE ") {
				t.Errorf("index %s on %s is not a partial unique index: %s", ix.Name, ix.Table, ix.Definition)
			}
			for _, p := range w.predicate {
				if !strings.Contains(ix.Definition, p) {
					t.Errorf("index %s does not cover status %s: %s", ix.Name, p, ix.Definition)
				}
			}
		}
		for name := range want {
			t.Errorf("index %s is missing", name)
		}
	})
}

func TestConcurrentMigrateAppliesOnce(t *testing.T) {
	t.Parallel()
	eachFreshEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		_, url := openFresh(t, engine)
		// Several processes start at once on one empty database; each has
		// its own connections.
		const procs = 4
		applied := make([]int, procs)
		errs := make([]error, procs)
		var wg sync.WaitGroup
		for i := range procs {
			wg.Go(func() {
				db, err := store.Open(ctx, url, nil)
				if err != nil {
					errs[i] = err
					return
				}
				defer db.Close()
				applied[i], errs[i] = db.Migrate(ctx)
			})
		}
		wg.Wait()
		total := 0
		for i := range procs {
			if errs[i] != nil {
				t.Fatalf("migrator %d: %v", i, errs[i])
			}
			total += applied[i]
		}
		if total != store.SchemaVersion() {
			t.Fatalf("migrators applied %d migrations in all, want %d", total, store.SchemaVersion())
		}
	})
}

func TestUniqueViolationIsConflict(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := reckontest.NewFixture(t, db)
		w := fx.Workspace()
		env := fx.Environment(w)
		user := fx.User("x")
		other := fx.Workspace()
		inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			_, err := tx.CreateToken(ctx, user.ID, "ci", "hash-1")
			return err
		})

		cases := map[string]func(tx *store.Tx) error{
			"workspace slug": func(tx *store.Tx) error {
				_, err := tx.CreateWorkspace(ctx, w.Slug, "Again")
				return err
			},
			"environment slug in its workspace": func(tx *store.Tx) error {
				_, err := tx.CreateEnvironment(ctx, w.ID, env.Slug, "Again", "")
				return err
			},
			"user email": func(tx *store.Tx) error {
				return tx.CreateUser(ctx, &reckon.User{Email: user.Email, Name: "Again", PasswordHash: "x"})
			},
			"token hash": func(tx *store.Tx) error {
				_, err := tx.CreateToken(ctx, user.ID, "again", "hash-1")
				return err
			},
		}
		for name, write := range cases {
			err := db.InTx(ctx, write)
			if !errors.Is(err, store.ErrConflict) || !store.IsConflict(err) {
				t.Errorf("%s: %v, want ErrConflict", name, err)
				continue
			}
			assertSafeText(t, name, err.Error())
		}

		// Nothing was lost and the same slug is free in another workspace.
		inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			got, err := tx.WorkspaceBySlug(ctx, w.Slug)
			if err != nil || got.Name != w.Name {
				t.Errorf("workspace after conflict: %+v, %v", got, err)
			}
			if envs, err := tx.Environments(ctx, w.ID); err != nil || len(envs) != 1 || envs[0].Name != env.Name {
				t.Errorf("environments after conflict: %+v, %v", envs, err)
			}
			_, err = tx.CreateEnvironment(ctx, other.ID, env.Slug, "Same slug elsewhere", "")
			return err
		})
	})
}

// assertSafeText fails when an error text shows database internals.
func assertSafeText(t *testing.T, name, text string) {
	t.Helper()
	lower := strings.ToLower(text)
	for _, leak := range []string{"constraint", "unique", "duplicate", "sqlstate", "23505", "2067", "sqlite",
		"_key", "_pkey", "token_hash", "insert", "violates"} {
		if strings.Contains(lower, leak) {
			t.Errorf("%s: error text %q shows %q", name, text, leak)
		}
	}
}

func TestForeignKeysEnforced(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		err := db.InTx(context.Background(), func(tx *store.Tx) error {
			_, err := tx.CreateEnvironment(context.Background(), 987654, "orphan", "Orphan", "")
			return err
		})
		if err == nil {
			t.Fatal("an environment of a missing workspace was stored")
		}
		if !errors.Is(err, store.ErrInvalidReference) {
			t.Fatalf("error %v, want store.ErrInvalidReference", err)
		}
		for _, leak := range []string{"FOREIGN", "foreign key", "SQLSTATE", "23503", "managed_environments", "constraint"} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("error %q carries driver text %q", err, leak)
			}
		}
	})
}

func TestMissingRowIsNotFound(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := reckontest.NewFixture(t, db).Workspace()
		reads := map[string]func(tx *store.Tx) error{
			"run": func(tx *store.Tx) error { _, err := tx.Run(ctx, w.ID, 424242); return err },
			"locked run": func(tx *store.Tx) error {
				_, err := tx.LockRun(ctx, 424242)
				return err
			},
			"workspace": func(tx *store.Tx) error { _, err := tx.WorkspaceBySlug(ctx, "nope"); return err },
			"user":      func(tx *store.Tx) error { _, err := tx.UserByEmail(ctx, "nobody@example.test"); return err },
			"update of a missing run": func(tx *store.Tx) error {
				return tx.UpdateRun(ctx, &reckon.Run{ID: 424242, Status: reckon.RunQueued, Outcome: reckon.OutcomePending})
			},
		}
		for name, read := range reads {
			if err := db.InTx(ctx, read); !errors.Is(err, store.ErrNotFound) || !store.IsNotFound(err) {
				t.Errorf("%s: %v, want ErrNotFound", name, err)
			}
		}
	})
}

func TestWorkspaceScopedReads(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := reckontest.NewFixture(t, db)
		a, b := fx.Workspace(), fx.Workspace()
		envA := fx.Environment(a)
		fx.Environment(b)
		user := fx.User("x")
		fx.Member(a, user, reckon.RoleOwner)
		var run *reckon.Run
		inTx(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
			run, _, err = tx.InsertRunIfAbsent(ctx, &store.RunInsert{Scope: reckon.Scope{WorkspaceID: a.ID, EnvironmentID: envA.ID},
				Type: reckon.RunTypeReviewCompose, IdentityHash: "sha256:a", DeadlineAt: tx.Now().Add(time.Hour)})
			return err
		})

		// Through workspace A everything is there ...
		inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			if _, err := tx.Run(ctx, a.ID, run.ID); err != nil {
				t.Errorf("run through its workspace: %v", err)
			}
			if _, err := tx.ActiveRunByIdentity(ctx, a.ID, run.Type, run.IdentityHash); err != nil {
				t.Errorf("active run through its workspace: %v", err)
			}
			if _, err := tx.Environment(ctx, a.ID, envA.ID); err != nil {
				t.Errorf("environment through its workspace: %v", err)
			}
			return nil
		})
		// ... and through workspace B nothing of A exists.
		notFound := map[string]func(tx *store.Tx) error{
			"run": func(tx *store.Tx) error { _, err := tx.Run(ctx, b.ID, run.ID); return err },
			"active run by identity": func(tx *store.Tx) error {
				_, err := tx.ActiveRunByIdentity(ctx, b.ID, run.Type, run.IdentityHash)
				return err
			},
			"environment": func(tx *store.Tx) error { _, err := tx.Environment(ctx, b.ID, envA.ID); return err },
			"environment by slug": func(tx *store.Tx) error {
				_, err := tx.EnvironmentBySlug(ctx, b.ID, envA.Slug)
				return err
			},
			"membership": func(tx *store.Tx) error { _, err := tx.Membership(ctx, b.ID, user.ID); return err },
			"environment tenant update": func(tx *store.Tx) error {
				return tx.SetEnvironmentTenant(ctx, b.ID, envA.ID, "tenant-x")
			},
		}
		for name, read := range notFound {
			if err := db.InTx(ctx, read); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s of workspace A through workspace B: %v, want ErrNotFound", name, err)
			}
		}
		inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			envs, err := tx.Environments(ctx, b.ID)
			if err != nil {
				return err
			}
			for _, e := range envs {
				if e.ID == envA.ID {
					t.Errorf("workspace B lists environment %d of workspace A", e.ID)
				}
			}
			if n, err := tx.CountRuns(ctx, b.ID); err != nil || n != 0 {
				t.Errorf("workspace B counts %d runs, %v", n, err)
			}
			ws, err := tx.WorkspacesOfUser(ctx, user.ID)
			if err != nil {
				return err
			}
			if len(ws) != 1 || ws[0].ID != a.ID {
				t.Errorf("a member of A only sees %+v", ws)
			}
			got, err := tx.Environment(ctx, a.ID, envA.ID)
			if err != nil || got.TenantID != "" {
				t.Errorf("environment after a foreign update: %+v, %v", got, err)
			}
			return nil
		})
	})
}

func TestTimesRoundTrip(t *testing.T) {
	t.Parallel()
	// A clock in another zone, with nanoseconds: both engines store
	// microseconds in UTC, and reading gives back exactly the stored instant.
	berlin := time.FixedZone("CET", 3600)
	at := time.Date(2026, 11, 28, 11, 0, 0, 123456789, berlin)
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			db := reckontest.Open(t, engine, &reckontest.Options{Clock: func() time.Time { return at }})
			w := reckontest.NewFixture(t, db).Workspace()
			inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
				got, err := tx.WorkspaceBySlug(ctx, w.Slug)
				if err != nil {
					return err
				}
				want := time.Date(2026, 11, 28, 10, 0, 0, 123456000, time.UTC)
				if !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC || !w.CreatedAt.Equal(want) {
					t.Errorf("created_at %v (returned %v), want %v", got.CreatedAt, w.CreatedAt, want)
				}
				if !tx.Now().Equal(want) {
					t.Errorf("tx.Now() %v, want %v", tx.Now(), want)
				}
				return nil
			})
		})
	}
}

func TestInTxRollsBackOnErrorAndPanic(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		abort := errors.New("abort")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.CreateWorkspace(ctx, "rolled-back", "Rolled back"); err != nil {
				return err
			}
			return abort
		})
		if !errors.Is(err, abort) {
			t.Fatalf("InTx returned %v, want the function's error", err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Error("InTx swallowed a panic")
				}
			}()
			_ = db.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.CreateWorkspace(ctx, "panicked", "Panicked"); err != nil {
					return err
				}
				panic("boom")
			})
		}()
		inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			for _, slug := range []string{"rolled-back", "panicked"} {
				if _, err := tx.WorkspaceBySlug(ctx, slug); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("workspace %s after rollback: %v", slug, err)
				}
			}
			return nil
		})
		// The connection is usable after both.
		inTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			_, err := tx.CreateWorkspace(ctx, "after", "After")
			return err
		})
	})
}

// rawExec runs a statement on the database at url outside the store, the
// way another binary or an operator would.
func rawExec(t *testing.T, engine store.Engine, url, q string) {
	t.Helper()
	ctx := context.Background()
	switch engine {
	case store.Postgres:
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	case store.SQLite:
		db, err := sql.Open("sqlite", strings.TrimPrefix(url, "sqlite:"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSchemaNewerThanBinaryIsRefused(t *testing.T) {
	t.Parallel()
	eachFreshEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db, url := openFresh(t, engine)
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		rawExec(t, engine, url, fmt.Sprintf(`INSERT INTO reckon_schema_migrations (version, applied_at) VALUES (%d, '2030-01-01T00:00:00.000000Z')`,
			store.SchemaVersion()+1))
		if err := db.CheckSchema(ctx); reckon.ErrorCodeOf(err) != reckon.CodeSchemaBehind {
			t.Errorf("CheckSchema on a newer schema: %v, want %s", err, reckon.CodeSchemaBehind)
		}
		if _, err := db.Migrate(ctx); reckon.ErrorCodeOf(err) != reckon.CodeSchemaBehind {
			t.Errorf("Migrate on a newer schema: %v, want a refusal", err)
		}
	})
}

func TestOpenErrorsAreOneClearLine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		url, want string
	}{
		{"mysql://root:hunter2@db/reckon", "not supported"},
		{"sqlite:", "names no file"},
		{"postgres://reckon:hunter2@127.0.0.1:1/reckon?connect_timeout=2", "unreachable"},
		{"postgres://reckon:hunter2@[::1/reckon", "not valid"},
	}
	for _, tc := range cases {
		db, err := store.Open(ctx, tc.url, nil)
		if err == nil {
			db.Close()
			t.Errorf("Open(%s) succeeded", tc.url)
			continue
		}
		text := err.Error()
		if !strings.Contains(text, tc.want) || strings.Contains(text, "hunter2") || strings.Contains(text, "\n") {
			t.Errorf("Open(%s): %q, want one line saying %q without the password", tc.url, text, tc.want)
		}
	}
}
