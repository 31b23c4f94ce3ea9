package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// AuditEvent is one entry of the audit trail.
type AuditEvent struct {
	ID          int64
	WorkspaceID int64 // 0 for platform-wide events
	Actor       string
	Action      string
	SubjectType string
	SubjectID   int64
	Metadata    json.RawMessage
	CreatedAt   time.Time
}

// InsertAudit appends an audit event, stamped with the transaction's time.
func (tx *Tx) InsertAudit(ctx context.Context, e *AuditEvent) error {
	meta := e.Metadata
	if len(meta) == 0 {
		meta = json.RawMessage(`{}`)
	}
	err := tx.queryRow(ctx, `INSERT INTO audit_events (workspace_id, actor, action, subject_type, subject_id, metadata, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		nullable(e.WorkspaceID), e.Actor, e.Action, e.SubjectType, e.SubjectID, string(meta), tx.now).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("store: insert audit event: %w", err)
	}
	e.CreatedAt = tx.now
	return nil
}

// AuditEvents returns a workspace's events about one subject, oldest first.
func (tx *Tx) AuditEvents(ctx context.Context, workspaceID int64, subjectType string, subjectID int64) ([]*AuditEvent, error) {
	r, err := tx.query(ctx, `SELECT id, workspace_id, actor, action, subject_type, subject_id, metadata, created_at
FROM audit_events WHERE workspace_id = $1 AND subject_type = $2 AND subject_id = $3 ORDER BY id`,
		workspaceID, subjectType, subjectID)
	if err != nil {
		return nil, err
	}
	return collect(r, scanAuditEvent)
}

func scanAuditEvent(r rows) (*AuditEvent, error) {
	var e AuditEvent
	var meta []byte
	err := r.Scan(&e.ID, scanNullID(&e.WorkspaceID), &e.Actor, &e.Action, &e.SubjectType, &e.SubjectID,
		scanJSON(&meta), scanTime(&e.CreatedAt))
	e.Metadata = meta
	return &e, err
}

// CountAuditEvents counts every audit event; tests use it to prove that a
// pass wrote nothing.
func (tx *Tx) CountAuditEvents(ctx context.Context) (int64, error) {
	var n int64
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM audit_events`).Scan(&n)
	return n, err
}
