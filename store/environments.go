package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/reckonhq/reckon"
)

const environmentColumns = `id, workspace_id, slug, name, tenant_id, created_at`

func scanEnvironment(r scanner) (*reckon.Environment, error) {
	var e reckon.Environment
	if err := r.Scan(&e.ID, &e.WorkspaceID, &e.Slug, &e.Name, scanNullString(&e.TenantID), scanTime(&e.CreatedAt)); err != nil {
		return nil, interpret(err)
	}
	return &e, nil
}

// CreateEnvironment inserts a managed environment; ErrConflict when the slug
// is taken in the workspace.
func (tx *Tx) CreateEnvironment(ctx context.Context, workspaceID int64, slug, name, tenantID string) (*reckon.Environment, error) {
	e := &reckon.Environment{WorkspaceID: workspaceID, Slug: slug, Name: name, TenantID: tenantID, CreatedAt: tx.now}
	err := tx.queryRow(ctx, `INSERT INTO managed_environments (workspace_id, slug, name, tenant_id, created_at)
VALUES ($1, $2, $3, $4, $5) RETURNING id`, workspaceID, slug, name, nullableString(tenantID), tx.now).Scan(&e.ID)
	if err != nil {
		return nil, fmt.Errorf("store: create environment: %w", err)
	}
	return e, nil
}

// Environment returns an environment of a workspace by id.
func (tx *Tx) Environment(ctx context.Context, workspaceID, id int64) (*reckon.Environment, error) {
	return scanEnvironment(tx.queryRow(ctx, `SELECT `+environmentColumns+` FROM managed_environments
WHERE workspace_id = $1 AND id = $2`, workspaceID, id))
}

// EnvironmentBySlug returns an environment of a workspace by slug.
func (tx *Tx) EnvironmentBySlug(ctx context.Context, workspaceID int64, slug string) (*reckon.Environment, error) {
	return scanEnvironment(tx.queryRow(ctx, `SELECT `+environmentColumns+` FROM managed_environments
WHERE workspace_id = $1 AND slug = $2`, workspaceID, slug))
}

// Environments returns a workspace's environments by slug.
func (tx *Tx) Environments(ctx context.Context, workspaceID int64) ([]*reckon.Environment, error) {
	r, err := tx.query(ctx, `SELECT `+environmentColumns+` FROM managed_environments WHERE workspace_id = $1 ORDER BY slug`, workspaceID)
	if err != nil {
		return nil, err
	}
	return collect(r, func(r rows) (*reckon.Environment, error) { return scanEnvironment(r) })
}

// SetEnvironmentTenant records the external tenant an environment stands for.
func (tx *Tx) SetEnvironmentTenant(ctx context.Context, workspaceID, id int64, tenantID string) error {
	n, err := tx.exec(ctx, `UPDATE managed_environments SET tenant_id = $3 WHERE workspace_id = $1 AND id = $2`,
		workspaceID, id, nullableString(tenantID))
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// LockEnvironment locks an environment's row until the transaction ends. The
// review lifecycle takes it so that two reviews of one environment never
// become ready or published on stale reads of each other.
func (tx *Tx) LockEnvironment(ctx context.Context, scope reckon.Scope) error {
	q := `SELECT id FROM managed_environments WHERE workspace_id = $1 AND id = $2`
	if tx.engine == Postgres {
		// NO KEY UPDATE, so that runs of the environment can still be
		// inserted meanwhile. Snapshots and reviews wait: inserting one
		// updates the fleet's headline on this row (migration 8).
		q += ` FOR NO KEY UPDATE`
	}
	var id int64
	return tx.queryRow(ctx, q, scope.WorkspaceID, scope.EnvironmentID).Scan(&id)
}

// LockEnvironments locks environments' rows as LockEnvironment does, in
// id order, so that two callers locking overlapping sets never wait for
// each other in a circle; it returns how many of the ids are environments
// of the workspace.
func (tx *Tx) LockEnvironments(ctx context.Context, workspaceID int64, ids []int64) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	args := []any{workspaceID}
	q := `SELECT id FROM managed_environments WHERE workspace_id = $1 AND id IN (` + idList(&args, ids) + `) ORDER BY id`
	if tx.engine == Postgres {
		q += ` FOR NO KEY UPDATE` // as in LockEnvironment; rows are locked as the sort emits them
	}
	r, err := tx.query(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("store: lock environments: %w", err)
	}
	locked, err := collect(r, scanValue[int64])
	return len(locked), err
}

// ClaimEnvironmentTenant records tenantID as the environment's tenant unless
// one is recorded already, and returns the tenant the environment has
// afterwards. Concurrent claims settle on the first committed one: the
// conditional update re-checks the row after waiting for its lock.
func (tx *Tx) ClaimEnvironmentTenant(ctx context.Context, scope reckon.Scope, tenantID string) (string, error) {
	if _, err := tx.exec(ctx, `UPDATE managed_environments SET tenant_id = $3
WHERE workspace_id = $1 AND id = $2 AND (tenant_id IS NULL OR tenant_id = '')`,
		scope.WorkspaceID, scope.EnvironmentID, strings.TrimSpace(tenantID)); err != nil {
		return "", fmt.Errorf("store: claim environment tenant: %w", err)
	}
	var recorded string
	err := tx.queryRow(ctx, `SELECT tenant_id FROM managed_environments WHERE workspace_id = $1 AND id = $2`,
		scope.WorkspaceID, scope.EnvironmentID).Scan(scanNullString(&recorded))
	return recorded, err
}
