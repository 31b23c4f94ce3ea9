package store

import (
	"context"
	"fmt"
	"time"

	"github.com/reckonhq/reckon"
)

// APIToken is a stored API token; only its hash is kept.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// CreateToken stores a token hash for a user.
func (tx *Tx) CreateToken(ctx context.Context, userID int64, name, tokenHash string) (*APIToken, error) {
	t := &APIToken{UserID: userID, Name: name, CreatedAt: tx.now}
	err := tx.queryRow(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		userID, name, tokenHash, tx.now).Scan(&t.ID)
	if err != nil {
		return nil, fmt.Errorf("store: create token: %w", err)
	}
	return t, nil
}

// UserByTokenHash returns the user owning an unrevoked token.
func (tx *Tx) UserByTokenHash(ctx context.Context, tokenHash string) (*reckon.User, error) {
	return scanUser(tx.queryRow(ctx, `SELECT u.id, u.email, u.name, u.password_hash, u.locale, u.is_platform_support, u.created_at
FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL`, tokenHash))
}

// RevokeToken revokes a user's token by id.
func (tx *Tx) RevokeToken(ctx context.Context, userID, tokenID int64) error {
	n, err := tx.exec(ctx, `UPDATE api_tokens SET revoked_at = $3 WHERE user_id = $1 AND id = $2 AND revoked_at IS NULL`,
		userID, tokenID, tx.now)
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
