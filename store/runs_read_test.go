package store_test

import (
	"context"
	"fmt"
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
// tenant's rows. A page of a rare type walks that type's runs only, and the
// list's type choices are index probes.
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
				typ   reckon.RunType
			}{{large, 60, reckontest.ServiceType}, {small, 2_000, reckon.RunTypeReviewCompose}, {large, 20_000, reckon.RunTypeReviewCompose}} {
				if err := tx.InsertRunBatch(ctx, &store.RunBatch{Scope: b.scope, Type: b.typ,
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
				{"type page", store.RunFilter{WorkspaceID: large.WorkspaceID, Type: reckontest.ServiceType, Limit: 51},
					"operation_runs_workspace_type_newest"},
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
				if err != nil || len(runs) != 51 || runs[0].WorkspaceID != c.f.WorkspaceID || c.f.Type != "" && runs[50].Type != c.f.Type {
					t.Errorf("%s: %d runs, %v", c.name, len(runs), err)
				}
			}
			for _, scope := range []store.RunFilter{{WorkspaceID: large.WorkspaceID}, {AllWorkspaces: true}} {
				plan, err := tx.ExplainRunTypes(ctx, &scope)
				if err != nil {
					return err
				}
				for _, bad := range []string{"Seq Scan on operation_runs", "SCAN r"} {
					if strings.Contains(plan, bad) {
						t.Errorf("run types of %+v: plan has %q:\n%s", scope, bad, plan)
					}
				}
				if !strings.Contains(plan, "operation_runs_workspace_type_newest") {
					t.Errorf("run types of %+v: plan does not probe the type index:\n%s", scope, plan)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// A list's type choices are the types of the runs the caller may see: the
// workspace's, every workspace's for platform support, and a member's
// entitled environments' only.
func TestRunTypesAreThoseOfTheRunsInScope(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		fx := reckontest.NewFixture(t, db)
		a1 := fx.Scope()
		a2 := reckon.Scope{WorkspaceID: a1.WorkspaceID, EnvironmentID: fx.Environment(&reckon.Workspace{ID: a1.WorkspaceID}).ID}
		b, empty := fx.Scope(), fx.Workspace()
		reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
			for i, r := range []struct {
				scope reckon.Scope
				typ   reckon.RunType
			}{{a1, reckon.RunTypeRestoreExecute}, {a1, reckon.RunTypeReviewCompose}, {a2, reckontest.ServiceType},
				{a2, reckon.RunTypeReviewCompose}, {reckon.Scope{WorkspaceID: a1.WorkspaceID}, "fleet.sync"}, {b, "other.kind"}} {
				if err := tx.InsertRunBatch(ctx, &store.RunBatch{Scope: r.scope, Type: r.typ, Status: reckon.RunQueued, Count: 2,
					KeyPrefix: fmt.Sprint("types-", i, "-"), CreatedAt: tx.Now(), DeadlineAt: tx.Now()}); err != nil {
					return err
				}
			}
			return nil
		})
		for _, c := range []struct {
			name  string
			scope store.RunFilter
			want  string
		}{
			{"workspace", store.RunFilter{WorkspaceID: a1.WorkspaceID}, "environment.review.compose fleet.sync inventory.sync restore.execute"},
			{"every workspace", store.RunFilter{AllWorkspaces: true},
				"environment.review.compose fleet.sync inventory.sync other.kind restore.execute"},
			{"one environment", store.RunFilter{WorkspaceID: a1.WorkspaceID, Restricted: true, Environments: []int64{a2.EnvironmentID}},
				"environment.review.compose inventory.sync"},
			{"no environment", store.RunFilter{WorkspaceID: a1.WorkspaceID, Restricted: true}, ""},
			{"no runs", store.RunFilter{WorkspaceID: empty.ID}, ""},
			{"another tenant", store.RunFilter{WorkspaceID: b.WorkspaceID}, "other.kind"},
		} {
			var got []reckon.RunType
			reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
				got, err = tx.RunTypes(ctx, &c.scope)
				return err
			})
			if s := fmt.Sprint(got); s != "["+c.want+"]" {
				t.Errorf("%s: types %s, want [%s]", c.name, s, c.want)
			}
		}
	})
}
