package store

import (
	"context"
	"fmt"
	"time"
)

// LoginThrottle is the sign-in attempt count of one key (an account or a
// client address, stored hashed) in its current window.
type LoginThrottle struct {
	Attempts        int
	WindowStartedAt time.Time
	LockedUntil     *time.Time // nil when not locked
}

// Locked reports whether the key is locked at now.
func (l *LoginThrottle) Locked(now time.Time) bool {
	return l != nil && l.LockedUntil != nil && now.Before(*l.LockedUntil)
}

// LoginThrottleByKey returns a key's throttle; ErrNotFound when it has no
// attempts on record.
func (tx *Tx) LoginThrottleByKey(ctx context.Context, keyHash string) (*LoginThrottle, error) {
	var l LoginThrottle
	err := tx.queryRow(ctx, `SELECT failures, window_started_at, locked_until FROM login_throttle WHERE key_hash = $1`, keyHash).
		Scan(&l.Attempts, scanTime(&l.WindowStartedAt), scanNullTime(&l.LockedUntil))
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// ReserveLoginAttempt counts one sign-in attempt of a key before its
// password is checked, in one statement, and returns the count with it:
// concurrent attempts each get their own number, so the caller lets the
// first max through to a password check and refuses the rest unchecked.
// The attempt that reaches max locks the key for lock (a right password
// then clears it); while the lock holds, the count only grows. An expired
// lock, or a window older than window without a lock, starts again at one.
func (tx *Tx) ReserveLoginAttempt(ctx context.Context, keyHash string, window time.Duration, max int, lock time.Duration) (*LoginThrottle, error) {
	var l LoginThrottle
	lockEnd := tx.now.Add(lock)
	var firstLock *time.Time // a first attempt that already reaches max
	if max <= 1 {
		firstLock = &lockEnd
	}
	const restart = `((login_throttle.locked_until IS NULL AND login_throttle.window_started_at <= $3) OR login_throttle.locked_until <= $2)`
	err := tx.queryRow(ctx, `INSERT INTO login_throttle (key_hash, failures, window_started_at, locked_until)
VALUES ($1, 1, $2, $6)
ON CONFLICT (key_hash) DO UPDATE SET
	failures = CASE WHEN `+restart+` THEN 1 ELSE login_throttle.failures + 1 END,
	window_started_at = CASE WHEN `+restart+` THEN $2 ELSE login_throttle.window_started_at END,
	locked_until = CASE
		WHEN `+restart+` THEN $6
		WHEN login_throttle.locked_until > $2 THEN login_throttle.locked_until
		WHEN login_throttle.failures + 1 >= $4 THEN $5
		ELSE NULL END
RETURNING failures, window_started_at, locked_until`,
		keyHash, tx.now, tx.now.Add(-window), max, lockEnd, firstLock).
		Scan(&l.Attempts, scanTime(&l.WindowStartedAt), scanNullTime(&l.LockedUntil))
	if err != nil {
		return nil, fmt.Errorf("store: reserve login attempt: %w", err)
	}
	return &l, nil
}

// ReleaseLoginAttempt takes back an attempt that turned out right, so that
// successful sign-ins do not count against a key shared by many people (a
// client address). The lock goes if that attempt was the one that set it.
func (tx *Tx) ReleaseLoginAttempt(ctx context.Context, keyHash string, max int) error {
	_, err := tx.exec(ctx, `UPDATE login_throttle SET failures = failures - 1,
	locked_until = CASE WHEN failures - 1 < $2 THEN NULL ELSE locked_until END
WHERE key_hash = $1 AND failures > 0`, keyHash, max)
	return err
}

// ClearLoginThrottle forgets a key's attempts (after a successful sign-in).
func (tx *Tx) ClearLoginThrottle(ctx context.Context, keyHash string) error {
	_, err := tx.exec(ctx, `DELETE FROM login_throttle WHERE key_hash = $1`, keyHash)
	return err
}
