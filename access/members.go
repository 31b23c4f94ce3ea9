package access

import (
	"context"
	"errors"
	"fmt"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// PutMembership validates and stores a membership: a known role and
// entitlements that name environments of the same workspace. Administrative
// callers (the CLI) use it directly; members go through Grant.PutMember.
func PutMembership(ctx context.Context, tx *store.Tx, m *reckon.Membership) error {
	v := reckon.ValidationErrors{}
	if !m.Role.Valid() {
		v.Add("role", "access.role_invalid", "role", string(m.Role))
	}
	for i, envID := range m.Environments {
		if _, err := tx.Environment(ctx, m.WorkspaceID, envID); err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("access: check environment %d: %w", envID, err)
			}
			v.Add(fmt.Sprintf("environments[%d]", i), "access.environment_unknown", "id", envID)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := tx.PutMembership(ctx, m); err != nil {
		return fmt.Errorf("access: put membership: %w", err)
	}
	return nil
}

// PutMember adds a member to the grant's workspace or changes their role and
// entitlements; only owners may.
func (g *Grant) PutMember(ctx context.Context, tx *store.Tx, userID int64, role reckon.Role, environments []int64) error {
	if err := g.Require(ManageMembers); err != nil {
		return err
	}
	return PutMembership(ctx, tx, &reckon.Membership{WorkspaceID: g.Workspace.ID, UserID: userID, Role: role, Environments: environments})
}
