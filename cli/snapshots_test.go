package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reckonhq/reckon/reckontest"
)

func TestSnapshotsImport(t *testing.T) {
	t.Parallel()
	report := reckontest.ScubaGearReports(t, "ScubaResults_ca08493a_2025-02-12_v1.5.0.json")[0]
	otherTenant := reckontest.ScubaGearReports(t, "ScubaResults_27ecc021_2024-12-18_v1.5.0.json")[0]
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
				{"environments", "create", "--workspace", "acme", "--slug", "m365", "--name", "M365"},
			} {
				if r := runCLI(t, dbURL, "", args...); r.code != 0 {
					t.Fatalf("%v: %+v", args, r)
				}
			}
			imp := func(stdin string, extra ...string) result {
				return runCLI(t, dbURL, stdin, append([]string{"snapshots", "import", "--workspace", "acme", "--environment", "m365"}, extra...)...)
			}
			if r := imp("", "--file", native); r.code != 0 || !strings.Contains(r.stdout, "1 findings") {
				t.Fatalf("native import: %+v", r)
			}
			if r := imp("", "--file", report, "--format", "scubagear"); r.code != 0 || !strings.Contains(r.stdout, "129 findings") {
				t.Fatalf("scubagear import: %+v", r)
			}
			if r := imp("", "--file", report, "--format", "scubagear", "--json"); r.code != 0 || !strings.Contains(r.stdout, `"existed": true`) {
				t.Fatalf("re-import: %+v", r)
			}
			if r := imp("", "--file", otherTenant, "--format", "scubagear"); r.code != 1 || !strings.Contains(r.stderr, "tenant 27ecc021") {
				t.Fatalf("another tenant's report: %+v", r)
			}
			if r := imp(`{"captured_at": "2026-11-28T10:00:00Z", "findings": [{"control_id": "A"}]}`, "--file", "-"); r.code != 1 ||
				!strings.Contains(r.stderr, "findings[0].severity") {
				t.Fatalf("invalid snapshot: %+v", r)
			}
			if r := imp("", "--file", native, "--format", "csv"); r.code != 2 {
				t.Fatalf("unknown format: %+v", r)
			}
		})
	}
}
