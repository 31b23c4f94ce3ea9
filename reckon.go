// Package reckon holds the vocabulary shared by every part of reckon: operation
// runs and their lifecycle, environment reviews, evidence snapshots, the
// reconciliation record and the coded errors that travel between layers.
//
// The package has no dependencies on storage or transports. Services live in
// sibling packages (ledger, review, reconcile, restore, access), storage in
// store, transports in api, console and cli.
package reckon

import "time"

// Scope is the workspace and (optionally) the managed environment an operation
// or a record belongs to. Nothing crosses a workspace boundary.
type Scope struct {
	WorkspaceID   int64
	EnvironmentID int64 // 0 when the record is not environment-scoped
}

// Clock returns the current time. Services take one so tests can fix time.
type Clock func() time.Time

// SystemClock is the wall clock, in UTC and truncated to microseconds, the
// precision both engines store.
func SystemClock() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
