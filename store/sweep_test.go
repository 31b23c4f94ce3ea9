package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

var sweepT0 = reckontest.Epoch()

// restores is the run types the sweeps of these tests judge: the type
// sweepBatch inserts.
var restores = []reckon.RunType{reckon.RunTypeRestoreExecute}

func sweepDo(t *testing.T, db *store.DB, fn func(ctx context.Context, tx *store.Tx) error) {
	t.Helper()
	if err := db.InTx(context.Background(), func(tx *store.Tx) error { return fn(context.Background(), tx) }); err != nil {
		t.Fatal(err)
	}
}

func sweepBatch(t *testing.T, db *store.DB, scope reckon.Scope, status reckon.RunStatus, outcome reckon.Outcome, n int, prefix string, deadline time.Time) {
	t.Helper()
	sweepDo(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.InsertRunBatch(ctx, &store.RunBatch{Scope: scope, Type: reckon.RunTypeRestoreExecute, Status: status,
			Outcome: outcome, Count: n, KeyPrefix: prefix, CreatedAt: sweepT0, DeadlineAt: deadline})
	})
}

func TestStaleRunsPagesThroughActiveRunsPastTheDeadline(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		scope := reckontest.NewFixture(t, db).Scope()
		now := sweepT0.Add(time.Hour)
		sweepBatch(t, db, scope, reckon.RunQueued, "", 5, "q", sweepT0.Add(time.Minute))
		sweepBatch(t, db, scope, reckon.RunRunning, "", 4, "r", sweepT0.Add(2*time.Minute))
		sweepBatch(t, db, scope, reckon.RunQueued, "", 3, "f", now.Add(time.Minute))                          // within the deadline
		sweepBatch(t, db, scope, reckon.RunCompleted, reckon.OutcomeFailed, 6, "c", sweepT0.Add(time.Minute)) // finished

		var seen []*reckon.Run
		cursor := store.SweepCursor{}
		for {
			var page []*reckon.Run
			sweepDo(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
				page, err = tx.StaleRuns(ctx, now, restores, cursor, 4)
				return err
			})
			if len(page) == 0 {
				break
			}
			seen = append(seen, page...)
			last := page[len(page)-1]
			cursor = store.SweepCursor{DeadlineAt: last.DeadlineAt, ID: last.ID}
		}
		if len(seen) != 9 {
			t.Fatalf("paged through %d stale runs, want 9", len(seen))
		}
		for i, r := range seen {
			if !r.Status.Active() || !r.DeadlineAt.Before(now) {
				t.Fatalf("run %d (%s, deadline %s) is not an active run past the deadline", r.ID, r.Status, r.DeadlineAt)
			}
			if i > 0 && (r.DeadlineAt.Before(seen[i-1].DeadlineAt) || (r.DeadlineAt.Equal(seen[i-1].DeadlineAt) && r.ID <= seen[i-1].ID)) {
				t.Fatalf("runs out of (deadline, id) order at %d", i)
			}
		}
		// A process that knows other types only sees none of these.
		sweepDo(t, db, func(ctx context.Context, tx *store.Tx) error {
			others, err := tx.StaleRuns(ctx, now, []reckon.RunType{reckon.RunTypeReviewCompose, "inventory.sync"}, store.SweepCursor{}, 100)
			if err == nil && len(others) != 0 {
				t.Errorf("a sweep of other types selected %d runs", len(others))
			}
			return err
		})
		var past int64
		sweepDo(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
			past, err = tx.CountRunsPastDeadline(ctx, now)
			return err
		})
		if past != 9 {
			t.Fatalf("CountRunsPastDeadline = %d, want 9", past)
		}
	})
}

// On PostgreSQL a second sweeper skips the runs the first one holds
// instead of waiting for them or taking them too.
func TestStaleRunsSkipsRunsAnotherSweeperHolds(t *testing.T) {
	t.Parallel()
	db := reckontest.Open(t, store.Postgres, nil)
	scope := reckontest.NewFixture(t, db).Scope()
	sweepBatch(t, db, scope, reckon.RunQueued, "", 6, "q", sweepT0)
	now := sweepT0.Add(time.Hour)
	ctx := context.Background()
	held := make(chan []*reckon.Run)
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- db.InTx(ctx, func(tx *store.Tx) error {
			runs, err := tx.StaleRuns(ctx, now, restores, store.SweepCursor{}, 4)
			held <- runs
			<-release
			return err
		})
	}()
	first := <-held
	var second []*reckon.Run
	sweepDo(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
		second, err = tx.StaleRuns(ctx, now, restores, store.SweepCursor{}, 10)
		return err
	})
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(first) != 4 || len(second) != 2 {
		t.Fatalf("first sweeper holds %d runs, the second got %d; want 4 and the other 2", len(first), len(second))
	}
	for _, a := range first {
		for _, b := range second {
			if a.ID == b.ID {
				t.Fatalf("run %d was handed to both sweepers", a.ID)
			}
		}
	}
}

