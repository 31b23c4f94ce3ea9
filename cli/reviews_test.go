package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/reckonhq/reckon/reckontest"
)

// reviews compose prints one line per environment, queued the first time
// and already running the next; --json says the same as a document.
func TestReviewsCompose(t *testing.T) {
	t.Parallel()
	native := filepath.Join(t.TempDir(), "snapshot.json")
	if err := os.WriteFile(native, []byte(`{"captured_at": "2026-11-28T10:00:00Z", "findings": [
		{"control_id": "C.1", "title": "MFA", "severity": "critical", "status": "fail"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			dbURL := reckontest.URL(t, engine)
			for _, args := range [][]string{
				{"workspaces", "create", "--slug", "acme", "--name", "Acme"},
				{"environments", "create", "--workspace", "acme", "--slug", "prod", "--name", "Prod"},
				{"environments", "create", "--workspace", "acme", "--slug", "staging", "--name", "Staging"},
				{"environments", "create", "--workspace", "acme", "--slug", "lab", "--name", "Lab"},
				{"snapshots", "import", "--workspace", "acme", "--environment", "prod", "--file", native},
				{"snapshots", "import", "--workspace", "acme", "--environment", "staging", "--file", native},
			} {
				if r := runCLI(t, dbURL, "", args...); r.code != 0 {
					t.Fatalf("%v: %+v", args, r)
				}
			}
			compose := func(args ...string) result {
				return runCLI(t, dbURL, "", append([]string{"reviews", "compose", "--workspace", "acme"}, args...)...)
			}
			lines := func(r result) []string {
				t.Helper()
				if r.code != 0 {
					t.Fatalf("compose: %+v", r)
				}
				return strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			}
			got := lines(compose("--all"))
			want := []*regexp.Regexp{regexp.MustCompile(`^prod +queued +run \d+$`), regexp.MustCompile(`^staging +queued +run \d+$`),
				regexp.MustCompile(`^lab +no_evidence$`)}
			if len(got) != len(want) {
				t.Fatalf("lines %q", got)
			}
			for i, re := range want {
				if !re.MatchString(got[i]) {
					t.Errorf("line %d %q, want %s", i, got[i], re)
				}
			}
			again := lines(compose("--environments", "staging, prod"))
			if len(again) != 2 || !regexp.MustCompile(`^staging +already_running +run \d+$`).MatchString(again[0]) ||
				strings.Fields(again[1])[3] != strings.Fields(got[0])[3] {
				t.Errorf("again: %q (first %q)", again, got)
			}
			if r := compose("--stale"); r.code != 0 || r.stdout != "no environment to compose\n" {
				t.Errorf("nothing stale: %+v", r)
			}
			r := compose("--environments", "lab", "--json")
			var doc struct {
				Results []map[string]any `json:"results"`
			}
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &doc) != nil || len(doc.Results) != 1 ||
				doc.Results[0]["environment"] != "lab" || doc.Results[0]["result"] != "no_evidence" || doc.Results[0]["operation_id"] != nil {
				t.Errorf("json: %+v", r)
			}

			// The command line names one selection, of environments that
			// exist.
			for _, args := range [][]string{{}, {"--stale", "--all"}, {"--all", "--environments", "prod"}} {
				if r := compose(args...); r.code != 2 || !strings.Contains(r.stderr, "--stale") {
					t.Errorf("%v: %+v", args, r)
				}
			}
			if r := compose("--environments", "prod,nope"); r.code != 1 || !strings.Contains(r.stderr, `environment "nope" does not exist`) {
				t.Errorf("unknown environment: %+v", r)
			}
			if r := runCLI(t, dbURL, "", "reviews", "compose", "--workspace", "nope", "--all"); r.code != 1 || !strings.Contains(r.stderr, "nope") {
				t.Errorf("unknown workspace: %+v", r)
			}
		})
	}
}
