package store_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// The fleet's statements walk indexes on both engines: placing every
// environment reads the environments' rows alone, every per-environment
// value of a page is an index search, the attention counts read the
// attention index and an index of active runs, never a scan of a table
// that grows with the history. A larger workspace beside the small one
// gives the planner every reason to prefer the indexes.
func TestFleetPlansWalkIndexes(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		fx := reckontest.NewFixture(t, db)
		small, large := fx.Workspace(), fx.Workspace()
		fleet := reckontest.FillFleet(t, db, small, reckontest.FleetOptions{Environments: 30, Reviews: 3, RunsPerEnvironment: 40})
		reckontest.FillFleet(t, db, large, reckontest.FleetOptions{Environments: 200, Reviews: 4, RunsPerEnvironment: 100})
		var pageOf []int64
		for _, e := range fleet.Environments[:10] {
			pageOf = append(pageOf, e.ID)
		}
		scopes := map[string]store.FleetScope{
			"workspace":  {WorkspaceID: small.ID},
			"restricted": {WorkspaceID: small.ID, Restricted: true, Environments: pageOf[:3]},
		}
		reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
			for name, scope := range scopes {
				plans, err := tx.ExplainFleet(ctx, scope, tx.Now(), pageOf)
				if err != nil {
					return err
				}
				for stmt, plan := range plans {
					for _, bad := range []*regexp.Regexp{
						regexp.MustCompile(`Seq Scan on (operation_runs|evidence_snapshots|environment_reviews)`),
						// SQLite: a SCAN of a history table, whether of the
						// table or all of an index, walks every row.
						regexp.MustCompile(`SCAN (o|n|r|s|v)\b`),
					} {
						if m := bad.FindString(plan); m != "" {
							t.Errorf("%s/%s: plan has %q:\n%s", name, stmt, m, plan)
						}
					}
				}
				if m := regexp.MustCompile(`operation_runs|evidence_snapshots|environment_reviews`).FindString(plans["places"]); m != "" {
					t.Errorf("%s: placing the environments reads %s:\n%s", name, m, plans["places"])
				}
				if !strings.Contains(plans["attention"], "operation_runs_attention") {
					t.Errorf("%s: the attention counts do not read their index:\n%s", name, plans["attention"])
				}
				// Either partial index of active runs serves; both are as
				// small as the active runs are few.
				if !strings.Contains(plans["attention"], "operation_runs_active_identity_unique") &&
					!strings.Contains(plans["attention"], "operation_runs_active_deadline") {
					t.Errorf("%s: runs past their deadline are not read through the active index:\n%s", name, plans["attention"])
				}
				for _, c := range []struct {
					stmt    string
					indexes []string // any of them
				}{
					{"environments", []string{"environment_reviews_headline", "environment_reviews_pkey"}},
					{"last runs", []string{"operation_runs_environment_newest"}},
					{"trends", []string{"environment_reviews_headline", "environment_reviews_environment_newest"}},
				} {
					if !slices.ContainsFunc(c.indexes, func(ix string) bool { return strings.Contains(plans[c.stmt], ix) }) {
						t.Errorf("%s/%s reads none of %v:\n%s", name, c.stmt, c.indexes, plans[c.stmt])
					}
				}
			}
			return nil
		})
	})
}

