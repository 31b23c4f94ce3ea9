package store

import (
	"context"
	"fmt"

	"github.com/reckonhq/reckon"
)

// PutMembership adds a member or changes their role, and replaces their
// environment entitlements (none means every environment).
func (tx *Tx) PutMembership(ctx context.Context, m *reckon.Membership) error {
	_, err := tx.exec(ctx, `INSERT INTO workspace_memberships (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role`, m.WorkspaceID, m.UserID, string(m.Role), tx.now)
	if err != nil {
		return fmt.Errorf("store: put membership: %w", err)
	}
	if _, err := tx.exec(ctx, `DELETE FROM environment_entitlements WHERE workspace_id = $1 AND user_id = $2`, m.WorkspaceID, m.UserID); err != nil {
		return err
	}
	for _, envID := range m.Environments {
		if _, err := tx.exec(ctx, `INSERT INTO environment_entitlements (workspace_id, user_id, environment_id) VALUES ($1, $2, $3)`,
			m.WorkspaceID, m.UserID, envID); err != nil {
			return fmt.Errorf("store: put entitlement: %w", err)
		}
	}
	return nil
}

// Membership returns a user's membership of a workspace with entitlements.
func (tx *Tx) Membership(ctx context.Context, workspaceID, userID int64) (*reckon.Membership, error) {
	m := &reckon.Membership{WorkspaceID: workspaceID, UserID: userID}
	err := tx.queryRow(ctx, `SELECT role FROM workspace_memberships WHERE workspace_id = $1 AND user_id = $2`,
		workspaceID, userID).Scan(&m.Role)
	if err != nil {
		return nil, interpret(err)
	}
	r, err := tx.query(ctx, `SELECT environment_id FROM environment_entitlements WHERE workspace_id = $1 AND user_id = $2 ORDER BY environment_id`,
		workspaceID, userID)
	if err != nil {
		return nil, err
	}
	m.Environments, err = collect(r, scanValue[int64])
	return m, err
}
