package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// migratedCLI runs reckon on a fresh, migrated database of the engine, and
// opens that database for the test's own rows.
func migratedCLI(t *testing.T, engine store.Engine) (cli func(args ...string) (int, string, string), db *store.DB) {
	t.Helper()
	ctx := context.Background()
	dbURL := reckontest.URL(t, engine)
	cli = func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
		code := run(ctx, e, append(args, "--database", dbURL))
		return code, out.String(), errOut.String()
	}
	if code, _, stderr := cli("migrate"); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	db, err := store.Open(ctx, dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return cli, db
}

func TestOperationsCancelAcknowledgeRetry(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			cli, db := migratedCLI(t, engine)
			fx := reckontest.NewFixture(t, db)
			ws := fx.Workspace()
			scope := reckon.Scope{WorkspaceID: ws.ID, EnvironmentID: fx.Environment(ws).ID}
			var runID int64
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				now := tx.Now()
				if err := tx.InsertRunBatch(ctx, &store.RunBatch{Scope: scope, Type: reckon.RunTypeRestoreExecute,
					Status: reckon.RunQueued, Count: 1, KeyPrefix: "cli-op:", CreatedAt: now, DeadlineAt: now.Add(time.Hour)}); err != nil {
					return err
				}
				runs, err := tx.ListRuns(ctx, &store.RunFilter{WorkspaceID: ws.ID, Limit: 1})
				if err == nil {
					runID = runs[0].ID
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			id := fmt.Sprint(runID)

			if code, _, stderr := cli("operations", "cancel", "--workspace", ws.Slug); code != 2 || !strings.Contains(stderr, "--id") {
				t.Fatalf("without --id: exit %d, %q", code, stderr)
			}
			if code, _, stderr := cli("operations", "cancel", "--workspace", "nope", "--id", id); code != 1 || !strings.Contains(stderr, "nope") {
				t.Fatalf("unknown workspace: exit %d, %q", code, stderr)
			}
			want := "run " + id + " cancelled: completed cancelled\n"
			if code, out, stderr := cli("operations", "cancel", "--workspace", ws.Slug, "--id", id, "--note", "by hand"); code != 0 || out != want {
				t.Fatalf("cancel: exit %d, %q %q", code, out, stderr)
			}
			want = "run " + id + " is completed cancelled; nothing changed\n"
			if code, out, stderr := cli("operations", "cancel", "--workspace", ws.Slug, "--id", id); code != 0 || out != want {
				t.Fatalf("second cancel: exit %d, %q %q", code, out, stderr)
			}
			if code, _, stderr := cli("operations", "acknowledge", "--workspace", ws.Slug, "--id", id); code != 1 || !strings.Contains(stderr, "acknowledged") {
				t.Fatalf("acknowledge a cancelled run: exit %d, %q", code, stderr)
			}
			// A restore run without a restore row has nothing to retry.
			if code, _, stderr := cli("operations", "retry", "--workspace", ws.Slug, "--id", id); code != 1 || !strings.Contains(stderr, "nothing") {
				t.Fatalf("retry: exit %d, %q", code, stderr)
			}
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				events, err := tx.AuditEvents(ctx, ws.ID, "operation_run", runID)
				if err == nil && (len(events) != 1 || events[0].Actor != "cli") {
					t.Errorf("audit: %+v", events)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestOperationsResolve(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			cli, db := migratedCLI(t, engine)
			// A published review, a ready copy of it, and a compose run of
			// their evidence that the reconciler blocks as ambiguous.
			a, err := app.New(db, nil)
			if err != nil {
				t.Fatal(err)
			}
			fx := reckontest.NewFixture(t, db)
			ws := fx.Workspace()
			scope := reckon.Scope{WorkspaceID: ws.ID, EnvironmentID: fx.Environment(ws).ID}
			if _, _, err := evidence.NewService(db).Import(ctx, scope, reckon.SnapshotInput{CapturedAt: db.Now().Add(-time.Minute),
				Source:   reckon.SnapshotSource{Format: reckon.SnapshotFormatNative},
				Findings: []reckon.Finding{{ControlID: "MS.AAD.1.1", Title: "Legacy auth", Severity: "high", Status: "fail"}}}); err != nil {
				t.Fatal(err)
			}
			res, err := a.Reviews.Compose(ctx, scope, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := app.WorkCompose(ctx, review.NewWorker(a.Reviews, nil), res.Run.ID); err != nil {
				t.Fatal(err)
			}
			var v *reckon.Review
			var blocked *reckon.Run
			if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				v, err = tx.ReviewOfRun(ctx, ws.ID, res.Run.ID)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if v, err = a.Reviews.Publish(ctx, ws.ID, v.ID, 0); err != nil {
				t.Fatal(err)
			}
			twin := fx.ReadyTwin(v)
			if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				blocked, _, err = a.Ledger.Ensure(ctx, tx, &ledger.EnsureParams{Scope: scope, Type: reckon.RunTypeReviewCompose,
					Key: v.Fingerprint, Context: reckon.RunContext{Fingerprint: v.Fingerprint}})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if blocked, _, err = a.Reconciler.ReconcileRun(ctx, ws.ID, blocked.ID, "reconciler"); err != nil || !review.Ambiguous(blocked) {
				t.Fatalf("blocked run: %+v %v", blocked, err)
			}
			id := fmt.Sprint(blocked.ID)

			if code, _, stderr := cli("operations", "resolve", "--workspace", ws.Slug, "--id", id); code != 2 || !strings.Contains(stderr, "--keep") {
				t.Fatalf("without --keep: exit %d, %q", code, stderr)
			}
			if code, _, stderr := cli("operations", "resolve", "--workspace", ws.Slug, "--id", id, "--keep", "999999"); code != 1 ||
				!strings.Contains(stderr, fmt.Sprintf("#%d, #%d", v.ID, twin.ID)) {
				t.Fatalf("keeping a review that is no competitor: exit %d, %q", code, stderr)
			}
			code, out, stderr := cli("operations", "resolve", "--workspace", ws.Slug, "--id", id, "--keep", fmt.Sprint(twin.ID),
				"--publish", "--note", "the copy")
			var resolution int64
			if _, err := fmt.Sscanf(out, "run "+id+" resolved: review %d kept (published), run %d completed succeeded records it\n",
				new(int64), &resolution); code != 0 || err != nil {
				t.Fatalf("resolve: exit %d, %q %q (%v)", code, out, stderr, err)
			}
			want := fmt.Sprintf("run %s was resolved already: review %d kept, run %d records it; nothing changed\n", id, twin.ID, resolution)
			if code, out, _ := cli("operations", "resolve", "--workspace", ws.Slug, "--id", id, "--keep", fmt.Sprint(twin.ID)); code != 0 || out != want {
				t.Fatalf("second resolve: exit %d, %q, want %q", code, out, want)
			}
			code, out, _ = cli("operations", "resolve", "--json", "--workspace", ws.Slug, "--id", id, "--keep", fmt.Sprint(twin.ID))
			if code != 0 || !strings.Contains(out, `"changed": false`) || !strings.Contains(out, fmt.Sprintf(`"retry_id": %d`, resolution)) {
				t.Fatalf("resolve --json: exit %d, %q", code, out)
			}
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				events, err := tx.AuditEvents(ctx, ws.ID, "operation_run", blocked.ID)
				if err == nil && (len(events) != 2 || events[1].Action != "run.resolved" || events[1].Actor != "cli") {
					t.Errorf("audit: %+v", events)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
