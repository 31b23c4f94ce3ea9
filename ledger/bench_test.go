package ledger_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// BenchmarkEnsureComplete times one run's bookkeeping: Ensure with its job
// in one transaction, then Complete with its audit event in another.
func BenchmarkEnsureComplete(b *testing.B) {
	for _, engine := range reckontest.Engines(b) {
		b.Run(string(engine), func(b *testing.B) {
			bundle := setup(b, reckontest.Open(b, engine, nil))
			scope := bundle.fx.Scope()
			ctx := context.Background()
			done := &ledger.Completion{Outcome: reckon.OutcomeSucceeded, Actor: "job"}
			i := 0
			for b.Loop() {
				i++
				var runID int64
				if err := bundle.db.InTx(ctx, func(tx *store.Tx) error {
					run, created, err := bundle.ledger.Ensure(ctx, tx, composeParams(scope, "sha256:"+strconv.Itoa(i)))
					if err != nil {
						return err
					}
					if !created {
						b.Fatalf("run %d was not created", i)
					}
					runID = run.ID
					return nil
				}); err != nil {
					b.Fatal(err)
				}
				if err := bundle.db.InTx(ctx, func(tx *store.Tx) error {
					_, changed, err := bundle.ledger.Complete(ctx, tx, runID, done)
					if err == nil && !changed {
						b.Fatalf("run %d was not completed", runID)
					}
					return err
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchWrite times one ledger write per transaction on each engine: prepare
// makes n queued runs before the clock starts, write is the write under
// test. It reports runs/s and the statements and commits of one write.
func benchWrite(b *testing.B, prepare bool, write func(ctx context.Context, tx *store.Tx, l *ledger.Ledger, scope reckon.Scope, i int, runs []*reckon.Run) error) {
	for _, engine := range reckontest.Engines(b) {
		b.Run(string(engine), func(b *testing.B) {
			bundle := setup(b, reckontest.Open(b, engine, nil))
			scope := bundle.fx.Scope()
			ctx := context.Background()
			var runs []*reckon.Run
			if prepare {
				runs = ensureRuns(b, bundle, scope, "prepared", b.N)
			}
			b.ResetTimer()
			before := bundle.db.Statements()
			for i := 0; i < b.N; i++ {
				if err := bundle.db.InTx(ctx, func(tx *store.Tx) error { return write(ctx, tx, bundle.ledger, scope, i, runs) }); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			reportCost(b, bundle.db.Statements().Sub(before), b.N, b.N)
		})
	}
}

// ensureRuns creates n queued compose runs in batches.
func ensureRuns(b *testing.B, bundle *testBundle, scope reckon.Scope, prefix string, n int) []*reckon.Run {
	b.Helper()
	var runs []*reckon.Run
	for len(runs) < n {
		ps := make([]*ledger.EnsureParams, min(1000, n-len(runs)))
		for i := range ps {
			ps[i] = composeParams(scope, fmt.Sprintf("sha256:%s-%d", prefix, len(runs)+i))
		}
		bundle.inTx(b, func(ctx context.Context, tx *store.Tx) error {
			got, _, err := bundle.ledger.EnsureMany(ctx, tx, ps)
			runs = append(runs, got...)
			return err
		})
	}
	return runs
}

// reportCost reports runs per second and what one operation sent.
func reportCost(b *testing.B, sent store.StatementCount, ops, runs int) {
	b.ReportMetric(float64(runs)/b.Elapsed().Seconds(), "runs/s")
	b.ReportMetric(float64(sent.RoundTrips)/float64(ops), "round-trips/op")
	b.ReportMetric(float64(sent.Statements)/float64(ops), "statements/op")
	b.ReportMetric(float64(sent.Commits)/float64(ops), "commits/op")
}

func BenchmarkEnsure(b *testing.B) {
	benchWrite(b, false, func(ctx context.Context, tx *store.Tx, l *ledger.Ledger, scope reckon.Scope, i int, _ []*reckon.Run) error {
		_, created, err := l.Ensure(ctx, tx, composeParams(scope, "sha256:"+strconv.Itoa(i)))
		if err == nil && !created {
			err = fmt.Errorf("run %d was not created", i)
		}
		return err
	})
}

func BenchmarkMarkRunning(b *testing.B) {
	benchWrite(b, true, func(ctx context.Context, tx *store.Tx, l *ledger.Ledger, _ reckon.Scope, i int, runs []*reckon.Run) error {
		_, changed, err := l.MarkRunning(ctx, tx, runs[i].ID)
		if err == nil && !changed {
			err = fmt.Errorf("run %d was not marked running", runs[i].ID)
		}
		return err
	})
}

// BenchmarkStart times MarkRunning as a transaction of its own (Start),
// the way a job whose start writes nothing else marks its run.
func BenchmarkStart(b *testing.B) {
	for _, engine := range reckontest.Engines(b) {
		b.Run(string(engine), func(b *testing.B) {
			bundle := setup(b, reckontest.Open(b, engine, nil))
			runs := ensureRuns(b, bundle, bundle.fx.Scope(), "prepared", b.N)
			ctx := context.Background()
			b.ResetTimer()
			before := bundle.db.Statements()
			for i := 0; i < b.N; i++ {
				if _, changed, err := bundle.ledger.Start(ctx, bundle.db, runs[i].ID); err != nil || !changed {
					b.Fatalf("run %d was not started: %v", runs[i].ID, err)
				}
			}
			b.StopTimer()
			reportCost(b, bundle.db.Statements().Sub(before), b.N, b.N)
		})
	}
}

func BenchmarkComplete(b *testing.B) {
	done := &ledger.Completion{Outcome: reckon.OutcomeSucceeded, Actor: "job"}
	benchWrite(b, true, func(ctx context.Context, tx *store.Tx, l *ledger.Ledger, _ reckon.Scope, i int, runs []*reckon.Run) error {
		_, changed, err := l.Complete(ctx, tx, runs[i].ID, done)
		if err == nil && !changed {
			err = fmt.Errorf("run %d was not completed", runs[i].ID)
		}
		return err
	})
}

// BenchmarkEnsureMany times batches of new runs with their jobs, one
// transaction a batch; compare its runs/s with BenchmarkEnsure's.
func BenchmarkEnsureMany(b *testing.B) {
	for _, size := range []int{100, 1000} {
		for _, engine := range reckontest.Engines(b) {
			b.Run(fmt.Sprintf("%d/%s", size, engine), func(b *testing.B) {
				bundle := setup(b, reckontest.Open(b, engine, nil))
				scope := bundle.fx.Scope()
				ctx := context.Background()
				b.ResetTimer()
				before := bundle.db.Statements()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					ps := make([]*ledger.EnsureParams, size)
					for j := range ps {
						ps[j] = composeParams(scope, fmt.Sprintf("sha256:%d-%d", i, j))
					}
					b.StartTimer()
					if err := bundle.db.InTx(ctx, func(tx *store.Tx) error {
						_, _, err := bundle.ledger.EnsureMany(ctx, tx, ps)
						return err
					}); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				reportCost(b, bundle.db.Statements().Sub(before), b.N, b.N*size)
			})
		}
	}
}
