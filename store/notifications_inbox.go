package store

import (
	"context"
	"fmt"
)

const notificationColumns = `id, user_id, workspace_id, kind, payload, read_at, created_at`

func scanNotification(r rows) (*Notification, error) {
	var (
		n       Notification
		payload []byte
	)
	if err := r.Scan(&n.ID, &n.UserID, &n.WorkspaceID, &n.Kind, scanJSON(&payload), scanNullTime(&n.ReadAt), scanTime(&n.CreatedAt)); err != nil {
		return nil, err
	}
	n.Payload = payload
	return &n, nil
}

// NotificationFilter narrows a user's notifications.
type NotificationFilter struct {
	UnreadOnly bool
	// FailuresOnly keeps runs that did not fully succeed: failed, blocked
	// or partially succeeded.
	FailuresOnly bool
	// HideSucceeded leaves out runs that succeeded (a muting user).
	HideSucceeded bool
}

// where is the filter's condition on notifications, after user_id = $1.
func (f NotificationFilter) where(engine Engine) string {
	// The outcome lives in the payload document; the JSON operators differ
	// by engine.
	outcome := `payload->>'outcome'`
	if engine == SQLite {
		outcome = `json_extract(payload, '$.outcome')`
	}
	var q string
	if f.UnreadOnly {
		q += ` AND read_at IS NULL`
	}
	if f.FailuresOnly {
		q += ` AND ` + outcome + ` IN ('failed', 'blocked', 'partially_succeeded')`
	}
	if f.HideSucceeded {
		q += ` AND COALESCE(` + outcome + `, '') <> 'succeeded'`
	}
	return q
}

// NotificationsOfUser returns one page of a user's notifications, newest
// first: those with an id below beforeID (0 starts at the newest).
func (tx *Tx) NotificationsOfUser(ctx context.Context, userID, beforeID int64, limit int) ([]*Notification, error) {
	return tx.NotificationsOf(ctx, userID, NotificationFilter{}, beforeID, limit)
}

// NotificationsOf is NotificationsOfUser through a filter.
func (tx *Tx) NotificationsOf(ctx context.Context, userID int64, f NotificationFilter, beforeID int64, limit int) ([]*Notification, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: list notifications: no limit")
	}
	q := `SELECT ` + notificationColumns + ` FROM notifications WHERE user_id = $1` + f.where(tx.engine)
	args := []any{userID, limit}
	if beforeID > 0 {
		q += ` AND id < $3`
		args = append(args, beforeID)
	}
	r, err := tx.query(ctx, q+` ORDER BY id DESC LIMIT $2`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list notifications: %w", err)
	}
	return collect(r, scanNotification)
}

// CountUnreadNotifications counts a user's unread notifications.
func (tx *Tx) CountUnreadNotifications(ctx context.Context, userID int64) (int64, error) {
	return tx.CountNotificationsOf(ctx, userID, NotificationFilter{UnreadOnly: true})
}

// CountNotificationsOf counts a user's notifications through a filter.
func (tx *Tx) CountNotificationsOf(ctx context.Context, userID int64, f NotificationFilter) (int64, error) {
	var n int64
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = $1`+f.where(tx.engine), userID).Scan(&n)
	return n, err
}

// MarkNotificationRead marks one of a user's notifications read; ErrNotFound
// when the user has no such notification. Marking a read one again is no
// error and keeps its first read time.
func (tx *Tx) MarkNotificationRead(ctx context.Context, userID, id int64) error {
	n, err := tx.exec(ctx, `UPDATE notifications SET read_at = COALESCE(read_at, $3) WHERE user_id = $1 AND id = $2`, userID, id, tx.now)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// MarkAllNotificationsRead marks every unread notification of a user read
// and returns how many it marked.
func (tx *Tx) MarkAllNotificationsRead(ctx context.Context, userID int64) (int64, error) {
	return tx.exec(ctx, `UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL`, userID, tx.now)
}
