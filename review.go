package reckon

import (
	"encoding/json"
	"time"
)

// ReviewStatus is where an environment review is in its lifecycle:
// draft → ready → published → archived; draft → failed; ready|failed → superseded.
type ReviewStatus string

// Review statuses.
const (
	ReviewDraft      ReviewStatus = "draft"
	ReviewReady      ReviewStatus = "ready"
	ReviewPublished  ReviewStatus = "published"
	ReviewArchived   ReviewStatus = "archived"
	ReviewFailed     ReviewStatus = "failed"
	ReviewSuperseded ReviewStatus = "superseded"
)

// Mutable reports whether a review in status s is covered by the
// fingerprint uniqueness index (draft, ready, failed).
func (s ReviewStatus) Mutable() bool {
	return s == ReviewDraft || s == ReviewReady || s == ReviewFailed
}

// Available reports whether the review is a usable, current result.
func (s ReviewStatus) Available() bool { return s == ReviewReady || s == ReviewPublished }

// Historical reports whether the review was composed and later replaced.
func (s ReviewStatus) Historical() bool { return s == ReviewSuperseded || s == ReviewArchived }

// Valid reports whether s is a known review status.
func (s ReviewStatus) Valid() bool {
	switch s {
	case ReviewDraft, ReviewReady, ReviewPublished, ReviewArchived, ReviewFailed, ReviewSuperseded:
		return true
	}
	return false
}

// CanTransition reports whether a review may move from s to next.
func (s ReviewStatus) CanTransition(next ReviewStatus) bool {
	switch s {
	case ReviewDraft:
		return next == ReviewReady || next == ReviewFailed
	case ReviewReady:
		return next == ReviewPublished || next == ReviewSuperseded
	case ReviewFailed:
		return next == ReviewSuperseded
	case ReviewPublished:
		return next == ReviewArchived
	}
	return false
}

// Review is a composed governance review of one environment from one
// evidence snapshot.
type Review struct {
	ID                   int64
	WorkspaceID          int64
	EnvironmentID        int64
	EvidenceSnapshotID   int64
	Fingerprint          string
	Status               ReviewStatus
	Content              json.RawMessage // nil until composed
	OperationRunID       int64           // 0 when not linked to a run
	SupersededByReviewID int64           // 0 when not superseded
	ComposedAt           *time.Time
	PublishedAt          *time.Time
	ArchivedAt           *time.Time
	CreatedBy            int64 // user id; 0 for the system
	CreatedAt            time.Time
	UpdatedAt            time.Time
}
