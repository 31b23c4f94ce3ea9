package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/api"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
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
					w.timeGets(b, "/api/v1/workspaces/"+w.wsA.Slug+"/operations"+pages[page])
				})
			}
		}
	}
}

// timeGets answers GET path as the readonly member for every iteration of
// b, and reports the answers' p50 and p95.
func (w *world) timeGets(b *testing.B, path string) (p50 time.Duration) {
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
	return took[len(took)/2]
}

// BenchmarkFleet times GET …/fleet (the first page, sorted by name) on a
// workspace of 50 and of 500 environments with 50k runs between them, each
// environment with three composed reviews of a 150-control report and one
// in five with a failed run, the tables vacuumed as autovacuum leaves them.
// The fleet is a fixed number of statements whatever its size; what grows
// with it is one narrow row per environment (its headline) and the runs
// that want attention. The 500 run reports its p50 as a multiple of the 50
// run's, measured just before it (the goal: at most 2).
//
//	go test -run '^$' -bench Fleet -benchtime 300x ./api
func BenchmarkFleet(b *testing.B) {
	content := benchContent(b)
	for _, engine := range reckontest.Engines(b) {
		var base time.Duration
		for _, n := range []int{50, 500} {
			db := reckontest.Open(b, engine, nil)
			w := newWorld(b, db)
			reckontest.FillFleet(b, db, w.wsA, reckontest.FleetOptions{Environments: n, Reviews: 3,
				RunsPerEnvironment: 50_000 / n, Content: func(env, i int) json.RawMessage { return content[(env+i)%len(content)] }})
			if err := db.SettleFleet(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s/environments=%d", engine, n), func(b *testing.B) {
				p50 := w.timeGets(b, "/api/v1/workspaces/"+w.wsA.Slug+"/fleet")
				if n == 50 {
					base = p50
				} else if base > 0 {
					b.ReportMetric(float64(p50)/float64(base), "x-p50-of-50")
				}
			})
		}
	}
}

// benchContent composes reviews of reports of 150 controls, a fifth of
// them failing, as the composer writes them.
func benchContent(b *testing.B) []json.RawMessage {
	var out []json.RawMessage
	for k := range 4 {
		var findings []reckon.Finding
		for i := range 150 {
			f := reckon.Finding{ControlID: fmt.Sprintf("MS.BENCH.%d.%dv1", i/10, i%10), Product: "Bench",
				Title:    fmt.Sprintf("Control %d requires the tenant to hold a setting that an assessment reads and reports", i),
				Severity: []reckon.Severity{reckon.SeverityCritical, reckon.SeverityHigh, reckon.SeverityMedium, reckon.SeverityLow}[i%4],
				Status:   reckon.FindingPass}
			if (i+k)%5 == 0 {
				f.Status = reckon.FindingFail
			}
			findings = append(findings, f)
		}
		snap := &reckon.Snapshot{CapturedAt: reckontest.Epoch(), ContentHash: "sha256:bench", Findings: findings,
			Source: reckon.SnapshotSource{Format: reckon.SnapshotFormatNative}}
		c, err := review.Compose(snap, snap).Marshal()
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}
