package web

import (
	"context"
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/internal/validate"
	"github.com/reckonhq/reckon/store"
)

// Need is what a route resolves before its handler runs. The records of
// the path are loaded through the caller's grant in the {workspace} of the
// path, for the action given: not found when the caller may not see them,
// forbidden when their role does not allow the action.
type Need struct {
	// SignedIn refuses anonymous callers with ErrSignedOut.
	SignedIn bool
	// System opens the route to platform support only.
	System bool
	// Workspace resolves the caller's grant in {workspace}.
	Workspace bool
	// Environment, when set, loads the {env} environment for that action.
	Environment access.Action
	// Review, when set, loads the {id} review for that action.
	Review access.Action
	// Run, when set, loads the {id} operation run for that action.
	Run access.Action
}

func (n Need) grant() bool {
	return n.Workspace || n.Environment != "" || n.Review != "" || n.Run != ""
}

// Access is what a request resolved: its caller and, as its route needs,
// their grant and the records of the path.
type Access struct {
	User        *reckon.User
	Grant       *access.Grant
	Environment *reckon.Environment
	Review      *reckon.Review
	Run         *reckon.Run
}

// Resolved returns the access itself, so that a surface's request type
// that embeds Access serves the route helpers.
func (a *Access) Resolved() *Access { return a }

// ErrSignedOut refuses an anonymous caller on a route that needs one. A
// surface may answer it its own way (the console sends GETs to sign in).
var ErrSignedOut error = &reckon.Error{Code: reckon.CodeUnauthorized, Message: reckon.Msg("access.unauthorized")}

// Authenticate names the caller of a request inside its transaction; a
// nil user is an anonymous caller.
type Authenticate func(ctx context.Context, tx *store.Tx) (*reckon.User, error)

// Resolve fills a with the caller and what need asks for, all in one
// transaction. A nil authenticate is an anonymous caller and reads
// nothing. On error, a keeps what was resolved before it (the caller, so
// that the answer can be in their language).
func Resolve(r *http.Request, db *store.DB, need Need, authenticate Authenticate, a *Access) error {
	anonymous := func() error {
		if need.SignedIn || need.System || need.grant() {
			return ErrSignedOut
		}
		return nil
	}
	if authenticate == nil {
		return anonymous()
	}
	ctx := r.Context()
	return db.InTx(ctx, func(tx *store.Tx) (err error) {
		if a.User, err = authenticate(ctx, tx); err != nil {
			return err
		}
		if a.User == nil {
			return anonymous()
		}
		if need.System {
			if err := access.RequirePlatformSupport(a.User); err != nil {
				return err
			}
		}
		if !need.grant() {
			return nil
		}
		slug := r.PathValue("workspace")
		if !validate.Text(slug) {
			// No workspace has such a slug, and PostgreSQL would refuse
			// to compare it.
			return access.NotFound("workspace")
		}
		if a.Grant, err = access.Authorize(ctx, tx, a.User, slug); err != nil {
			return err
		}
		if need.Environment != "" {
			if a.Environment, err = load(r, "env", "environment", func(id int64) (*reckon.Environment, error) {
				return a.Grant.Environment(ctx, tx, id, need.Environment)
			}); err != nil {
				return err
			}
		}
		if need.Review != "" {
			if a.Review, err = load(r, "id", "review", func(id int64) (*reckon.Review, error) {
				return a.Grant.Review(ctx, tx, id, need.Review)
			}); err != nil {
				return err
			}
		}
		if need.Run != "" {
			a.Run, err = load(r, "id", "operation", func(id int64) (*reckon.Run, error) {
				return a.Grant.Run(ctx, tx, id, need.Run)
			})
		}
		return err
	})
}

// load reads the record the path names through find.
func load[T any](r *http.Request, name, kind string, find func(id int64) (T, error)) (T, error) {
	id, err := PathID(r, name, kind)
	if err != nil {
		var zero T
		return zero, err
	}
	return find(id)
}

// PathID reads a record id from the path in its one canonical form
// (validate.ID); anything else, "01" and "+1" too, names nothing that
// exists (a not-found of the kind).
func PathID(r *http.Request, name, kind string) (int64, error) {
	id, ok := validate.ID(r.PathValue(name))
	if !ok {
		return 0, access.NotFound(kind)
	}
	return id, nil
}

// Resolver is a surface's request type: it embeds Access.
type Resolver interface{ Resolved() *Access }

// Handler serves a request of a surface.
type Handler[C any] func(w http.ResponseWriter, r *http.Request, c C) error

// GrantHandler serves a request in a workspace, with the caller's grant.
type GrantHandler[C any] func(w http.ResponseWriter, r *http.Request, c C, g *access.Grant) error

// Route is a handler with what it needs resolved first.
type Route[C any] struct {
	Need  Need
	Serve Handler[C]
}

// Plain is a route that needs nothing resolved beyond its surface's
// authentication.
func Plain[C any](fn Handler[C]) Route[C] { return Route[C]{Serve: fn} }

// System is a route for platform support only; others are told it does
// not exist.
func System[C any](fn Handler[C]) Route[C] {
	return Route[C]{Need: Need{System: true}, Serve: fn}
}

// InWorkspace is a route in the {workspace} of the path: a workspace the
// caller is not a member of does not exist for them.
func InWorkspace[C Resolver](fn GrantHandler[C]) Route[C] { return Granted(Need{Workspace: true}, fn) }

// Granted is a route in the {workspace} of the path that loads what need
// names through the grant before fn runs.
func Granted[C Resolver](need Need, fn GrantHandler[C]) Route[C] {
	need.Workspace = true
	return Route[C]{Need: need, Serve: func(w http.ResponseWriter, r *http.Request, c C) error {
		return fn(w, r, c, c.Resolved().Grant)
	}}
}

// InEnvironment is a route that loads the {env} environment of the path
// through the grant for the action.
func InEnvironment[C Resolver](a access.Action, fn GrantHandler[C]) Route[C] {
	return Granted(Need{Environment: a}, fn)
}

// WithReview is a route that loads the {id} review of the path through the
// grant for the action.
func WithReview[C Resolver](a access.Action, fn GrantHandler[C]) Route[C] {
	return Granted(Need{Review: a}, fn)
}

// WithRun is a route that loads the {id} operation run of the path through
// the grant for the action.
func WithRun[C Resolver](a access.Action, fn GrantHandler[C]) Route[C] {
	return Granted(Need{Run: a}, fn)
}
