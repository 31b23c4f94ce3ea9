package store

import (
	"context"
	"fmt"

	"github.com/reckonhq/reckon"
)

const userColumns = `id, email, name, password_hash, locale, is_platform_support, created_at`

func scanUser(r scanner) (*reckon.User, error) {
	var u reckon.User
	if err := r.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.Locale, &u.IsPlatformSupport, scanTime(&u.CreatedAt)); err != nil {
		return nil, interpret(err)
	}
	return &u, nil
}

// CreateUser inserts a user; ErrConflict when the email is taken.
func (tx *Tx) CreateUser(ctx context.Context, u *reckon.User) error {
	u.CreatedAt = tx.now
	err := tx.queryRow(ctx, `INSERT INTO users (email, name, password_hash, locale, is_platform_support, created_at)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, u.Email, u.Name, u.PasswordHash, u.Locale, u.IsPlatformSupport, tx.now).Scan(&u.ID)
	if err != nil {
		return fmt.Errorf("store: create user: %w", err)
	}
	return nil
}

// UserByEmail returns a user by email.
func (tx *Tx) UserByEmail(ctx context.Context, email string) (*reckon.User, error) {
	return scanUser(tx.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1`, email))
}

// UserByID returns a user by id.
func (tx *Tx) UserByID(ctx context.Context, id int64) (*reckon.User, error) {
	return scanUser(tx.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

// SetUserLocale stores a user's language choice.
func (tx *Tx) SetUserLocale(ctx context.Context, id int64, locale string) error {
	_, err := tx.exec(ctx, `UPDATE users SET locale = $2 WHERE id = $1`, id, locale)
	return err
}

// SetUserPassword replaces a user's password hash.
func (tx *Tx) SetUserPassword(ctx context.Context, userID int64, passwordHash string) error {
	n, err := tx.exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, passwordHash)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
