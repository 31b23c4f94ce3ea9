package store

import (
	"context"
	"fmt"
)

// UserSettings are a user's console settings; the zero value is the
// default: the browser's time zone, every notification shown.
type UserSettings struct {
	TimeZone    string // an IANA name such as "Europe/Berlin"; "" for the browser's
	MuteSuccess bool   // hide notifications of runs that succeeded
}

// UserSettingsOf returns a user's settings, the defaults when none are saved.
func (tx *Tx) UserSettingsOf(ctx context.Context, userID int64) (UserSettings, error) {
	var s UserSettings
	err := tx.queryRow(ctx, `SELECT time_zone, mute_success_notifications FROM user_settings WHERE user_id = $1`, userID).
		Scan(&s.TimeZone, &s.MuteSuccess)
	if IsNotFound(interpret(err)) {
		return UserSettings{}, nil
	}
	if err != nil {
		return s, fmt.Errorf("store: user settings: %w", err)
	}
	return s, nil
}

// PutUserSettings saves a user's settings.
func (tx *Tx) PutUserSettings(ctx context.Context, userID int64, s UserSettings) error {
	_, err := tx.exec(ctx, `INSERT INTO user_settings (user_id, time_zone, mute_success_notifications, updated_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (user_id) DO UPDATE SET time_zone = excluded.time_zone,
	mute_success_notifications = excluded.mute_success_notifications, updated_at = excluded.updated_at`,
		userID, s.TimeZone, s.MuteSuccess, tx.now)
	if err != nil {
		return fmt.Errorf("store: put user settings: %w", err)
	}
	return nil
}