func TestSavepointRollsBackOnlyTheFailedPart(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		fx := reckontest.NewFixture(t, db)
		ws := fx.Workspace()
		boom := errors.New("boom")
		sweepDo(t, db, func(ctx context.Context, tx *store.Tx) error {
			add := func(id int64) error {
				return tx.InsertAudit(ctx, &store.AuditEvent{WorkspaceID: ws.ID, Actor: "test", Action: "x", SubjectType: "savepoint", SubjectID: id})
			}
			if err := add(1); err != nil {
				return err
			}
			err := tx.Savepoint(ctx, func() error {
				if err := add(2); err != nil {
					return err
				}
				// A failing statement: PostgreSQL would abort the whole
				// transaction without the savepoint.
				if _, err := tx.Run(ctx, ws.ID, -1); !store.IsNotFound(err) {
					return err
				}
				_ = tx.InsertAudit(ctx, &store.AuditEvent{Actor: "test", Action: "x", SubjectType: "savepoint", SubjectID: 3,
					Metadata: json.RawMessage(`{not json`)})
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("savepoint returned %v, want the function's error", err)
			}
			return tx.Savepoint(ctx, func() error { return add(4) })
		})
		var got map[int64]int64
		sweepDo(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
			got, err = tx.CountAuditEventsBySubject(ctx, "savepoint")
			return err
		})
		if len(got) != 2 || got[1] != 1 || got[4] != 1 {
			t.Fatalf("audit events by subject %v, want only 1 and 4 kept", got)
		}
	})
}

func TestRecordRestoreItemRecordsAResultOnce(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		scope := reckontest.NewFixture(t, db).Scope()
		sweepBatch(t, db, scope, reckon.RunQueued, "", 1, "restore", sweepT0)
		var runID int64
		sweepDo(t, db, func(ctx context.Context, tx *store.Tx) error {
			runs, err := tx.StaleRuns(ctx, sweepT0.Add(time.Hour), restores, store.SweepCursor{}, 1)
			if err == nil {
				runID = runs[0].ID
			}
			return err
		})
		rr := &reckon.RestoreRun{WorkspaceID: scope.WorkspaceID, EnvironmentID: scope.EnvironmentID, OperationRunID: runID, BackupRef: "b"}
		items := []*reckon.RestoreItem{{Key: "a", Payload: json.RawMessage(`{"kind":"x"}`)}, {Key: "b", Payload: json.RawMessage(`null`)}}
		sweepDo(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.InsertRestore(ctx, rr, items) })
		record := func(it *reckon.RestoreItem, status reckon.RestoreItemStatus, code string) bool {
			var changed bool
			sweepDo(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
				changed, err = tx.RecordRestoreItem(ctx, it.ID, status, code)
				return err
			})
			return changed
		}
		if !record(items[0], reckon.RestoreItemApplied, "") || !record(items[1], reckon.RestoreItemFailed, "restore.item_invalid_payload") {
			t.Fatal("first results were not recorded")
		}
		if record(items[0], reckon.RestoreItemFailed, "late") {
			t.Fatal("a second result overwrote the first")
		}
		var applied, failed int
		var pending, all []*reckon.RestoreItem
		sweepDo(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
			if applied, failed, err = tx.CountRestoreItems(ctx, rr.ID); err != nil {
				return err
			}
			if pending, err = tx.RestoreItems(ctx, rr.ID, true); err != nil {
				return err
			}
			all, err = tx.RestoreItems(ctx, rr.ID, false)
			return err
		})
		if applied != 1 || failed != 1 || len(pending) != 0 || all[0].Status != reckon.RestoreItemApplied || all[0].AppliedAt == nil ||
			all[1].ErrorCode != "restore.item_invalid_payload" || all[1].AppliedAt != nil {
			t.Fatalf("applied %d failed %d pending %d items %+v %+v", applied, failed, len(pending), all[0], all[1])
		}
		// Another scope never sees the restore.
		other := reckontest.NewFixture(t, db).Scope()
		sweepDo(t, db, func(ctx context.Context, tx *store.Tx) error {
			if _, err := tx.RestoreByRun(ctx, other, runID); !store.IsNotFound(err) {
				t.Errorf("restore by run from another scope: %v, want not found", err)
			}
			if _, err := tx.Restore(ctx, other.WorkspaceID, rr.ID); !store.IsNotFound(err) {
				t.Errorf("restore from another workspace: %v, want not found", err)
			}
			return nil
		})
	})
}
