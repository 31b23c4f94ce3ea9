package store

import (
	"context"
	"fmt"
	"time"
)

// LoginThrottle is the failed sign-in count of one key (an account or a
// client address, stored hashed) in its current window.
type LoginThrottle struct {
	Failures        int
	WindowStartedAt time.Time
	LockedUntil     *time.Time // nil when not locked
}

// Locked reports whether the key is locked at now.
func (l *LoginThrottle) Locked(now time.Time) bool {
	return l != nil && l.LockedUntil != nil && now.Before(*l.LockedUntil)
}

// LoginThrottleByKey returns a key's throttle; ErrNotFound when it has no
// failures on record.
func (tx *Tx) LoginThrottleByKey(ctx context.Context, keyHash string) (*LoginThrottle, error) {
	var l LoginThrottle
	err := tx.queryRow(ctx, `SELECT failures, window_started_at, locked_until FROM login_throttle WHERE key_hash = $1`, keyHash).
		Scan(&l.Failures, scanTime(&l.WindowStartedAt), scanNullTime(&l.LockedUntil))
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// RecordLoginFailure counts one failed sign-in of a key in one statement, so
// that concurrent failures are all counted. A window older than window
// starts again at one; the failure that reaches max locks the key for lock.
func (tx *Tx) RecordLoginFailure(ctx context.Context, keyHash string, window time.Duration, max int, lock time.Duration) (*LoginThrottle, error) {
	var l LoginThrottle
	windowStart := tx.now.Add(-window)
	var firstLock *time.Time // a first failure that already reaches max
	if max <= 1 {
		t := tx.now.Add(lock)
		firstLock = &t
	}
	err := tx.queryRow(ctx, `INSERT INTO login_throttle (key_hash, failures, window_started_at, locked_until)
VALUES ($1, 1, $2, $6)
ON CONFLICT (key_hash) DO UPDATE SET
	failures = CASE WHEN login_throttle.window_started_at <= $3 THEN 1 ELSE login_throttle.failures + 1 END,
	window_started_at = CASE WHEN login_throttle.window_started_at <= $3 THEN $2 ELSE login_throttle.window_started_at END,
	locked_until = CASE
		WHEN (CASE WHEN login_throttle.window_started_at <= $3 THEN 1 ELSE login_throttle.failures + 1 END) >= $4 THEN $5
		ELSE login_throttle.locked_until END
RETURNING failures, window_started_at, locked_until`,
		keyHash, tx.now, windowStart, max, tx.now.Add(lock), firstLock).
		Scan(&l.Failures, scanTime(&l.WindowStartedAt), scanNullTime(&l.LockedUntil))
	if err != nil {
		return nil, fmt.Errorf("store: record login failure: %w", err)
	}
	return &l, nil
}

// ClearLoginThrottle forgets a key's failures (after a successful sign-in).
func (tx *Tx) ClearLoginThrottle(ctx context.Context, keyHash string) error {
	_, err := tx.exec(ctx, `DELETE FROM login_throttle WHERE key_hash = $1`, keyHash)
	return err
}
