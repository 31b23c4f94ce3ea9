package store

import (
	"context"
	"fmt"
	"strings"
	"time"

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
	m.Environments, err = collect(r, func(r rows) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	return m, err
}

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

// LockEnvironment locks an environment's row until the transaction ends. The
// review lifecycle takes it so that two reviews of one environment never
// become ready or published on stale reads of each other.
func (tx *Tx) LockEnvironment(ctx context.Context, scope reckon.Scope) error {
	q := `SELECT id FROM managed_environments WHERE workspace_id = $1 AND id = $2`
	if tx.engine == Postgres {
		// NO KEY UPDATE, so that runs, snapshots and reviews of the
		// environment can still be inserted meanwhile.
		q += ` FOR NO KEY UPDATE`
	}
	var id int64
	return tx.queryRow(ctx, q, scope.WorkspaceID, scope.EnvironmentID).Scan(&id)
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