// The fleet's reads agree with the one-environment reads the dashboard
// makes (LatestSnapshot, LatestReview, RunAttentionOf, the newest run), and
// take the same number of statements for 10 environments as for 40.
func TestFleetAgreesWithTheDashboardReads(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		fx := reckontest.NewFixture(t, db)
		ws := fx.Workspace()
		fleet := reckontest.FillFleet(t, db, ws, reckontest.FleetOptions{Environments: 10, Reviews: 2, RunsPerEnvironment: 3})
		// A run past its deadline, and one acknowledged failure.
		first := fleet.Environments[0]
		reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
			return tx.InsertRunBatch(ctx, &store.RunBatch{Scope: reckon.Scope{WorkspaceID: ws.ID, EnvironmentID: first.ID},
				Type: reckon.RunTypeRestoreExecute, Status: reckon.RunRunning, Count: 1, KeyPrefix: "late-",
				CreatedAt: tx.Now().Add(-time.Hour), DeadlineAt: tx.Now().Add(-time.Minute)})
		})
		count := func() (int64, []*store.FleetEnvironment, map[int64]store.RunAttention) {
			var (
				envs      []*store.FleetEnvironment
				attention map[int64]store.RunAttention
			)
			before := db.Statements()
			reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
				if envs, err = tx.FleetEnvironments(ctx, store.FleetScope{WorkspaceID: ws.ID}, nil); err != nil {
					return err
				}
				attention, err = tx.FleetAttention(ctx, store.FleetScope{WorkspaceID: ws.ID}, tx.Now())
				return err
			})
			return db.Statements().Sub(before).Statements, envs, attention
		}
		small, envs, attention := count()
		if len(envs) != 10 {
			t.Fatalf("%d environments", len(envs))
		}
		reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
			ids := make([]int64, len(envs))
			for i, f := range envs {
				ids[i] = f.Environment.ID
			}
			last, err := tx.LastRuns(ctx, ws.ID, ids)
			if err != nil {
				return err
			}
			for _, f := range envs {
				scope := reckon.Scope{WorkspaceID: ws.ID, EnvironmentID: f.Environment.ID}
				snap, err := tx.LatestSnapshot(ctx, scope)
				if err != nil || f.Evidence == nil || f.Evidence.ID != snap.ID || !f.Evidence.CapturedAt.Equal(snap.CapturedAt) {
					t.Errorf("%s: evidence %+v, latest %+v %v", f.Environment.Slug, f.Evidence, snap, err)
				}
				v, err := tx.LatestReview(ctx, scope)
				switch {
				case store.IsNotFound(err):
					if f.Review != nil || !fleet.Unreviewed[f.Environment.ID] {
						t.Errorf("%s: review %+v without a latest review", f.Environment.Slug, f.Review)
					}
				case err != nil:
					return err
				case f.Review == nil || f.Review.ID != v.ID || f.Review.Status != v.Status || f.Review.Score == nil || f.Review.Failing == nil || *f.Review.Failing != 1:
					t.Errorf("%s: review %+v, latest %d", f.Environment.Slug, f.Review, v.ID)
				}
				if f.Stale() != fleet.Stale[f.Environment.ID] {
					t.Errorf("%s: stale %v", f.Environment.Slug, f.Stale())
				}
				if f.Review != nil {
					stale, err := tx.StaleReviews(ctx, ws.ID, []int64{f.Review.ID})
					if err != nil || stale[f.Review.ID] != f.Stale() {
						t.Errorf("%s: StaleReviews says %v", f.Environment.Slug, stale)
					}
				}
				a, err := tx.RunAttentionOf(ctx, scope, tx.Now())
				if err != nil || a != attention[f.Environment.ID] {
					t.Errorf("%s: attention %+v, the dashboard's %+v %v", f.Environment.Slug, attention[f.Environment.ID], a, err)
				}
				runs, err := tx.ListRuns(ctx, &store.RunFilter{WorkspaceID: ws.ID, EnvironmentID: f.Environment.ID, Limit: 1})
				if err != nil || len(runs) != 1 || last[f.Environment.ID] == nil || runs[0].ID != last[f.Environment.ID].ID {
					t.Errorf("%s: last run %+v, newest %v %v", f.Environment.Slug, last[f.Environment.ID], runs, err)
				}
			}
			return nil
		})
		if a := attention[first.ID]; a.PastDeadline != 1 {
			t.Errorf("past deadline: %+v", a)
		}
		reckontest.FillFleet(t, db, ws, reckontest.FleetOptions{Environments: 30, Reviews: 2, RunsPerEnvironment: 3})
		large, envs, _ := count()
		if len(envs) != 40 || large != small {
			t.Errorf("%d environments in %d statements; 10 took %d", len(envs), large, small)
		}
		// A restricted scope sees only its environments; an empty one
		// nothing.
		reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
			got, err := tx.FleetEnvironments(ctx, store.FleetScope{WorkspaceID: ws.ID, Restricted: true, Environments: []int64{first.ID}}, nil)
			if err != nil || len(got) != 1 || got[0].Environment.ID != first.ID {
				t.Errorf("restricted: %v %v", got, err)
			}
			a, err := tx.FleetAttention(ctx, store.FleetScope{WorkspaceID: ws.ID, Restricted: true, Environments: []int64{fleet.Environments[1].ID}}, tx.Now())
			if err != nil || len(a) != 0 {
				t.Errorf("restricted attention: %v %v", a, err)
			}
			got, err = tx.FleetEnvironments(ctx, store.FleetScope{WorkspaceID: ws.ID, Restricted: true}, nil)
			if err != nil || len(got) != 0 {
				t.Errorf("no entitlement: %v %v", got, err)
			}
			trends, err := tx.ScoreTrends(ctx, ws.ID, []int64{first.ID, fleet.Environments[6].ID}, 1)
			if err != nil || len(trends[first.ID]) != 1 || len(trends[fleet.Environments[6].ID]) != 0 {
				t.Errorf("trends: %v %v", trends, err)
			}
			return nil
		})
	})
}

