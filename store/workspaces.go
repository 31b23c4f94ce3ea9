package store

import (
	"context"
	"fmt"

	"github.com/reckonhq/reckon"
)

// CreateWorkspace inserts a workspace; ErrConflict when the slug is taken.
func (tx *Tx) CreateWorkspace(ctx context.Context, slug, name string) (*reckon.Workspace, error) {
	w := &reckon.Workspace{Slug: slug, Name: name, CreatedAt: tx.now}
	err := tx.queryRow(ctx, `INSERT INTO workspaces (slug, name, created_at) VALUES ($1, $2, $3) RETURNING id`,
		slug, name, tx.now).Scan(&w.ID)
	if err != nil {
		return nil, fmt.Errorf("store: create workspace: %w", err)
	}
	return w, nil
}

const workspaceColumns = `id, slug, name, created_at`

func scanWorkspace(r scanner) (*reckon.Workspace, error) {
	var w reckon.Workspace
	if err := r.Scan(&w.ID, &w.Slug, &w.Name, scanTime(&w.CreatedAt)); err != nil {
		return nil, interpret(err)
	}
	return &w, nil
}

// WorkspaceBySlug returns a workspace by slug.
func (tx *Tx) WorkspaceBySlug(ctx context.Context, slug string) (*reckon.Workspace, error) {
	return scanWorkspace(tx.queryRow(ctx, `SELECT `+workspaceColumns+` FROM workspaces WHERE slug = $1`, slug))
}

// WorkspaceByID returns a workspace by id.
func (tx *Tx) WorkspaceByID(ctx context.Context, id int64) (*reckon.Workspace, error) {
	return scanWorkspace(tx.queryRow(ctx, `SELECT `+workspaceColumns+` FROM workspaces WHERE id = $1`, id))
}

// Workspaces returns every workspace, by slug.
func (tx *Tx) Workspaces(ctx context.Context) ([]*reckon.Workspace, error) {
	r, err := tx.query(ctx, `SELECT `+workspaceColumns+` FROM workspaces ORDER BY slug`)
	if err != nil {
		return nil, err
	}
	return collect(r, func(r rows) (*reckon.Workspace, error) { return scanWorkspace(r) })
}

// WorkspacesOfUser returns the workspaces a user is a member of, by slug.
func (tx *Tx) WorkspacesOfUser(ctx context.Context, userID int64) ([]*reckon.Workspace, error) {
	r, err := tx.query(ctx, `SELECT w.id, w.slug, w.name, w.created_at FROM workspaces w
JOIN workspace_memberships m ON m.workspace_id = w.id WHERE m.user_id = $1 ORDER BY w.slug`, userID)
	if err != nil {
		return nil, err
	}
	return collect(r, func(r rows) (*reckon.Workspace, error) { return scanWorkspace(r) })
}
