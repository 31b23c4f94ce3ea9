package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

func TestOperationsCancelAcknowledgeRetry(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			dbURL := reckontest.URL(t, engine)
			cli := func(args ...string) (int, string, string) {
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
			defer db.Close()
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
