package review_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// A bulk compose makes each environment's decision as a single compose
// would — queued, already running, up to date, no evidence — creates the
// new runs together, and a second one multiplies nothing.
func TestComposeManyDecidesAsComposeDoes(t *testing.T) {
	t.Parallel()
	reckontest.EachEngineAt(t, reckontest.EpochClock().Now, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := setup(t, db, nil)
		ws := b.fx.Workspace()
		scopeOf := func(e *reckon.Environment) reckon.Scope { return reckon.Scope{WorkspaceID: ws.ID, EnvironmentID: e.ID} }
		fresh, stale, running, empty, other := b.fx.Environment(ws), b.fx.Environment(ws), b.fx.Environment(ws), b.fx.Environment(ws), b.fx.Environment(ws)
		at := reckontest.Epoch().Add(-48 * time.Hour)
		for _, e := range []*reckon.Environment{fresh, stale, running, other} {
			b.importSnapshot(t, scopeOf(e), at, reckontest.Findings())
		}
		// fresh and stale have ready reviews; stale then gets newer evidence.
		for _, e := range []*reckon.Environment{fresh, stale} {
			res := b.compose(t, scopeOf(e))
			if err := deliver(b.worker, res.Run.ID, 1); err != nil {
				t.Fatal(err)
			}
		}
		b.importSnapshot(t, scopeOf(stale), at.Add(time.Hour), reckontest.Findings()[:3])
		// running has a compose run in flight.
		inFlight := b.compose(t, scopeOf(running))

		results := func(sel *review.Selection) map[int64]*review.EnvironmentResult {
			t.Helper()
			list, err := b.svc.ComposeMany(ctx, sel, 0)
			if err != nil {
				t.Fatalf("compose many: %v", err)
			}
			out := map[int64]*review.EnvironmentResult{}
			for _, r := range list {
				out[r.EnvironmentID] = r
			}
			if len(out) != len(list) {
				t.Fatalf("an environment answered twice: %+v", list)
			}
			return out
		}
		scope := store.FleetScope{WorkspaceID: ws.ID}

		// Only the stale environment is stale.
		got := results(&review.Selection{Scope: scope, Stale: true})
		if len(got) != 1 || got[stale.ID] == nil || got[stale.ID].Result != review.ResultQueued || got[stale.ID].Run == nil {
			t.Fatalf("stale: %+v", got)
		}
		queued := got[stale.ID].Run

		// Everything: each environment's own answer.
		before := len(b.runsOf(t, scopeOf(fresh))) + len(b.runsOf(t, scopeOf(stale))) + len(b.runsOf(t, scopeOf(running)))
		got = results(&review.Selection{Scope: scope, All: true})
		want := map[int64]review.Result{fresh.ID: review.ResultUpToDate, stale.ID: review.ResultAlreadyRunning,
			running.ID: review.ResultAlreadyRunning, empty.ID: review.ResultNoEvidence, other.ID: review.ResultQueued}
		for id, result := range want {
			if got[id] == nil || got[id].Result != result {
				t.Errorf("environment %d: %+v, want %s", id, got[id], result)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%d results for %d environments", len(got), len(want))
		}
		if got[stale.ID].Run.ID != queued.ID || got[running.ID].Run.ID != inFlight.Run.ID || got[fresh.ID].Review == nil {
			t.Errorf("links: %+v %+v %+v", got[stale.ID], got[running.ID], got[fresh.ID])
		}
		if after := len(b.runsOf(t, scopeOf(fresh))) + len(b.runsOf(t, scopeOf(stale))) + len(b.runsOf(t, scopeOf(running))); after != before {
			t.Errorf("runs went from %d to %d", before, after)
		}
		if got[empty.ID].Message().Key != "review.result.no_evidence" {
			t.Errorf("no evidence message %q", got[empty.ID].Message().Key)
		}

		// Listed ids: each once, in the order listed; one outside the scope
		// refuses the whole request and composes nothing.
		got = results(&review.Selection{Scope: scope, IDs: []int64{other.ID, fresh.ID, other.ID}})
		if len(got) != 2 || got[other.ID].Result != review.ResultAlreadyRunning || got[fresh.ID].Result != review.ResultUpToDate {
			t.Errorf("listed: %+v", got)
		}
		foreign := b.fx.Scope()
		b.importSnapshot(t, foreign, at, reckontest.Findings())
		for _, sel := range []*review.Selection{
			{Scope: scope, IDs: []int64{empty.ID, foreign.EnvironmentID}},
			{Scope: store.FleetScope{WorkspaceID: ws.ID, Restricted: true, Environments: []int64{fresh.ID}}, IDs: []int64{stale.ID}},
		} {
			_, err := b.svc.ComposeMany(ctx, sel, 0)
			if codedErr(t, err).Code != reckon.CodeNotFound {
				t.Errorf("%v: %v", sel.IDs, err)
			}
		}
		if len(b.runsOf(t, foreign)) != 0 {
			t.Error("a refused bulk compose created a run")
		}
		// A restricted scope composes only what it sees.
		got = results(&review.Selection{Scope: store.FleetScope{WorkspaceID: ws.ID, Restricted: true, Environments: []int64{fresh.ID}}, All: true})
		if len(got) != 1 || got[fresh.ID] == nil {
			t.Errorf("restricted: %+v", got)
		}
	})
}

// Concurrent bulk composes of one workspace, and a single compose beside
// them, all succeed and create one run per environment.
func TestComposeManyConcurrently(t *testing.T) {
	t.Parallel()
	reckontest.EachEngineAt(t, reckontest.EpochClock().Now, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := setup(t, db, nil)
		ws := b.fx.Workspace()
		var envs []*reckon.Environment
		for range 6 {
			e := b.fx.Environment(ws)
			envs = append(envs, e)
			b.importSnapshot(t, reckon.Scope{WorkspaceID: ws.ID, EnvironmentID: e.ID}, reckontest.Epoch().Add(-time.Hour), reckontest.Findings())
		}
		var wg sync.WaitGroup
		errs := make(chan error, 9)
		for i := range 8 {
			wg.Go(func() {
				sel := &review.Selection{Scope: store.FleetScope{WorkspaceID: ws.ID}, All: true}
				if i%2 == 1 {
					sel = &review.Selection{Scope: sel.Scope, IDs: []int64{envs[5].ID, envs[0].ID, envs[3].ID}}
				}
				_, err := b.svc.ComposeMany(ctx, sel, 0)
				errs <- err
			})
		}
		wg.Go(func() {
			_, err := b.svc.Compose(ctx, reckon.Scope{WorkspaceID: ws.ID, EnvironmentID: envs[3].ID}, 0)
			errs <- err
		})
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, e := range envs {
			if runs := b.runsOf(t, reckon.Scope{WorkspaceID: ws.ID, EnvironmentID: e.ID}); len(runs) != 1 {
				t.Errorf("environment %d has %d runs", e.ID, len(runs))
			}
		}
	})
}
