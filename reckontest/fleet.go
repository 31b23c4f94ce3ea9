package reckontest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// FleetOptions shape the environments FillFleet makes.
type FleetOptions struct {
	// Environments is how many environments to add to the workspace.
	Environments int
	// Reviews is how many composed reviews each environment gets, one per
	// snapshot, oldest first; the newest is ready, the others superseded.
	Reviews int
	// RunsPerEnvironment succeeded compose runs each environment gets.
	RunsPerEnvironment int
	// Content is the composed content of an environment's n-th review (0
	// for the oldest); a small document with a score when nil.
	Content func(env, n int) json.RawMessage
	// At is the capture time of the oldest snapshots; later ones follow an
	// hour apart. Epoch() a week back when zero.
	At time.Time
}

// Fleet is what FillFleet made, so that tests know what to expect.
type Fleet struct {
	Environments []*reckon.Environment
	// Stale are the environments that got a snapshot after their latest
	// review (every third); Failing those with one unresolved failed run
	// (every fifth); Unreviewed those with evidence and no review (every
	// seventh).
	Stale, Failing, Unreviewed map[int64]bool
}

// FillFleet adds environments to a workspace with a history: snapshots,
// composed reviews, succeeded runs, some stale reviews, failed runs and
// environments without a review. Rows are written directly, for tests and
// benchmarks of reads.
func FillFleet(t testing.TB, db *store.DB, w *reckon.Workspace, o FleetOptions) *Fleet {
	t.Helper()
	ctx := context.Background()
	at := o.At
	if at.IsZero() {
		at = Epoch().Add(-7 * 24 * time.Hour)
	}
	content := o.Content
	if content == nil {
		content = func(env, n int) json.RawMessage {
			return json.RawMessage(fmt.Sprintf(`{"score": %d, "controls": 10, "failing": [{"control_id": "C.%d"}]}`, 50+(env*7+n*5)%50, n))
		}
	}
	f := &Fleet{Stale: map[int64]bool{}, Failing: map[int64]bool{}, Unreviewed: map[int64]bool{}}
	base := seq.Add(1)
	Tx(t, db, func(_ context.Context, tx *store.Tx) error {
		for i := range o.Environments {
			e, err := tx.CreateEnvironment(ctx, w.ID, fmt.Sprintf("fleet-%d-%d", base, i), fmt.Sprintf("Fleet %d-%03d", base, i), "")
			if err != nil {
				return err
			}
			f.Environments = append(f.Environments, e)
			scope := reckon.Scope{WorkspaceID: w.ID, EnvironmentID: e.ID}
			snapshot := func(n int) (*reckon.Snapshot, error) {
				return tx.InsertSnapshot(ctx, &store.SnapshotInsert{Scope: scope, CapturedAt: at.Add(time.Duration(n) * time.Hour),
					ContentHash: fmt.Sprintf("sha256:%d-%d", e.ID, n),
					Findings:    []reckon.Finding{{ControlID: "C.1", Title: "A control", Severity: reckon.SeverityHigh, Status: reckon.FindingPass}},
					Source:      reckon.SnapshotSource{Format: reckon.SnapshotFormatNative}})
			}
			reviews := o.Reviews
			if i%7 == 6 {
				reviews = 0
				f.Unreviewed[e.ID] = true
			}
			var previous *reckon.Review
			for n := range reviews {
				snap, err := snapshot(n)
				if err != nil {
					return err
				}
				v, err := tx.InsertDraftReview(ctx, &store.DraftReviewInsert{Scope: scope, EvidenceSnapshotID: snap.ID,
					Fingerprint: fmt.Sprintf("sha256:fleet-%d-%d", e.ID, n)})
				if err != nil {
					return err
				}
				composed := snap.CapturedAt.Add(10 * time.Minute)
				v.Status, v.Content, v.ComposedAt = reckon.ReviewReady, content(i, n), &composed
				if err := tx.UpdateReview(ctx, v); err != nil {
					return err
				}
				if previous != nil {
					previous.Status, previous.SupersededByReviewID = reckon.ReviewSuperseded, v.ID
					if err := tx.UpdateReview(ctx, previous); err != nil {
						return err
					}
				}
				previous = v
			}
			if reviews == 0 || i%3 == 0 {
				if _, err := snapshot(reviews); err != nil {
					return err
				}
				if reviews > 0 {
					f.Stale[e.ID] = true
				}
			}
			if o.RunsPerEnvironment > 0 {
				if err := tx.InsertRunBatch(ctx, &store.RunBatch{Scope: scope, Type: reckon.RunTypeReviewCompose,
					Status: reckon.RunCompleted, Outcome: reckon.OutcomeSucceeded, Count: o.RunsPerEnvironment,
					KeyPrefix: fmt.Sprintf("fleet-ok-%d-", e.ID), CreatedAt: at, DeadlineAt: at}); err != nil {
					return err
				}
			}
			if i%5 == 4 {
				// After the succeeded ones, so nothing resolves it.
				if err := tx.InsertRunBatch(ctx, &store.RunBatch{Scope: scope, Type: reckon.RunTypeReviewCompose,
					Status: reckon.RunCompleted, Outcome: reckon.OutcomeFailed, Count: 1,
					KeyPrefix: fmt.Sprintf("fleet-failed-%d-", e.ID), CreatedAt: at, DeadlineAt: at}); err != nil {
					return err
				}
				f.Failing[e.ID] = true
			}
		}
		return tx.AnalyzeFleet(ctx)
	})
	return f
}
