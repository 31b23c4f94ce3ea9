package store

import "context"

// AuditEventsByAction returns a workspace's events of one action about one
// kind of subject, oldest first. Actions such as a draft's takeover are
// rare, so the workspace's newest-first index bounds the read.
func (tx *Tx) AuditEventsByAction(ctx context.Context, workspaceID int64, subjectType, action string) ([]*AuditEvent, error) {
	r, err := tx.query(ctx, `SELECT id, workspace_id, actor, action, subject_type, subject_id, metadata, created_at
FROM audit_events WHERE workspace_id = $1 AND subject_type = $2 AND action = $3 ORDER BY id`,
		workspaceID, subjectType, action)
	if err != nil {
		return nil, err
	}
	return collect(r, scanAuditEvent)
}
