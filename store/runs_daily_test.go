package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// midnights returns n+1 midnights in loc from the day of from on: the
// boundaries of n days of that calendar.
func midnights(from time.Time, loc *time.Location, n int) []time.Time {
	y, m, d := from.In(loc).Date()
	out := make([]time.Time, n+1)
	for i := range out {
		out[i] = time.Date(y, m, d+i, 0, 0, 0, 0, loc)
	}
	return out
}

// Runs are counted on the day of the reader's calendar they were created,
// a 25-hour day at the end of daylight saving time included, by outcome,
// with the list's filter and nothing of another workspace.
func TestRunsPerDayCountsByTheReadersDays(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := reckontest.NewFixture(t, db)
		scope, other := fx.Scope(), fx.Scope()
		// Saturday 24 October to Tuesday 27 October 2026 in Berlin; clocks go
		// back on Sunday 25 October at 03:00 CEST, so that day lasts 25 hours.
		days := midnights(time.Date(2026, 10, 24, 12, 0, 0, 0, berlin), berlin, 4)
		if days[2].Sub(days[1]) != 25*time.Hour {
			t.Fatalf("the test's Sunday lasts %s", days[2].Sub(days[1]))
		}
		at := func(day, hour, minute int) time.Time {
			return days[day].Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
		}
		batches := []struct {
			scope   reckon.Scope
			outcome reckon.Outcome
			n       int
			at      time.Time
		}{
			{scope, reckon.OutcomeSucceeded, 3, at(0, 0, 0)},   // the window's first instant
			{scope, reckon.OutcomeFailed, 1, at(0, 23, 59)},    // Saturday 23:59 CEST is Saturday 21:59 UTC
			{scope, reckon.OutcomeSucceeded, 2, at(1, 24, 30)}, // Sunday's 25th hour, 23:30 CET
			{scope, reckon.OutcomeBlocked, 4, at(2, 0, 0)},     // Monday's first instant
			{scope, reckon.OutcomeSucceeded, 5, at(3, 23, 0)},
			{scope, reckon.OutcomeFailed, 7, at(4, 0, 0)},     // after the window
			{scope, reckon.OutcomeFailed, 6, at(0, 0, -1)},    // before it
			{other, reckon.OutcomeSucceeded, 9, at(1, 12, 0)}, // another workspace
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for i, b := range batches {
				if err := tx.InsertRunBatch(ctx, &store.RunBatch{Scope: b.scope, Type: reckon.RunTypeReviewCompose,
					Status: reckon.RunCompleted, Outcome: b.outcome, Count: b.n, KeyPrefix: fmt.Sprintf("day-%d-", i),
					CreatedAt: b.at, DeadlineAt: b.at}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		count := func(f store.RunFilter, days []time.Time) string {
			t.Helper()
			var got []store.DayCount
			err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				got, err = tx.RunsPerDay(ctx, &f, days)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, c := range got {
				parts = append(parts, fmt.Sprintf("%d:%s=%d", c.Day, c.Outcome, c.Runs))
			}
			return strings.Join(parts, " ")
		}
		all := store.RunFilter{WorkspaceID: scope.WorkspaceID}
		if got, want := count(all, days), "0:failed=1 0:succeeded=3 1:succeeded=2 2:blocked=4 3:succeeded=5"; got != want {
			t.Errorf("runs per Berlin day: %s, want %s", got, want)
		}
		// The same runs by the UTC days of those dates: Saturday 00:00 CEST
		// is Friday in UTC, Monday 00:00 CET is Sunday 23:00 UTC, Wednesday
		// 00:00 CET is Tuesday 23:00 UTC.
		utc := midnights(time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC), time.UTC, 4)
		if got, want := count(all, utc), "0:failed=1 1:blocked=4 1:succeeded=2 3:failed=7 3:succeeded=5"; got != want {
			t.Errorf("runs per UTC day: %s, want %s", got, want)
		}
		// The list's filter applies; the page cursor and limit do not.
		failed := store.RunFilter{WorkspaceID: scope.WorkspaceID, Outcome: reckon.OutcomeFailed, BeforeID: 1, Limit: 1}
		if got, want := count(failed, days), "0:failed=1"; got != want {
			t.Errorf("failed runs per day: %s, want %s", got, want)
		}
		if got := count(store.RunFilter{WorkspaceID: scope.WorkspaceID, Restricted: true}, days); got != "" {
			t.Errorf("a member entitled to nothing counts %s", got)
		}
		if got, want := count(all, days[1:3]), "0:succeeded=2"; got != want {
			t.Errorf("one day: %s, want %s", got, want)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.RunsPerDay(ctx, &all, days[:1]); err == nil {
				t.Error("a window without a day is accepted")
			}
			if _, err := tx.RunsPerDay(ctx, &all, []time.Time{days[1], days[0]}); err == nil {
				t.Error("boundaries out of order are accepted")
			}
			if _, err := tx.RunsPerDay(ctx, &store.RunFilter{}, days); err == nil {
				t.Error("a filter without a workspace is accepted")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// The chart's one query reads the window through an index on both engines,
// with or without the list's filters: never the whole table, nor a walk
// over the workspace's history before the window.
func TestRunsPerDayPlanUsesTheWindowIndex(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := reckontest.NewFixture(t, db)
		small, large := fx.Scope(), fx.Scope()
		now := reckontest.Epoch()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			// A year of history in both workspaces, the window's two weeks
			// a small part of it.
			for day := range 365 {
				for _, b := range []struct {
					scope reckon.Scope
					n     int
				}{{small, 5}, {large, 40}} {
					at := now.AddDate(0, 0, -day)
					if err := tx.InsertRunBatch(ctx, &store.RunBatch{Scope: b.scope, Type: reckon.RunTypeReviewCompose,
						Status: reckon.RunCompleted, Outcome: reckon.OutcomeSucceeded, Count: b.n,
						KeyPrefix: fmt.Sprintf("plan-%d-", day), CreatedAt: at, DeadlineAt: at}); err != nil {
						return err
					}
				}
			}
			return tx.AnalyzeRuns(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		days := midnights(now.AddDate(0, 0, -13), time.UTC, 14)
		err = db.InTx(ctx, func(tx *store.Tx) error {
			for _, c := range []struct {
				name  string
				f     store.RunFilter
				index string
			}{
				{"workspace", store.RunFilter{WorkspaceID: small.WorkspaceID}, "operation_runs_workspace_created"},
				// Failed runs are also all in the attention index (the fleet's),
				// which the planner may take for them.
				{"outcome", store.RunFilter{WorkspaceID: small.WorkspaceID, Outcome: reckon.OutcomeFailed}, "operation_runs_"},
				{"environment", store.RunFilter{WorkspaceID: small.WorkspaceID, EnvironmentID: small.EnvironmentID}, "operation_runs_"},
				{"entitlements", store.RunFilter{WorkspaceID: small.WorkspaceID, Restricted: true, Environments: []int64{small.EnvironmentID}}, "operation_runs_"},
			} {
				plan, err := tx.ExplainRunsPerDay(ctx, &c.f, days)
				if err != nil {
					return err
				}
				// SQLite names a full scan "SCAN r" (the query's alias), a
				// walk over a whole index "SCAN r USING INDEX".
				for _, bad := range []string{"Seq Scan", "SCAN r", "SCAN operation_runs"} {
					if strings.Contains(plan, bad) {
						t.Errorf("%s: plan has %q:\n%s", c.name, bad, plan)
					}
				}
				if !strings.Contains(plan, c.index) || !strings.Contains(strings.ToLower(plan), "index") {
					t.Errorf("%s: plan does not use %s:\n%s", c.name, c.index, plan)
				}
				// The workspace's first day in the window is bounded by the
				// range, not found by filtering its history.
				if !strings.Contains(plan, "created_at") {
					t.Errorf("%s: plan does not bound created_at:\n%s", c.name, plan)
				}
			}
			counts, err := tx.RunsPerDay(ctx, &store.RunFilter{WorkspaceID: small.WorkspaceID}, days)
			if err != nil {
				return err
			}
			if len(counts) != 14 || counts[0].Day != 0 || counts[13].Day != 13 || counts[13].Runs != 5 {
				t.Errorf("two weeks of five runs a day: %+v", counts)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// BenchmarkRunsPerDay times the chart's query over 14 and 90 days of a
// workspace with a year of history (about 100k runs), beside another
// workspace as large.
//
//	go test -run '^$' -bench RunsPerDay ./store
func BenchmarkRunsPerDay(b *testing.B) {
	for _, engine := range reckontest.Engines(b) {
		db := reckontest.Open(b, engine, nil)
		fx := reckontest.NewFixture(b, db)
		scope, other := fx.Scope(), fx.Scope()
		ctx := context.Background()
		now := reckontest.Epoch()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for day := range 365 {
				at := now.AddDate(0, 0, -day)
				for i, s := range []reckon.Scope{scope, other} {
					for j, o := range []reckon.Outcome{reckon.OutcomeSucceeded, reckon.OutcomeFailed} {
						if err := tx.InsertRunBatch(ctx, &store.RunBatch{Scope: s, Type: reckon.RunTypeReviewCompose,
							Status: reckon.RunCompleted, Outcome: o, Count: 250 - 225*j, KeyPrefix: fmt.Sprintf("b-%d-%d-%d-", day, i, j),
							CreatedAt: at.Add(time.Duration(j) * time.Hour), DeadlineAt: at}); err != nil {
							return err
						}
					}
				}
			}
			return tx.AnalyzeRuns(ctx)
		})
		if err != nil {
			b.Fatal(err)
		}
		for _, span := range []int{14, 90} {
			days := midnights(now.AddDate(0, 0, 1-span), time.UTC, span)
			b.Run(fmt.Sprintf("%s/days=%d", engine, span), func(b *testing.B) {
				for b.Loop() {
					err := db.InTx(ctx, func(tx *store.Tx) error {
						counts, err := tx.RunsPerDay(ctx, &store.RunFilter{WorkspaceID: scope.WorkspaceID}, days)
						if err == nil && len(counts) != 2*span {
							err = fmt.Errorf("%d counts", len(counts))
						}
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
