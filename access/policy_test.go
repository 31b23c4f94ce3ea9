package access_test

import (
	"context"
	"errors"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

func TestRolesAllowTheirActions(t *testing.T) {
	t.Parallel()
	allowed := map[reckon.Role][]access.Action{
		reckon.RoleReadonly: {access.View},
		reckon.RoleOperator: {access.View, access.Compose, access.Refresh, access.ReconcileNow, access.ImportSnapshot},
		reckon.RoleManager: {access.View, access.Compose, access.Refresh, access.ReconcileNow, access.ImportSnapshot,
			access.Publish, access.Archive, access.Restore, access.ResolveAmbiguity},
		reckon.RoleOwner: {access.View, access.Compose, access.Refresh, access.ReconcileNow, access.ImportSnapshot,
			access.Publish, access.Archive, access.Restore, access.ResolveAmbiguity, access.ManageMembers},
	}
	every := allowed[reckon.RoleOwner]
	for _, role := range reckon.Roles {
		g := &access.Grant{Role: role}
		for _, a := range every {
			want := false
			for _, ok := range allowed[role] {
				want = want || ok == a
			}
			if g.Can(a) != want {
				t.Errorf("%s may %s: %v, want %v", role, a, g.Can(a), want)
			}
			err := g.Require(a)
			if want != (err == nil) || (err != nil && reckon.ErrorCodeOf(err) != reckon.CodeForbidden) {
				t.Errorf("%s Require(%s) = %v", role, a, err)
			}
		}
	}
	if (&access.Grant{Role: reckon.RoleOwner}).Can(access.Action("typo")) {
		t.Error("an unknown action is allowed")
	}
}

func TestAuthorizeAndVisibility(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := reckontest.NewFixture(t, db)
		wsA, wsB := fx.Workspace(), fx.Workspace()
		envA1, envA2, envB := fx.Environment(wsA), fx.Environment(wsA), fx.Environment(wsB)
		full, restricted, stranger := fx.User("x"), fx.User("x"), fx.User("x")
		fx.Member(wsA, full, reckon.RoleReadonly)
		fx.Member(wsA, restricted, reckon.RoleManager, envA1.ID)
		support := &reckon.User{Email: "support@example.test", Name: "S", PasswordHash: "x", IsPlatformSupport: true}

		var runA2, runB *reckon.Run
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateUser(ctx, support); err != nil {
				return err
			}
			l := ledger.New(catalog.Default(), nil)
			var err error
			if runA2, _, err = l.Ensure(ctx, tx, &ledger.EnsureParams{Scope: reckon.Scope{WorkspaceID: wsA.ID, EnvironmentID: envA2.ID},
				Type: reckon.RunTypeRestoreExecute, Key: "a2"}); err != nil {
				return err
			}
			runB, _, err = l.Ensure(ctx, tx, &ledger.EnsureParams{Scope: reckon.Scope{WorkspaceID: wsB.ID, EnvironmentID: envB.ID},
				Type: reckon.RunTypeRestoreExecute, Key: "b"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}

		code := func(err error) reckon.ErrorCode { return reckon.ErrorCodeOf(err) }
		err = db.InTx(ctx, func(tx *store.Tx) error {
			// Not a member, platform support and a missing workspace look the same.
			for _, u := range []*reckon.User{stranger, support} {
				if _, err := access.Authorize(ctx, tx, u, wsA.Slug); code(err) != reckon.CodeNotFound {
					t.Errorf("user %s in a foreign workspace: %v", u.Email, err)
				}
			}
			if _, err := access.Authorize(ctx, tx, full, "no-such-workspace"); code(err) != reckon.CodeNotFound {
				t.Errorf("missing workspace: %v", err)
			}
			if _, err := access.Authorize(ctx, tx, nil, wsA.Slug); code(err) != reckon.CodeUnauthorized {
				t.Errorf("anonymous: %v", err)
			}

			g, err := access.Authorize(ctx, tx, full, wsA.Slug)
			if err != nil {
				return err
			}
			if _, err := g.Environment(ctx, tx, envA2.ID, access.View); err != nil {
				t.Errorf("readonly view: %v", err)
			}
			if _, err := g.Environment(ctx, tx, envA2.ID, access.Compose); code(err) != reckon.CodeForbidden {
				t.Errorf("readonly compose: %v", err)
			}
			if _, err := g.Environment(ctx, tx, envB.ID, access.View); code(err) != reckon.CodeNotFound {
				t.Errorf("environment of another workspace: %v", err)
			}
			if _, err := g.Run(ctx, tx, runB.ID, access.View); code(err) != reckon.CodeNotFound {
				t.Errorf("run of another workspace: %v", err)
			}

			r, err := access.Authorize(ctx, tx, restricted, wsA.Slug)
			if err != nil {
				return err
			}
			envs, err := r.VisibleEnvironments(ctx, tx)
			if err != nil || len(envs) != 1 || envs[0].ID != envA1.ID {
				t.Errorf("restricted environments: %v %v", envs, err)
			}
			// Not entitled wins over the role: not found, not forbidden.
			if _, err := r.Environment(ctx, tx, envA2.ID, access.Publish); code(err) != reckon.CodeNotFound {
				t.Errorf("restricted, other environment: %v", err)
			}
			if _, err := r.Run(ctx, tx, runA2.ID, access.View); code(err) != reckon.CodeNotFound {
				t.Errorf("restricted, run of other environment: %v", err)
			}
			if _, err := r.Environment(ctx, tx, envA1.ID, access.Publish); err != nil {
				t.Errorf("restricted manager, entitled environment: %v", err)
			}
			f := r.RunFilter(store.RunFilter{AllWorkspaces: true, Limit: 10})
			if f.AllWorkspaces || f.WorkspaceID != wsA.ID || !f.Restricted {
				t.Errorf("run filter not scoped: %+v", f)
			}
			runs, err := tx.ListRuns(ctx, &f)
			if err != nil || len(runs) != 0 {
				t.Errorf("restricted list: %v %v", runs, err)
			}

			if err := access.RequirePlatformSupport(full); code(err) != reckon.CodeNotFound {
				t.Errorf("member on /system: %v", err)
			}
			if err := access.RequirePlatformSupport(support); err != nil {
				t.Errorf("support on /system: %v", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestTokensAndMembers(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := reckontest.NewFixture(t, db)
		ws, other := fx.Workspace(), fx.Workspace()
		env, foreignEnv := fx.Environment(ws), fx.Environment(other)
		owner, operator, newcomer := fx.User("x"), fx.User("x"), fx.User("x")
		fx.Member(ws, owner, reckon.RoleOwner)
		fx.Member(ws, operator, reckon.RoleOperator)

		err := db.InTx(ctx, func(tx *store.Tx) error {
			secret, tok, err := access.IssueToken(ctx, tx, owner.ID, "cli")
			if err != nil {
				return err
			}
			u, err := access.AuthenticateToken(ctx, tx, secret)
			if err != nil || u.ID != owner.ID {
				t.Fatalf("authenticate: %v %v", u, err)
			}
			for _, bad := range []string{"", "rk_nope", secret[len(access.TokenPrefix):], access.HashToken(secret)} {
				if _, err := access.AuthenticateToken(ctx, tx, bad); reckon.ErrorCodeOf(err) != reckon.CodeUnauthorized {
					t.Errorf("token %q: %v", bad, err)
				}
			}
			if err := access.RevokeToken(ctx, tx, operator.ID, tok.ID); reckon.ErrorCodeOf(err) != reckon.CodeNotFound {
				t.Errorf("revoking someone else's token: %v", err)
			}
			if err := access.RevokeToken(ctx, tx, owner.ID, tok.ID); err != nil {
				return err
			}
			if _, err := access.AuthenticateToken(ctx, tx, secret); reckon.ErrorCodeOf(err) != reckon.CodeUnauthorized {
				t.Errorf("revoked token: %v", err)
			}

			og, err := access.Authorize(ctx, tx, owner, ws.Slug)
			if err != nil {
				return err
			}
			pg, err := access.Authorize(ctx, tx, operator, ws.Slug)
			if err != nil {
				return err
			}
			if err := pg.PutMember(ctx, tx, newcomer.ID, reckon.RoleReadonly, nil); reckon.ErrorCodeOf(err) != reckon.CodeForbidden {
				t.Errorf("operator adds a member: %v", err)
			}
			err = og.PutMember(ctx, tx, newcomer.ID, "admin", []int64{foreignEnv.ID})
			var e *reckon.Error
			if reckon.ErrorCodeOf(err) != reckon.CodeValidation || !asError(err, &e) || e.Fields["role"].Key == "" || e.Fields["environments[0]"].Key == "" {
				t.Errorf("invalid member: %v", err)
			}
			if err := og.PutMember(ctx, tx, newcomer.ID, reckon.RoleReadonly, []int64{env.ID}); err != nil {
				return err
			}
			m, err := tx.Membership(ctx, ws.ID, newcomer.ID)
			if err != nil || m.Role != reckon.RoleReadonly || len(m.Environments) != 1 {
				t.Errorf("membership: %+v %v", m, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func asError(err error, e **reckon.Error) bool { return errors.As(err, e) }
