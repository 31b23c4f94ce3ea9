package ledger_test

import (
	"context"
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
