package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/store"
)

var adminCommands = []command{
	{name: "workspaces create", summary: "create a workspace", run: runWorkspacesCreate},
	{name: "workspaces list", summary: "list workspaces", run: runWorkspacesList},
	{name: "environments create", summary: "create a managed environment in a workspace", run: runEnvironmentsCreate},
	{name: "environments set-tenant", summary: "record the external tenant id an environment stands for", run: runEnvironmentsSetTenant},
	{name: "users create", summary: "create a user (password read from standard input)", run: runUsersCreate},
	{name: "members add", summary: "give a user a role in a workspace", run: runMembersAdd},
	{name: "tokens create", summary: "create an API token for a user and print it once", run: runTokensCreate},
	{name: "tokens revoke", summary: "revoke an API token", run: runTokensRevoke},
}

// slugPattern is what workspace and environment slugs look like: they appear
// in URLs.
var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func checkSlug(flagName, slug string) error {
	if !slugPattern.MatchString(slug) {
		return usagef("--%s %q: use 1–63 lowercase letters, digits and dashes, starting with a letter or digit", flagName, slug)
	}
	return nil
}

// adminTx opens the app without workers and runs fn in one transaction.
func adminTx(ctx context.Context, e *env, g *globals, fn func(tx *store.Tx) error) error {
	a, err := openApp(ctx, e, g, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	return a.DB.InTx(ctx, fn)
}

func lookupWorkspace(ctx context.Context, tx *store.Tx, slug string) (*reckon.Workspace, error) {
	w, err := tx.WorkspaceBySlug(ctx, slug)
	if store.IsNotFound(err) {
		return nil, fmt.Errorf("workspace %q does not exist", slug)
	}
	return w, err
}

func lookupEnvironment(ctx context.Context, tx *store.Tx, w *reckon.Workspace, slug string) (*reckon.Environment, error) {
	env, err := tx.EnvironmentBySlug(ctx, w.ID, slug)
	if store.IsNotFound(err) {
		return nil, fmt.Errorf("environment %q does not exist in workspace %q", slug, w.Slug)
	}
	return env, err
}

func lookupUser(ctx context.Context, tx *store.Tx, email string) (*reckon.User, error) {
	u, err := tx.UserByEmail(ctx, strings.ToLower(email))
	if store.IsNotFound(err) {
		return nil, fmt.Errorf("no user with email %q", email)
	}
	return u, err
}

func runWorkspacesCreate(ctx context.Context, e *env, args []string) error {
	var g globals
	var slug, name string
	fs := newFlagSet(e, "workspaces create", &g)
	fs.StringVar(&slug, "slug", "", "workspace slug (used in URLs)")
	fs.StringVar(&name, "name", "", "display name")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(map[string]string{"slug": slug, "name": name}); err != nil {
		return err
	}
	if err := checkSlug("slug", slug); err != nil {
		return err
	}
	var w *reckon.Workspace
	err := adminTx(ctx, e, &g, func(tx *store.Tx) (err error) {
		w, err = tx.CreateWorkspace(ctx, slug, strings.TrimSpace(name))
		if store.IsConflict(err) {
			return fmt.Errorf("workspace %q already exists", slug)
		}
		return err
	})
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(e.stdout, map[string]any{"id": w.ID, "slug": w.Slug, "name": w.Name})
	}
	fmt.Fprintf(e.stdout, "workspace %s created (id %d)\n", w.Slug, w.ID)
	return nil
}

func runWorkspacesList(ctx context.Context, e *env, args []string) error {
	var g globals
	fs := newFlagSet(e, "workspaces list", &g)
	if err := parse(fs, args); err != nil {
		return err
	}
	var list []*reckon.Workspace
	if err := adminTx(ctx, e, &g, func(tx *store.Tx) (err error) {
		list, err = tx.Workspaces(ctx)
		return err
	}); err != nil {
		return err
	}
	if g.json {
		out := make([]map[string]any, 0, len(list))
		for _, w := range list {
			out = append(out, map[string]any{"id": w.ID, "slug": w.Slug, "name": w.Name})
		}
		return printJSON(e.stdout, map[string]any{"workspaces": out})
	}
	for _, w := range list {
		fmt.Fprintf(e.stdout, "%-24s %s\n", w.Slug, w.Name)
	}
	return nil
}

