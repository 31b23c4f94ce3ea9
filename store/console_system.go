package store

import (
	"context"

	"github.com/reckonhq/reckon"
)

// RunByID returns a run of any workspace, for platform support's read-only
// pages. Everything a workspace member sees goes through Run instead.
func (tx *Tx) RunByID(ctx context.Context, id int64) (*reckon.Run, error) {
	return scanRun(tx.queryRow(ctx, `SELECT `+runColumns+` FROM operation_runs WHERE id = $1`, id))
}