// The migration that keeps a review's score and failing count beside its
// content fills them for the reviews composed before it, and the one that
// keeps the fleet's headline on the environment's row fills that;
// UpdateReview keeps them from then on.
func TestReviewHeadlineBackfill(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, reckontest.URL(t, engine), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(db.Close)
			if _, err := db.MigrateTo(ctx, 6); err != nil { // the schema before the review's score columns
				t.Fatal(err)
			}
			var ws *reckon.Workspace
			var scope reckon.Scope
			var composed, draft *reckon.Review
			reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
				if ws, err = tx.CreateWorkspace(ctx, "backfill", "Backfill"); err != nil {
					return err
				}
				env, err := tx.CreateEnvironment(ctx, ws.ID, "env", "Env", "")
				if err != nil {
					return err
				}
				scope = reckon.Scope{WorkspaceID: ws.ID, EnvironmentID: env.ID}
				snap, err := tx.InsertSnapshot(ctx, &store.SnapshotInsert{Scope: scope, CapturedAt: tx.Now(), ContentHash: "sha256:x",
					Findings: []reckon.Finding{{ControlID: "C", Title: "t", Severity: reckon.SeverityHigh, Status: reckon.FindingFail}},
					Source:   reckon.SnapshotSource{Format: reckon.SnapshotFormatNative}})
				if err != nil {
					return err
				}
				for i, v := range []**reckon.Review{&draft, &composed} { // the composed one is the latest
					if *v, err = tx.InsertDraftReview(ctx, &store.DraftReviewInsert{Scope: scope, EvidenceSnapshotID: snap.ID,
						Fingerprint: "sha256:" + string(rune('a'+i))}); err != nil {
						return err
					}
				}
				_, err = tx.Exec(ctx, `UPDATE environment_reviews SET status = 'ready', content = $1 WHERE id = $2`,
					`{"score": 71, "controls": 4, "failing": [{"control_id": "A"}, {"control_id": "B"}, {"control_id": "C"}]}`, composed.ID)
				return err
			})
			if applied, err := db.Migrate(ctx); err != nil || applied != store.SchemaVersion()-6 {
				t.Fatalf("migrate: %d %v", applied, err)
			}
			reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
				checkHeadline(t, ctx, tx, scope) // migration 8 fills the environment's row
				glances, err := tx.ReviewGlances(ctx, ws.ID, []int64{composed.ID, draft.ID})
				if err != nil {
					return err
				}
				if g, ok := glances[composed.ID]; !ok || g.Score == nil || *g.Score != 71 || g.Failing != 3 || len(glances) != 1 {
					t.Errorf("backfilled: %+v", glances)
				}
				// Rewritten content rewrites them.
				v, err := tx.Review(ctx, ws.ID, composed.ID)
				if err != nil {
					return err
				}
				v.Content = []byte(`{"score": null, "failing": []}`)
				if err := tx.UpdateReview(ctx, v); err != nil {
					return err
				}
				glances, err = tx.ReviewGlances(ctx, ws.ID, []int64{composed.ID})
				if g := glances[composed.ID]; err != nil || g.Score != nil || g.Failing != 0 {
					t.Errorf("updated: %+v %v", glances, err)
				}
				return err
			})
		})
	}
}