func runEnvironmentsCreate(ctx context.Context, e *env, args []string) error {
	var g globals
	var ws, slug, name, tenant string
	fs := newFlagSet(e, "environments create", &g)
	fs.StringVar(&ws, "workspace", "", "workspace slug")
	fs.StringVar(&slug, "slug", "", "environment slug (used in URLs)")
	fs.StringVar(&name, "name", "", "display name")
	fs.StringVar(&tenant, "tenant-id", "", "external tenant id the environment stands for (optional)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(map[string]string{"workspace": ws, "slug": slug, "name": name}); err != nil {
		return err
	}
	if err := checkSlug("slug", slug); err != nil {
		return err
	}
	var env *reckon.Environment
	err := adminTx(ctx, e, &g, func(tx *store.Tx) error {
		w, err := lookupWorkspace(ctx, tx, ws)
		if err != nil {
			return err
		}
		env, err = tx.CreateEnvironment(ctx, w.ID, slug, strings.TrimSpace(name), strings.TrimSpace(tenant))
		if store.IsConflict(err) {
			return fmt.Errorf("environment %q already exists in workspace %q", slug, ws)
		}
		return err
	})
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(e.stdout, map[string]any{"id": env.ID, "slug": env.Slug, "name": env.Name, "tenant_id": env.TenantID})
	}
	fmt.Fprintf(e.stdout, "environment %s created in %s (id %d)\n", env.Slug, ws, env.ID)
	return nil
}

func runEnvironmentsSetTenant(ctx context.Context, e *env, args []string) error {
	var g globals
	var ws, slug, tenant string
	fs := newFlagSet(e, "environments set-tenant", &g)
	fs.StringVar(&ws, "workspace", "", "workspace slug")
	fs.StringVar(&slug, "environment", "", "environment slug")
	fs.StringVar(&tenant, "tenant-id", "", "external tenant id")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(map[string]string{"workspace": ws, "environment": slug, "tenant-id": tenant}); err != nil {
		return err
	}
	err := adminTx(ctx, e, &g, func(tx *store.Tx) error {
		w, err := lookupWorkspace(ctx, tx, ws)
		if err != nil {
			return err
		}
		env, err := lookupEnvironment(ctx, tx, w, slug)
		if err != nil {
			return err
		}
		return tx.SetEnvironmentTenant(ctx, w.ID, env.ID, strings.TrimSpace(tenant))
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "environment %s in %s now stands for tenant %s\n", slug, ws, tenant)
	return nil
}

func runUsersCreate(ctx context.Context, e *env, args []string) error {
	var g globals
	var email, name string
	var passwordStdin, platform bool
	fs := newFlagSet(e, "users create", &g)
	fs.StringVar(&email, "email", "", "email address (the login)")
	fs.StringVar(&name, "name", "", "display name")
	fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	fs.BoolVar(&platform, "platform-support", false, "may use /system endpoints and pages across workspaces")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(map[string]string{"email": email, "name": name}); err != nil {
		return err
	}
	if !passwordStdin {
		return usagef("--password-stdin is required: passwords are never taken from the command line")
	}
	if !strings.Contains(email, "@") {
		return usagef("--email %q is not an email address", email)
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return errors.New("no password on standard input")
	}
	hash, err := access.HashPassword(strings.TrimRight(line, "\r\n"))
	if err != nil {
		return err
	}
	u := &reckon.User{Email: strings.ToLower(strings.TrimSpace(email)), Name: strings.TrimSpace(name), PasswordHash: hash, IsPlatformSupport: platform}
	err = adminTx(ctx, e, &g, func(tx *store.Tx) error {
		err := tx.CreateUser(ctx, u)
		if store.IsConflict(err) {
			return fmt.Errorf("a user with email %q already exists", u.Email)
		}
		return err
	})
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(e.stdout, map[string]any{"id": u.ID, "email": u.Email, "name": u.Name, "platform_support": u.IsPlatformSupport})
	}
	fmt.Fprintf(e.stdout, "user %s created (id %d)\n", u.Email, u.ID)
	return nil
}

