package cli

import (
	"strings"
	"testing"

	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// TestGlobalFlagsBeforeOrAfterTheCommand: the global flags work where git and
// kubectl users put them, before the command, as well as after it.
func TestGlobalFlagsBeforeOrAfterTheCommand(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			before, after := reckontest.URL(t, engine), reckontest.URL(t, engine)
			// No RECKON_DATABASE_URL: the flag alone names the database.
			for _, args := range [][]string{
				{"--database", before, "migrate"},
				{"--database=" + before, "--json", "workspaces", "create", "--slug", "acme", "--name", "Acme"},
				{"migrate", "--database", after},
				{"workspaces", "create", "--slug", "globex", "--name", "Globex", "--database", after, "--json"},
			} {
				if r := runCLI(t, "", "", args...); r.code != 0 {
					t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
				}
			}
			for url, slug := range map[string]string{before: "acme", after: "globex"} {
				list := runCLI(t, "", "", "--json", "--auto-migrate=false", "--database", url, "workspaces", "list")
				if list.code != 0 || !strings.Contains(list.stdout, `"slug": "`+slug+`"`) {
					t.Fatalf("workspaces list of %s: exit %d %s %s", url, list.code, list.stdout, list.stderr)
				}
			}
		})
	}
}

// TestFlagBeforeTheCommandThatIsNotGlobal names the flag and says where a
// command's own flags go.
func TestFlagBeforeTheCommandThatIsNotGlobal(t *testing.T) {
	t.Parallel()
	dbURL := reckontest.URL(t, store.SQLite)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--slug", "acme", "workspaces", "create"}, "flag --slug is not a global flag"},
		{[]string{"--addr=:8080", "serve"}, "flag --addr=:8080 is not a global flag"},
		{[]string{"--database"}, "flag --database needs a value"},
		{[]string{"--json"}, "no command after the flags"},
		{[]string{"--database", dbURL, "no-such-command"}, `unknown command "no-such-command"`},
	} {
		r := runCLI(t, dbURL, "", tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}
