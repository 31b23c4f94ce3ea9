package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Notification tells a user something happened, such as their run ending.
type Notification struct {
	ID          int64
	UserID      int64
	WorkspaceID int64
	Kind        string
	Payload     json.RawMessage
	ReadAt      *time.Time
	CreatedAt   time.Time
}

// InsertNotification stores a notification for a user.
func (tx *Tx) InsertNotification(ctx context.Context, n *Notification) error {
	payload := n.Payload
	if len(payload) == 0 {
		payload = json.RawMessage(`{}`)
	}
	n.CreatedAt = tx.now
	err := tx.queryRow(ctx, `INSERT INTO notifications (user_id, workspace_id, kind, payload, created_at)
VALUES ($1, $2, $3, $4, $5) RETURNING id`, n.UserID, n.WorkspaceID, n.Kind, string(payload), tx.now).Scan(&n.ID)
	if err != nil {
		return fmt.Errorf("store: insert notification: %w", err)
	}
	return nil
}
