package reckontest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// Tx runs fn in one transaction on db and fails the test on an error.
func Tx(t testing.TB, db *store.DB, fn func(ctx context.Context, tx *store.Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := db.InTx(ctx, func(tx *store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// Run loads a run of a workspace.
func Run(t testing.TB, db *store.DB, workspaceID, id int64) *reckon.Run {
	t.Helper()
	var run *reckon.Run
	Tx(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
		run, err = tx.Run(ctx, workspaceID, id)
		return err
	})
	return run
}

// Audits returns the audit trail of a run, oldest first.
func Audits(t testing.TB, db *store.DB, runID int64) []*store.AuditEvent {
	t.Helper()
	var events []*store.AuditEvent
	Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
		run, err := tx.LockRun(ctx, runID)
		if err != nil {
			return err
		}
		events, err = tx.AuditEvents(ctx, run.WorkspaceID, "operation_run", runID)
		return err
	})
	return events
}

// AuditTrail returns the audit trail of a subject of a workspace, oldest
// first, each event as "action actor note" (the note an operator gave, or
// nothing): what a test compares to say who did what, once.
func AuditTrail(t testing.TB, db *store.DB, workspaceID int64, subjectType string, subjectID int64) []string {
	t.Helper()
	var out []string
	Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
		events, err := tx.AuditEvents(ctx, workspaceID, subjectType, subjectID)
		for _, e := range events {
			var m struct {
				Note string `json:"note"`
			}
			if err := json.Unmarshal(e.Metadata, &m); err != nil {
				return fmt.Errorf("audit event %d: %w", e.ID, err)
			}
			out = append(out, e.Action+" "+e.Actor+" "+m.Note)
		}
		return err
	})
	return out
}