// checkHeadline compares what an environment's row keeps for the fleet
// with what the one-environment reads find: the newest snapshot, the
// latest review with its score and failing count, and whether that review
// is stale.
func checkHeadline(t *testing.T, ctx context.Context, tx *store.Tx, scope reckon.Scope) {
	t.Helper()
	fs := store.FleetScope{WorkspaceID: scope.WorkspaceID, Restricted: true, Environments: []int64{scope.EnvironmentID}}
	places, err := tx.FleetPlaces(ctx, fs, true)
	if err != nil || len(places) != 1 {
		t.Fatalf("places: %v %v", places, err)
	}
	envs, err := tx.FleetEnvironments(ctx, fs, []int64{scope.EnvironmentID})
	if err != nil || len(envs) != 1 {
		t.Fatalf("environments: %v %v", envs, err)
	}
	p, e := places[0], envs[0]
	snap, err := tx.LatestSnapshot(ctx, scope)
	switch {
	case store.IsNotFound(err):
		if e.Evidence != nil || p.CapturedAt != nil {
			t.Errorf("evidence %+v (captured %v) without a snapshot", e.Evidence, p.CapturedAt)
		}
	case err != nil:
		t.Fatal(err)
	case e.Evidence == nil || e.Evidence.ID != snap.ID || !e.Evidence.CapturedAt.Equal(snap.CapturedAt) ||
		p.CapturedAt == nil || !p.CapturedAt.Equal(snap.CapturedAt):
		t.Errorf("evidence %+v (captured %v), newest snapshot %d of %s", e.Evidence, p.CapturedAt, snap.ID, snap.CapturedAt)
	}
	v, err := tx.LatestReview(ctx, scope)
	switch {
	case store.IsNotFound(err):
		if e.Review != nil || p.Reviewed || p.Stale {
			t.Errorf("review %+v, place %+v without a review", e.Review, p)
		}
	case err != nil:
		t.Fatal(err)
	default:
		score, failing := headlineOf(t, v.Content)
		if e.Review == nil || e.Review.ID != v.ID || e.Review.EvidenceSnapshotID != v.EvidenceSnapshotID ||
			!equalInt(e.Review.Score, score) || !equalInt(e.Review.Failing, failing) {
			t.Errorf("review %+v, latest %d of snapshot %d (score %v, failing %v)", e.Review, v.ID, v.EvidenceSnapshotID, score, failing)
		}
		stale := snap != nil && snap.ID != v.EvidenceSnapshotID
		if !p.Reviewed || p.Stale != stale || e.Stale() != stale || !equalInt(p.Score, score) || !equalInt(p.Failing, failing) {
			t.Errorf("place %+v (stale %v), latest review %d of snapshot %d (score %v, failing %v)", p, e.Stale(), v.ID, v.EvidenceSnapshotID, score, failing)
		}
	}
}

func headlineOf(t *testing.T, content []byte) (score, failing *int) {
	t.Helper()
	if len(content) == 0 {
		return nil, nil
	}
	var h struct {
		Score   *int              `json:"score"`
		Failing []json.RawMessage `json:"failing"`
	}
	if err := json.Unmarshal(content, &h); err != nil {
		t.Fatal(err)
	}
	n := len(h.Failing)
	return h.Score, &n
}

