package api_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/api"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// BenchmarkListOperations times GET …/operations on a workspace with 1k and
// with 100k runs, on the first page and on a page deep in the history
// (100 runs from the oldest). Keyset pages on the newest-first index cost
// the same wherever they start, so p50 and p95 should barely move with the
// history's size or the page's depth.
//
//	go test -run '^$' -bench ListOperations -benchtime 300x ./api
func BenchmarkListOperations(b *testing.B) {
	for _, engine := range reckontest.Engines(b) {
		for _, n := range []int{1_000, 100_000} {
			db := reckontest.Open(b, engine, nil)
			w := newWorld(b, db)
			var first int64
			w.tx(b, func(tx *store.Tx) error {
				now := tx.Now()
				if err := tx.InsertRunBatch(context.Background(), &store.RunBatch{
					Scope: reckon.Scope{WorkspaceID: w.wsA.ID, EnvironmentID: w.envA1.ID}, Type: reckon.RunTypeReviewCompose,
					Status: reckon.RunCompleted, Outcome: reckon.OutcomeSucceeded, Count: n, KeyPrefix: "bench-",
					CreatedAt: now, DeadlineAt: now,
				}); err != nil {
					return err
				}
				if err := tx.AnalyzeRuns(context.Background()); err != nil {
					return err
				}
				oldest, err := tx.ListRuns(context.Background(), &store.RunFilter{WorkspaceID: w.wsA.ID, Limit: 1, BeforeID: 1 << 62})
				if err != nil || len(oldest) == 0 {
					return fmt.Errorf("no runs: %v", err)
				}
				first = oldest[0].ID - int64(n) + 1
				return nil
			})
			pages := map[string]string{"first": "", "deep": "?cursor=" + api.EncodeCursor(first+100)}
			for _, page := range []string{"first", "deep"} {
				b.Run(fmt.Sprintf("%s/runs=%d/page=%s", engine, n, page), func(b *testing.B) {
					path := "/api/v1/workspaces/" + w.wsA.Slug + "/operations" + pages[page]
					var took []time.Duration
					for b.Loop() {
						r := httptest.NewRequest(http.MethodGet, path, nil)
						r.Header.Set("Authorization", "Bearer "+w.readonly)
						rec := httptest.NewRecorder()
						start := time.Now()
						w.handler.ServeHTTP(rec, r)
						took = append(took, time.Since(start))
						if rec.Code != http.StatusOK {
							b.Fatalf("%d: %s", rec.Code, rec.Body)
						}
					}
					slices.Sort(took)
					b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
					b.ReportMetric(float64(took[len(took)*95/100].Microseconds()), "p95-µs")
				})
			}
		}
	}
}
