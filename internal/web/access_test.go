package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/internal/web"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// Resolve answers every route the same way on both engines: the caller,
// then the grant, then the records of the path, each refused as the
// access policy says.
func TestResolve(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		fx := reckontest.NewFixture(t, db)
		ws, other := fx.Workspace(), fx.Workspace()
		env1, env2 := fx.Environment(ws), fx.Environment(ws)
		operator, readonly, restricted := fx.User("x"), fx.User("x"), fx.User("x")
		fx.Member(ws, operator, reckon.RoleOperator)
		fx.Member(ws, readonly, reckon.RoleReadonly)
		fx.Member(ws, restricted, reckon.RoleOwner, env1.ID)
		otherOwner := fx.User("x")
		fx.Member(other, otherOwner, reckon.RoleOwner)

		as := func(u *reckon.User) web.Authenticate {
			return func(context.Context, *store.Tx) (*reckon.User, error) { return u, nil }
		}
		resolve := func(workspace, env string, need web.Need, auth web.Authenticate) (*web.Access, error) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.SetPathValue("workspace", workspace)
			r.SetPathValue("env", env)
			a := &web.Access{}
			return a, web.Resolve(r, db, need, auth, a)
		}
		id := func(e *reckon.Environment) string { return strconv.FormatInt(e.ID, 10) }
		compose := web.Need{Environment: access.Compose}

		a, err := resolve(ws.Slug, id(env2), compose, as(operator))
		if err != nil || a.User != operator || a.Grant.Role != reckon.RoleOperator || a.Environment.ID != env2.ID {
			t.Fatalf("operator composes: %+v %v", a, err)
		}
		if _, err := resolve(ws.Slug, "", web.Need{}, nil); err != nil {
			t.Fatalf("anonymous on a public route: %v", err)
		}
		for name, need := range map[string]web.Need{"signed in": {SignedIn: true}, "system": {System: true}, "workspace": compose} {
			if _, err := resolve(ws.Slug, id(env1), need, nil); !errors.Is(err, web.ErrSignedOut) {
				t.Errorf("anonymous on a %s route: %v", name, err)
			}
			if _, err := resolve(ws.Slug, id(env1), need, as(nil)); !errors.Is(err, web.ErrSignedOut) {
				t.Errorf("no session on a %s route: %v", name, err)
			}
		}

		refused := []struct {
			name      string
			workspace string
			env       string
			need      web.Need
			user      *reckon.User
			code      reckon.ErrorCode
		}{
			{"not a member", other.Slug, id(env1), compose, operator, reckon.CodeNotFound},
			{"no such workspace", "nowhere", id(env1), compose, operator, reckon.CodeNotFound},
			{"environment of another workspace", other.Slug, id(env1), compose, otherOwner, reckon.CodeNotFound},
			{"not an id", ws.Slug, "x", compose, operator, reckon.CodeNotFound},
			{"not entitled", ws.Slug, id(env2), compose, restricted, reckon.CodeNotFound},
			{"role too low", ws.Slug, id(env1), compose, readonly, reckon.CodeForbidden},
			{"not platform support", ws.Slug, "", web.Need{System: true}, operator, reckon.CodeNotFound},
		}
		for _, c := range refused {
			a, err := resolve(c.workspace, c.env, c.need, as(c.user))
			if reckon.ErrorCodeOf(err) != c.code {
				t.Errorf("%s: %v, want %s", c.name, err, c.code)
			}
			if a.User != c.user {
				t.Errorf("%s: the caller is lost: %+v", c.name, a)
			}
		}

		failing := errors.New("session store down")
		_, err = resolve(ws.Slug, id(env1), compose, func(context.Context, *store.Tx) (*reckon.User, error) { return nil, failing })
		if !errors.Is(err, failing) {
			t.Fatalf("authentication failure: %v", err)
		}
	})
}
