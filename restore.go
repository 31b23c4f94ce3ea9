package reckon

import (
	"encoding/json"
	"time"
)

// RestoreStatus is where a restore is in its domain lifecycle.
type RestoreStatus string

// Restore statuses.
const (
	RestorePending            RestoreStatus = "pending"
	RestoreRunning            RestoreStatus = "running"
	RestoreSucceeded          RestoreStatus = "succeeded"
	RestorePartiallySucceeded RestoreStatus = "partially_succeeded"
	RestoreFailed             RestoreStatus = "failed"
)

// Terminal reports whether the restore has finished applying its items.
func (s RestoreStatus) Terminal() bool {
	return s == RestoreSucceeded || s == RestorePartiallySucceeded || s == RestoreFailed
}

// RestoreRun is the domain truth of one restore.execute run.
type RestoreRun struct {
	ID             int64
	WorkspaceID    int64
	EnvironmentID  int64
	OperationRunID int64
	BackupRef      string
	Status         RestoreStatus
	ItemsTotal     int
	ItemsSucceeded int
	ItemsFailed    int
	CreatedAt      time.Time
	StartedAt      *time.Time
	CompletedAt    *time.Time
	UpdatedAt      time.Time
}

// Scope returns the restore's workspace and environment.
func (r *RestoreRun) Scope() Scope {
	return Scope{WorkspaceID: r.WorkspaceID, EnvironmentID: r.EnvironmentID}
}

// RestoreItemStatus is the state of one backup item.
type RestoreItemStatus string

// Restore item statuses.
const (
	RestoreItemPending RestoreItemStatus = "pending"
	RestoreItemApplied RestoreItemStatus = "applied"
	RestoreItemFailed  RestoreItemStatus = "failed"
)

// RestoreItem is one backup item of a restore.
type RestoreItem struct {
	ID           int64
	RestoreRunID int64
	Key          string
	Payload      json.RawMessage
	Status       RestoreItemStatus
	ErrorCode    string
	AppliedAt    *time.Time
}
