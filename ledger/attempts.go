package ledger

import (
	"context"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// SetNode names the node this process works jobs as: the attempts the
// ledger records from now on ran there. 0 (the default) records attempts
// without a node.
func (l *Ledger) SetNode(id int64) { l.node.Store(id) }

// recordAttempt records the attempt MarkRunning just counted, on this
// process's node; it ends the run's previous attempt.
func (l *Ledger) recordAttempt(ctx context.Context, tx *store.Tx, run *reckon.Run) error {
	return tx.StartRunAttempt(ctx, run.ID, run.Attempts, l.node.Load())
}
