package store

import "context"

// ExecLater is execLater, for the package's external tests.
func (tx *Tx) ExecLater(ctx context.Context, q string, args ...any) error {
	return tx.execLater(ctx, q, args...)
}
