package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// A page of runs walks the newest-first index on both engines, first page
// and deep page alike: no sort and no full scan, so its cost does not grow
// with the history. The small workspace's runs are older than a large
// workspace's, where walking the primary key would wade through the other
// tenant's rows.
func TestListRunsPlanWalksTheNewestIndex(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := reckontest.NewFixture(t, db)
		small, large := fx.Scope(), fx.Scope()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for _, b := range []struct {
				scope reckon.Scope
				n     int
			}{{small, 2_000}, {large, 20_000}} {
				if err := tx.InsertRunBatch(ctx, &store.RunBatch{Scope: b.scope, Type: reckon.RunTypeReviewCompose,
					Status: reckon.RunCompleted, Outcome: reckon.OutcomeSucceeded, Count: b.n, KeyPrefix: "plan-",
					CreatedAt: tx.Now(), DeadlineAt: tx.Now()}); err != nil {
					return err
				}
			}
			return tx.AnalyzeRuns(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			newest, err := tx.ListRuns(ctx, &store.RunFilter{WorkspaceID: small.WorkspaceID, Limit: 1})
			if err != nil {
				return err
			}
			for _, c := range []struct {
				name  string
				f     store.RunFilter
				index string
			}{
				{"first page", store.RunFilter{WorkspaceID: small.WorkspaceID, Limit: 51}, "operation_runs_workspace_newest"},
				// Deep in the small workspace's history the planner may as well
				// walk the primary key down from the cursor: the rows below it
				// are all the workspace's. Either way, an index walk.
				{"deep page", store.RunFilter{WorkspaceID: small.WorkspaceID, Limit: 51, BeforeID: newest[0].ID - 1000}, ""},
				{"environment page", store.RunFilter{WorkspaceID: small.WorkspaceID, EnvironmentID: small.EnvironmentID, Limit: 51,
					BeforeID: newest[0].ID - 1000}, ""},
			} {
				plan, err := tx.ExplainListRuns(ctx, &c.f)
				if err != nil {
					return err
				}
				for _, bad := range []string{"Seq Scan", "Sort", "TEMP B-TREE", "SCAN operation_runs"} {
					if strings.Contains(plan, bad) {
						t.Errorf("%s: plan has %q:\n%s", c.name, bad, plan)
					}
				}
				if !strings.Contains(plan, c.index) || !strings.Contains(strings.ToLower(plan), "index") {
					t.Errorf("%s: plan does not use %s:\n%s", c.name, c.index, plan)
				}
				runs, err := tx.ListRuns(ctx, &c.f)
				if err != nil || len(runs) != 51 || runs[0].WorkspaceID != small.WorkspaceID {
					t.Errorf("%s: %d runs, %v", c.name, len(runs), err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