func runMembersAdd(ctx context.Context, e *env, args []string) error {
	var g globals
	var ws, email, role, envs string
	fs := newFlagSet(e, "members add", &g)
	fs.StringVar(&ws, "workspace", "", "workspace slug")
	fs.StringVar(&email, "email", "", "the user's email")
	fs.StringVar(&role, "role", "", "owner, manager, operator or readonly")
	fs.StringVar(&envs, "environments", "", "comma-separated environment slugs the member is limited to (default: all)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(map[string]string{"workspace": ws, "email": email, "role": role}); err != nil {
		return err
	}
	if !reckon.Role(role).Valid() {
		return usagef("--role %q: use owner, manager, operator or readonly", role)
	}
	err := adminTx(ctx, e, &g, func(tx *store.Tx) error {
		w, err := lookupWorkspace(ctx, tx, ws)
		if err != nil {
			return err
		}
		u, err := lookupUser(ctx, tx, email)
		if err != nil {
			return err
		}
		m := &reckon.Membership{WorkspaceID: w.ID, UserID: u.ID, Role: reckon.Role(role)}
		for _, slug := range strings.Split(envs, ",") {
			if slug = strings.TrimSpace(slug); slug == "" {
				continue
			}
			env, err := lookupEnvironment(ctx, tx, w, slug)
			if err != nil {
				return err
			}
			m.Environments = append(m.Environments, env.ID)
		}
		return tx.PutMembership(ctx, m)
	})
	if err != nil {
		return err
	}
	scope := "all environments"
	if envs != "" {
		scope = "environments " + envs
	}
	fmt.Fprintf(e.stdout, "%s is %s of %s (%s)\n", email, role, ws, scope)
	return nil
}

func runTokensCreate(ctx context.Context, e *env, args []string) error {
	var g globals
	var email, name string
	fs := newFlagSet(e, "tokens create", &g)
	fs.StringVar(&email, "email", "", "the user's email")
	fs.StringVar(&name, "name", "", "a name to recognise the token by")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(map[string]string{"email": email}); err != nil {
		return err
	}
	secret, hash, err := access.NewToken()
	if err != nil {
		return err
	}
	var tok *store.APIToken
	err = adminTx(ctx, e, &g, func(tx *store.Tx) error {
		u, err := lookupUser(ctx, tx, email)
		if err != nil {
			return err
		}
		tok, err = tx.CreateToken(ctx, u.ID, name, hash)
		return err
	})
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(e.stdout, map[string]any{"id": tok.ID, "token": secret})
	}
	fmt.Fprintf(e.stdout, "%s\n", secret)
	fmt.Fprintf(e.stderr, "token %d for %s: shown once, store it now\n", tok.ID, email)
	return nil
}

func runTokensRevoke(ctx context.Context, e *env, args []string) error {
	var g globals
	var email, id string
	fs := newFlagSet(e, "tokens revoke", &g)
	fs.StringVar(&email, "email", "", "the user's email")
	fs.StringVar(&id, "id", "", "the token id printed when it was created")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(map[string]string{"email": email, "id": id}); err != nil {
		return err
	}
	tokenID, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return usagef("--id %q is not a number", id)
	}
	err = adminTx(ctx, e, &g, func(tx *store.Tx) error {
		u, err := lookupUser(ctx, tx, email)
		if err != nil {
			return err
		}
		err = tx.RevokeToken(ctx, u.ID, tokenID)
		if store.IsNotFound(err) {
			return fmt.Errorf("%s has no active token %d", email, tokenID)
		}
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "token %d revoked\n", tokenID)
	return nil
}
