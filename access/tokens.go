package access

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// AuthenticateToken returns the user owning an unrevoked API token. A
// missing, unknown or revoked token answers the same unauthorized error.
func AuthenticateToken(ctx context.Context, tx *store.Tx, secret string) (*reckon.User, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return nil, unauthorized()
	}
	u, err := tx.UserByTokenHash(ctx, HashToken(secret))
	if errors.Is(err, store.ErrNotFound) {
		return nil, unauthorized()
	}
	if err != nil {
		return nil, fmt.Errorf("access: authenticate token: %w", err)
	}
	return u, nil
}

// IssueToken creates an API token for a user and returns its secret, which
// is shown once: only its hash is stored.
func IssueToken(ctx context.Context, tx *store.Tx, userID int64, name string) (secret string, token *store.APIToken, err error) {
	secret, hash, err := NewToken()
	if err != nil {
		return "", nil, fmt.Errorf("access: new token: %w", err)
	}
	token, err = tx.CreateToken(ctx, userID, name, hash)
	if err != nil {
		return "", nil, fmt.Errorf("access: issue token: %w", err)
	}
	return secret, token, nil
}

// RevokeToken revokes one of a user's tokens; a token of someone else or
// one already revoked is not found.
func RevokeToken(ctx context.Context, tx *store.Tx, userID, tokenID int64) error {
	if err := tx.RevokeToken(ctx, userID, tokenID); err != nil {
		return notFoundOr(err, "token")
	}
	return nil
}
