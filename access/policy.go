package access

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// Action is something a member may do in a workspace. Each action needs a
// minimum role; the table is MinRole.
type Action string

// Actions, grouped by the least role that may take them.
const (
	View Action = "view" // readonly

	Compose        Action = "compose" // operator
	Refresh        Action = "refresh"
	ReconcileNow   Action = "reconcile_now"
	ImportSnapshot Action = "import_snapshot"
	Retry          Action = "retry"
	Cancel         Action = "cancel"
	Acknowledge    Action = "acknowledge"

	Publish Action = "publish" // manager
	Archive Action = "archive"
	Restore Action = "restore"
	// ResolveAmbiguity settles a run blocked by several current reviews
	// of one evidence: it publishes, archives and supersedes reviews.
	ResolveAmbiguity Action = "resolve_ambiguity"

	ManageMembers Action = "manage_members" // owner
)

// MinRole returns the least role that may take the action. An unknown
// action needs more than any role has, so a typo fails closed.
func (a Action) MinRole() reckon.Role {
	switch a {
	case View:
		return reckon.RoleReadonly
	case Compose, Refresh, ReconcileNow, ImportSnapshot, Retry, Cancel, Acknowledge:
		return reckon.RoleOperator
	case Publish, Archive, Restore, ResolveAmbiguity:
		return reckon.RoleManager
	case ManageMembers:
		return reckon.RoleOwner
	}
	return ""
}

// Grant is what a user may do in one workspace: their role and, when
// restricted, the environments they are entitled to. It is the only way to
// a workspace's scope for transports: every lookup through it is scoped by
// the workspace and filtered by the entitlements.
type Grant struct {
	User      *reckon.User
	Workspace *reckon.Workspace
	Role      reckon.Role
	// Environments lists the entitled environment ids; empty means every
	// environment of the workspace.
	Environments []int64
}

// Authorize returns the user's grant in the workspace with the slug. A
// workspace that does not exist and one the user is not a member of answer
// the same not-found error, so that the answer tells nothing. Platform
// support gets no grant from that flag: it opens /system only.
func Authorize(ctx context.Context, tx *store.Tx, user *reckon.User, slug string) (*Grant, error) {
	if user == nil {
		return nil, unauthorized()
	}
	ws, err := tx.WorkspaceBySlug(ctx, slug)
	if err != nil {
		return nil, notFoundOr(err, "workspace")
	}
	m, err := tx.Membership(ctx, ws.ID, user.ID)
	if err != nil {
		return nil, notFoundOr(err, "workspace")
	}
	return &Grant{User: user, Workspace: ws, Role: m.Role, Environments: m.Environments}, nil
}

// Can reports whether the grant's role allows the action.
func (g *Grant) Can(a Action) bool {
	min := a.MinRole()
	return min != "" && g.Role.AtLeast(min)
}

// Require returns a forbidden error unless the grant's role allows the
// action. Callers check visibility first: what the caller may not see is
// not found, whatever they wanted to do with it.
func (g *Grant) Require(a Action) error {
	if g.Can(a) {
		return nil
	}
	return &reckon.Error{Code: reckon.CodeForbidden,
		Message: reckon.Msg("access.forbidden", "role", string(g.Role), "needed", string(a.MinRole()))}
}

// Restricted reports whether the member sees only some environments.
func (g *Grant) Restricted() bool { return len(g.Environments) > 0 }

// Sees reports whether the member may see the environment. Workspace-level
// records (environment 0) are hidden from restricted members: their
// entitlements name environments, and anything else fails closed.
func (g *Grant) Sees(environmentID int64) bool {
	if !g.Restricted() {
		return true
	}
	return environmentID != 0 && slices.Contains(g.Environments, environmentID)
}

// Scope returns the grant's workspace scope for an environment the caller
// has already been shown to see.
func (g *Grant) Scope(environmentID int64) reckon.Scope {
	return reckon.Scope{WorkspaceID: g.Workspace.ID, EnvironmentID: environmentID}
}

// VisibleEnvironments returns the environments of the workspace the member sees.
func (g *Grant) VisibleEnvironments(ctx context.Context, tx *store.Tx) ([]*reckon.Environment, error) {
	all, err := tx.Environments(ctx, g.Workspace.ID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(e *reckon.Environment) bool { return !g.Sees(e.ID) }), nil
}

// Environment returns an environment the member sees and may act on: not
// found when it is not in the workspace or not entitled, forbidden when the
// role does not allow the action.
func (g *Grant) Environment(ctx context.Context, tx *store.Tx, id int64, a Action) (*reckon.Environment, error) {
	if !g.Sees(id) {
		return nil, NotFound("environment")
	}
	env, err := tx.Environment(ctx, g.Workspace.ID, id)
	if err != nil {
		return nil, notFoundOr(err, "environment")
	}
	return env, g.Require(a)
}

// Run returns a run the member sees and may act on, with the same answers
// as Environment.
func (g *Grant) Run(ctx context.Context, tx *store.Tx, id int64, a Action) (*reckon.Run, error) {
	run, err := tx.Run(ctx, g.Workspace.ID, id)
	if err != nil {
		return nil, notFoundOr(err, "operation")
	}
	if !g.Sees(run.EnvironmentID) {
		return nil, NotFound("operation")
	}
	return run, g.Require(a)
}

// Review returns a review the member sees and may act on, with the same
// answers as Environment.
func (g *Grant) Review(ctx context.Context, tx *store.Tx, id int64, a Action) (*reckon.Review, error) {
	v, err := tx.Review(ctx, g.Workspace.ID, id)
	if err != nil {
		return nil, notFoundOr(err, "review")
	}
	if !g.Sees(v.EnvironmentID) {
		return nil, NotFound("review")
	}
	return v, g.Require(a)
}

// RunFilter limits a run list to the grant's workspace and entitlements. An
// environment filter the member may not see matches nothing, exactly like
// an environment that does not exist.
func (g *Grant) RunFilter(f store.RunFilter) store.RunFilter {
	f.WorkspaceID = g.Workspace.ID
	f.AllWorkspaces = false
	f.Restricted = g.Restricted()
	f.Environments = g.Environments
	return f
}

// RequirePlatformSupport opens the platform-wide /system surface. Everyone
// else is told it does not exist.
func RequirePlatformSupport(user *reckon.User) error {
	if user == nil {
		return unauthorized()
	}
	if !user.IsPlatformSupport {
		return NotFound("page")
	}
	return nil
}

// NotFound is the error for a record the caller may not see or that does
// not exist; the two are never told apart.
func NotFound(kind string) error {
	return &reckon.Error{Code: reckon.CodeNotFound, Message: reckon.Msg("access.not_found." + kind)}
}

// notFoundOr turns a store not-found into the caller-facing one and wraps
// anything else.
func notFoundOr(err error, kind string) error {
	if errors.Is(err, store.ErrNotFound) {
		return NotFound(kind)
	}
	return fmt.Errorf("access: load %s: %w", kind, err)
}

func unauthorized() error {
	return &reckon.Error{Code: reckon.CodeUnauthorized, Message: reckon.Msg("access.unauthorized")}
}
