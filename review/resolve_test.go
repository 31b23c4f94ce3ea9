package review_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// putReview writes a review row in any status, linked to runID (0: none).
func (b *testBundle) putReview(t *testing.T, scope reckon.Scope, snapID int64, fp string, runID int64, status reckon.ReviewStatus) *reckon.Review {
	t.Helper()
	var v *reckon.Review
	err := b.db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		v, err = tx.InsertDraftReview(context.Background(), &store.DraftReviewInsert{Scope: scope,
			EvidenceSnapshotID: snapID, Fingerprint: fp, OperationRunID: runID})
		if err != nil || status == reckon.ReviewDraft {
			return err
		}
		now := tx.Now()
		v.Status = status
		if status != reckon.ReviewFailed {
			v.ComposedAt, v.Content = &now, []byte(`{}`)
		}
		return tx.UpdateReview(context.Background(), v)
	})
	if err != nil {
		t.Fatalf("put review: %v", err)
	}
	return v
}

func TestResolveTable(t *testing.T) {
	t.Parallel()
	reckontest.EachEngineAt(t, reckontest.EpochClock().Now, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := setup(t, db, nil)
		at := reckontest.Epoch().AddDate(0, 0, -27)

		type rows struct {
			scope reckon.Scope
			snap  *reckon.Snapshot
			run   *reckon.Run
			fp    string
			other *reckon.Run // another run of the same fingerprint
		}
		fresh := func(t *testing.T) *rows {
			scope := b.fx.Scope()
			snap := b.importSnapshot(t, scope, at, reckontest.Findings())
			run := b.ensureRun(t, scope, snap, "#a")
			other := b.ensureRun(t, scope, snap, "#b")
			return &rows{scope: scope, snap: snap, run: run, fp: run.Context.Fingerprint, other: other}
		}
		const (
			within = false
			past   = true
		)
		type want struct {
			outcome       reckon.Outcome
			reason        string
			review        int // index into the rows the case wrote; -1 none
			needsDeadline bool
		}
		cases := []struct {
			name  string
			past  bool
			setup func(t *testing.T, r *rows) []*reckon.Review // the candidates, in any order
			// extra rows that must not be considered
			want want
		}{
			{"linked ready", within, func(t *testing.T, r *rows) []*reckon.Review {
				return []*reckon.Review{b.putReview(t, r.scope, r.snap.ID, r.fp, r.run.ID, reckon.ReviewReady)}
			}, want{reckon.OutcomeSucceeded, review.ReasonAvailable, 0, false}},
			{"linked published", within, func(t *testing.T, r *rows) []*reckon.Review {
				return []*reckon.Review{b.putReview(t, r.scope, r.snap.ID, r.fp, r.run.ID, reckon.ReviewPublished)}
			}, want{reckon.OutcomeSucceeded, review.ReasonAvailable, 0, false}},
			{"linked superseded", within, func(t *testing.T, r *rows) []*reckon.Review {
				return []*reckon.Review{b.putReview(t, r.scope, r.snap.ID, r.fp, r.run.ID, reckon.ReviewSuperseded)}
			}, want{reckon.OutcomeSucceeded, review.ReasonAvailableSuperseded, 0, false}},
			{"linked archived", within, func(t *testing.T, r *rows) []*reckon.Review {
				return []*reckon.Review{b.putReview(t, r.scope, r.snap.ID, r.fp, r.run.ID, reckon.ReviewArchived)}
			}, want{reckon.OutcomeSucceeded, review.ReasonAvailableSuperseded, 0, false}},
			{"linked failed", within, func(t *testing.T, r *rows) []*reckon.Review {
				return []*reckon.Review{b.putReview(t, r.scope, r.snap.ID, r.fp, r.run.ID, reckon.ReviewFailed)}
			}, want{reckon.OutcomeFailed, review.ReasonComposeFailed, 0, false}},
			{"linked failed decides before a published review of the fingerprint", within, func(t *testing.T, r *rows) []*reckon.Review {
				pub := b.putReview(t, r.scope, r.snap.ID, r.fp, r.other.ID, reckon.ReviewPublished)
				return []*reckon.Review{b.putReview(t, r.scope, r.snap.ID, r.fp, r.run.ID, reckon.ReviewFailed), pub}
			}, want{reckon.OutcomeFailed, review.ReasonComposeFailed, 0, false}},
			{"linked draft within deadline", within, func(t *testing.T, r *rows) []*reckon.Review {
				return []*reckon.Review{b.putReview(t, r.scope, r.snap.ID, r.fp, r.run.ID, reckon.ReviewDraft)}
			}, want{"", "", 0, false}},
			{"linked draft past deadline", past, func(t *testing.T, r *rows) []*reckon.Review {
				return []*reckon.Review{b.putReview(t, r.scope, r.snap.ID, r.fp, r.run.ID, reckon.ReviewDraft)}
			}, want{reckon.OutcomeFailed, review.ReasonComposeStalled, 0, true}},
			{"none linked, one ready of another run", within, func(t *testing.T, r *rows) []*reckon.Review {
				return []*reckon.Review{b.putReview(t, r.scope, r.snap.ID, r.fp, r.other.ID, reckon.ReviewReady)}
			}, want{reckon.OutcomeSucceeded, review.ReasonAvailable, 0, false}},
			{"none linked, one published without a run, beside history", past, func(t *testing.T, r *rows) []*reckon.Review {
				old := b.putReview(t, r.scope, r.snap.ID, r.fp, 0, reckon.ReviewSuperseded)
				return []*reckon.Review{b.putReview(t, r.scope, r.snap.ID, r.fp, 0, reckon.ReviewPublished), old}
			}, want{reckon.OutcomeSucceeded, review.ReasonAvailable, 0, false}},
			{"none linked, two current", within, func(t *testing.T, r *rows) []*reckon.Review {
				return []*reckon.Review{b.putReview(t, r.scope, r.snap.ID, r.fp, 0, reckon.ReviewPublished),
					b.putReview(t, r.scope, r.snap.ID, r.fp, r.other.ID, reckon.ReviewReady)}
			}, want{reckon.OutcomeBlocked, review.ReasonAmbiguous, -1, false}},
			{"none linked, only history, within deadline", within, func(t *testing.T, r *rows) []*reckon.Review {
				return []*reckon.Review{b.putReview(t, r.scope, r.snap.ID, r.fp, r.other.ID, reckon.ReviewSuperseded),
					b.putReview(t, r.scope, r.snap.ID, r.fp, 0, reckon.ReviewArchived)}
			}, want{"", "", -1, false}},
			{"none linked, only history, past deadline", past, func(t *testing.T, r *rows) []*reckon.Review {
				return []*reckon.Review{b.putReview(t, r.scope, r.snap.ID, r.fp, r.other.ID, reckon.ReviewSuperseded),
					b.putReview(t, r.scope, r.snap.ID, r.fp, r.other.ID, reckon.ReviewDraft)}
			}, want{reckon.OutcomeFailed, review.ReasonSupersededWithoutCurrent, -1, true}},
			{"none linked, a draft of another run, within deadline", within, func(t *testing.T, r *rows) []*reckon.Review {
				return []*reckon.Review{b.putReview(t, r.scope, r.snap.ID, r.fp, r.other.ID, reckon.ReviewDraft)}
			}, want{"", "", -1, false}},
			{"none linked, a failed review of another run, past deadline", past, func(t *testing.T, r *rows) []*reckon.Review {
				return []*reckon.Review{b.putReview(t, r.scope, r.snap.ID, r.fp, r.other.ID, reckon.ReviewFailed)}
			}, want{reckon.OutcomeFailed, review.ReasonNotProduced, -1, true}},
			{"no candidate, within deadline", within, func(t *testing.T, r *rows) []*reckon.Review {
				return nil
			}, want{"", "", -1, false}},
			{"no candidate, past deadline", past, func(t *testing.T, r *rows) []*reckon.Review {
				return nil
			}, want{reckon.OutcomeFailed, review.ReasonNotProduced, -1, true}},
			// Negatives: an equal fingerprint in another scope never proves a run.
			{"equal fingerprint ready in another environment", past, func(t *testing.T, r *rows) []*reckon.Review {
				env := b.fx.Environment(&reckon.Workspace{ID: r.scope.WorkspaceID})
				other := reckon.Scope{WorkspaceID: r.scope.WorkspaceID, EnvironmentID: env.ID}
				snap := b.importSnapshot(t, other, at, reckontest.Findings())
				b.putReview(t, other, snap.ID, r.fp, 0, reckon.ReviewPublished)
				b.putReview(t, other, snap.ID, r.fp, 0, reckon.ReviewReady)
				return nil
			}, want{reckon.OutcomeFailed, review.ReasonNotProduced, -1, true}},
			{"equal fingerprint ready in another workspace", within, func(t *testing.T, r *rows) []*reckon.Review {
				other := b.fx.Scope()
				snap := b.importSnapshot(t, other, at, reckontest.Findings())
				b.putReview(t, other, snap.ID, r.fp, 0, reckon.ReviewReady)
				return nil
			}, want{"", "", -1, false}},
			{"a review of another fingerprint in the same environment", within, func(t *testing.T, r *rows) []*reckon.Review {
				b.putReview(t, r.scope, r.snap.ID, "sha256:other", r.other.ID, reckon.ReviewReady)
				return nil
			}, want{"", "", -1, false}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := fresh(t)
				cands := tc.setup(t, r)
				now := r.run.CreatedAt
				if tc.past {
					now = r.run.DeadlineAt.Add(time.Second)
				}
				var d reckon.Decision
				var adapted reckon.Decision
				if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
					if d, err = review.Resolve(ctx, tx, r.run, now); err != nil {
						return err
					}
					adapted, err = review.Adapter{}.Reconcile(ctx, tx, r.run, now)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				if d.Outcome != tc.want.outcome || d.ReasonCode != tc.want.reason || d.NeedsDeadline != tc.want.needsDeadline {
					t.Fatalf("decision %q %q needsDeadline=%v, want %q %q %v",
						d.Outcome, d.ReasonCode, d.NeedsDeadline, tc.want.outcome, tc.want.reason, tc.want.needsDeadline)
				}
				ev := d.Evidence
				if ev.WorkspaceID != r.scope.WorkspaceID || ev.EnvironmentID != r.scope.EnvironmentID || ev.Fingerprint != r.fp {
					t.Errorf("evidence scope %+v", ev)
				}
				wantIDs := []int64{}
				for _, c := range cands {
					wantIDs = append(wantIDs, c.ID)
				}
				slices.Sort(wantIDs)
				if !slices.Equal(ev.ConsideredReviewIDs, wantIDs) {
					t.Errorf("considered %v, want %v", ev.ConsideredReviewIDs, wantIDs)
				}
				if tc.want.review >= 0 {
					if ev.ReviewID != cands[tc.want.review].ID || ev.ReviewStatus != cands[tc.want.review].Status {
						t.Errorf("evidence names review %d %s, want %d", ev.ReviewID, ev.ReviewStatus, cands[tc.want.review].ID)
					}
				} else if ev.ReviewID != 0 {
					t.Errorf("evidence names review %d, want none", ev.ReviewID)
				}
				if tc.want.needsDeadline != (ev.DeadlineAt != nil) {
					t.Errorf("deadline in evidence: %v", ev.DeadlineAt)
				}
				if adapted.Outcome != d.Outcome || adapted.ReasonCode != d.ReasonCode ||
					!slices.Equal(adapted.Evidence.ConsideredReviewIDs, ev.ConsideredReviewIDs) {
					t.Errorf("the adapter decided %+v, the resolver %+v", adapted, d)
				}
			})
		}
		cat := catalog.Default()
		review.Register(cat, nil, nil, nil)
		if a := cat.MustLookup(reckon.RunTypeReviewCompose).Adapter; a != (review.Adapter{}) || a.Name() != "environment.review.compose" {
			t.Errorf("compose runs are reconciled by %#v", a)
		}
	})
}