func equalInt(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// An environment's row keeps the fleet's headline through every kind of
// write: snapshots imported out of capture order, two captured at the same
// time, reviews inserted, composed, rewritten and superseded, an older
// review changed after a newer one exists.
func TestFleetHeadlineFollowsWrites(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		fx := reckontest.NewFixture(t, db)
		scope := fx.Scope()
		at := reckontest.Epoch().Add(-48 * time.Hour)
		var snaps []*reckon.Snapshot
		var reviews []*reckon.Review
		snapshot := func(hours int) func(ctx context.Context, tx *store.Tx) error {
			return func(ctx context.Context, tx *store.Tx) error {
				s, err := tx.InsertSnapshot(ctx, &store.SnapshotInsert{Scope: scope, CapturedAt: at.Add(time.Duration(hours) * time.Hour),
					ContentHash: "sha256:" + strconv.Itoa(len(snaps)), Findings: reckontest.Findings(),
					Source: reckon.SnapshotSource{Format: reckon.SnapshotFormatNative}})
				snaps = append(snaps, s)
				return err
			}
		}
		draft := func(snap int) func(ctx context.Context, tx *store.Tx) error {
			return func(ctx context.Context, tx *store.Tx) error {
				v, err := tx.InsertDraftReview(ctx, &store.DraftReviewInsert{Scope: scope, EvidenceSnapshotID: snaps[snap].ID,
					Fingerprint: "sha256:review-" + strconv.Itoa(len(reviews))})
				reviews = append(reviews, v)
				return err
			}
		}
		compose := func(review int, content string, status reckon.ReviewStatus) func(ctx context.Context, tx *store.Tx) error {
			return func(ctx context.Context, tx *store.Tx) error {
				v := reviews[review]
				v.Status, v.Content = status, json.RawMessage(content)
				if content == "" {
					v.Content = nil
				}
				return tx.UpdateReview(ctx, v)
			}
		}
		for i, step := range []struct {
			name  string
			write func(ctx context.Context, tx *store.Tx) error
		}{
			{"nothing yet", func(context.Context, *store.Tx) error { return nil }},
			{"a snapshot", snapshot(10)},
			{"an older snapshot imported later", snapshot(5)},
			{"a draft of the newest", draft(0)},
			{"composed", compose(0, `{"score": 80, "failing": [{"control_id": "A"}]}`, reckon.ReviewReady)},
			{"a newer snapshot: stale", snapshot(20)},
			{"one captured at the same time, imported later", snapshot(20)},
			{"a draft of the older of the two", draft(2)},
			{"the earlier review rewritten", compose(0, `{"score": 10, "failing": []}`, reckon.ReviewSuperseded)},
			{"the latest composed", compose(1, `{"score": 55, "failing": [{"control_id": "A"}, {"control_id": "B"}]}`, reckon.ReviewReady)},
			{"its score gone", compose(1, `{"score": null, "failing": []}`, reckon.ReviewReady)},
			{"a draft of the newest", draft(3)},
			{"failed without content", compose(2, "", reckon.ReviewFailed)},
		} {
			reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
				if err := step.write(ctx, tx); err != nil {
					t.Fatalf("%d %s: %v", i, step.name, err)
				}
				checkHeadline(t, ctx, tx, scope)
				return nil
			})
			if t.Failed() {
				t.Fatalf("after %d: %s", i, step.name)
			}
		}
	})
}

// Concurrent imports and composes of one environment leave its row naming
// the newest snapshot and the latest review, whatever order they commit
// in: each trigger's update moves forward only, re-checked after waiting
// for the row.
func TestFleetHeadlineUnderConcurrentWrites(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		fx := reckontest.NewFixture(t, db)
		scope := fx.Scope()
		at := reckontest.Epoch().Add(-48 * time.Hour)
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 40 {
			wg.Go(func() {
				errs <- db.InTx(ctx, func(tx *store.Tx) error {
					// Capture times run against the order of ids, and
					// several share one.
					s, err := tx.InsertSnapshot(ctx, &store.SnapshotInsert{Scope: scope, CapturedAt: at.Add(time.Duration((40-i)/3) * time.Minute),
						ContentHash: "sha256:c" + strconv.Itoa(i), Findings: reckontest.Findings(),
						Source: reckon.SnapshotSource{Format: reckon.SnapshotFormatNative}})
					if err != nil {
						return err
					}
					v, err := tx.InsertDraftReview(ctx, &store.DraftReviewInsert{Scope: scope, EvidenceSnapshotID: s.ID,
						Fingerprint: "sha256:c" + strconv.Itoa(i)})
					if err != nil {
						return err
					}
					v.Status, v.Content = reckon.ReviewReady, json.RawMessage(`{"score": `+strconv.Itoa(i)+`, "failing": []}`)
					return tx.UpdateReview(ctx, v)
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
			checkHeadline(t, ctx, tx, scope)
			return nil
		})
	})
}
