package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/reckonhq/reckon"
)

// ConsoleSession is a signed-in console session. Only the hash of its id is
// stored; the id itself lives in the browser's cookie.
type ConsoleSession struct {
	IDHash    string
	User      *reckon.User
	CreatedAt time.Time
	ExpiresAt time.Time
	// Settings are the user's console settings, read with the session.
	Settings UserSettings
}

// CreateConsoleSession stores a new session for a user.
func (tx *Tx) CreateConsoleSession(ctx context.Context, idHash string, userID int64, expiresAt time.Time) error {
	_, err := tx.exec(ctx, `INSERT INTO console_sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		idHash, userID, tx.now, expiresAt)
	if err != nil {
		return fmt.Errorf("store: create console session: %w", err)
	}
	return nil
}

// ConsoleSessionByHash returns an unexpired session with its user;
// ErrNotFound for an unknown or expired one.
func (tx *Tx) ConsoleSessionByHash(ctx context.Context, idHash string) (*ConsoleSession, error) {
	s := &ConsoleSession{IDHash: idHash, User: &reckon.User{}}
	u := s.User
	err := tx.queryRow(ctx, `SELECT u.id, u.email, u.name, u.password_hash, u.locale, u.is_platform_support, u.created_at,
	s.created_at, s.expires_at, COALESCE(us.time_zone, ''), COALESCE(us.mute_success_notifications, FALSE)
FROM console_sessions s JOIN users u ON u.id = s.user_id LEFT JOIN user_settings us ON us.user_id = u.id
WHERE s.id_hash = $1 AND s.expires_at > $2`, idHash, tx.now).
		Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.Locale, &u.IsPlatformSupport, scanTime(&u.CreatedAt),
			scanTime(&s.CreatedAt), scanTime(&s.ExpiresAt), &s.Settings.TimeZone, &s.Settings.MuteSuccess)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// DeleteConsoleSession ends a session; deleting an unknown one is no error.
func (tx *Tx) DeleteConsoleSession(ctx context.Context, idHash string) error {
	_, err := tx.exec(ctx, `DELETE FROM console_sessions WHERE id_hash = $1`, idHash)
	return err
}

// DeleteExpiredConsoleSessions removes sessions that have expired and
// returns how many it removed.
func (tx *Tx) DeleteExpiredConsoleSessions(ctx context.Context) (int64, error) {
	return tx.exec(ctx, `DELETE FROM console_sessions WHERE expires_at <= $1`, tx.now)
}

// SetConsoleFlash stores a one-time message with a session, replacing any
// earlier one.
func (tx *Tx) SetConsoleFlash(ctx context.Context, idHash string, flash json.RawMessage) error {
	_, err := tx.exec(ctx, `UPDATE console_sessions SET flash = $2 WHERE id_hash = $1`, idHash, jsonArg(flash))
	return err
}

// TakeConsoleFlash returns a session's one-time message and clears it; nil
// when there is none.
func (tx *Tx) TakeConsoleFlash(ctx context.Context, idHash string) (json.RawMessage, error) {
	var flash []byte
	err := tx.queryRow(ctx, `SELECT flash FROM console_sessions WHERE id_hash = $1`, idHash).Scan(scanJSON(&flash))
	if err != nil || len(flash) == 0 || string(flash) == "null" {
		if IsNotFound(err) {
			err = nil
		}
		return nil, err
	}
	if _, err := tx.exec(ctx, `UPDATE console_sessions SET flash = NULL WHERE id_hash = $1`, idHash); err != nil {
		return nil, err
	}
	return flash, nil
}
