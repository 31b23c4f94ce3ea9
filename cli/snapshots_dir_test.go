package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reckonhq/reckon/reckontest"
)

// TestSnapshotsImportDir imports the folder of real reports by tenant: the
// reports of a tenant no environment records are listed and not written,
// a re-run says nothing is new, and recording the tenant lets the next run
// import the rest.
func TestSnapshotsImportDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	reports := reckontest.ScubaGearReports(t, "")
	for _, src := range reports {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(src)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// Not a ScubaResults file: left alone.
	if err := os.WriteFile(filepath.Join(dir, "notes.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	const (
		tenantA = "ca08493a-c9c8-4db0-a9e8-d3b4bafac269" // four reports
		tenantB = "27ecc021-87f7-4346-9682-b62bf3966808" // one report
	)
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			dbURL := reckontest.URL(t, engine)
			for _, args := range [][]string{
				{"workspaces", "create", "--slug", "acme", "--name", "Acme"},
				{"environments", "create", "--workspace", "acme", "--slug", "m365", "--name", "M365", "--tenant-id", strings.ToUpper(tenantA)},
				{"environments", "create", "--workspace", "acme", "--slug", "blank", "--name", "No tenant yet"},
			} {
				if r := runCLI(t, dbURL, "", args...); r.code != 0 {
					t.Fatalf("%v: %+v", args, r)
				}
			}
			importDir := func() (result, bulkAnswer) {
				r := runCLI(t, dbURL, "", "snapshots", "import", "--workspace", "acme", "--dir", dir, "--format", "scubagear", "--json")
				var a bulkAnswer
				if err := json.Unmarshal([]byte(r.stdout), &a); err != nil {
					t.Fatalf("%+v: %v", r, err)
				}
				return r, a
			}

			r, a := importDir()
			if r.code != 1 || a.Counts != (bulkCounts{Imported: 4, UnknownTenant: 1}) || len(a.Results) != len(reports) {
				t.Fatalf("first run: %+v %+v", r, a)
			}
			for _, res := range a.Results {
				switch {
				case res.TenantID == tenantB && (res.Outcome != "unknown_tenant" || res.Environment != "" || res.SnapshotID != 0):
					t.Errorf("tenant B's report: %+v", res)
				case res.TenantID == tenantA && (res.Outcome != "imported" || res.Environment != "m365" || res.SnapshotID == 0):
					t.Errorf("tenant A's report: %+v", res)
				}
			}
			if !strings.Contains(r.stderr, "[5/5] ") || !strings.Contains(r.stderr, "[1/5] ScubaResults_27ecc021_2024-12-18_v1.5.0.json: tenant "+tenantB) {
				t.Errorf("progress:\n%s", r.stderr)
			}

			// Idempotent: nothing new; the blank environment did not
			// record tenant B.
			r, a = importDir()
			if r.code != 1 || a.Counts != (bulkCounts{AlreadyImported: 4, UnknownTenant: 1}) {
				t.Fatalf("second run: %+v %+v", r, a)
			}

			if r := runCLI(t, dbURL, "", "environments", "set-tenant", "--workspace", "acme", "--environment", "blank", "--tenant-id", tenantB); r.code != 0 {
				t.Fatalf("set-tenant: %+v", r)
			}
			r = runCLI(t, dbURL, "", "snapshots", "import", "--workspace", "acme", "--dir", dir, "--format", "scubagear")
			if r.code != 0 || !strings.Contains(r.stdout, "5 reports: 1 new, 4 already imported") ||
				!strings.Contains(r.stdout, "new: ScubaResults_27ecc021_2024-12-18_v1.5.0.json → blank") {
				t.Fatalf("third run: %+v", r)
			}

			for _, args := range [][]string{
				{"--dir", dir}, // native reports name no tenant
				{"--dir", dir, "--format", "scubagear", "--environment", "m365"}, // the tenant chooses
			} {
				if r := runCLI(t, dbURL, "", append([]string{"snapshots", "import", "--workspace", "acme"}, args...)...); r.code != 2 {
					t.Errorf("%v: %+v", args, r)
				}
			}
			if r := runCLI(t, dbURL, "", "snapshots", "import", "--workspace", "acme", "--format", "scubagear", "--dir", filepath.Join(dir, "missing")); r.code != 1 {
				t.Errorf("missing folder: %+v", r)
			}
		})
	}
}

type bulkCounts struct {
	Imported        int `json:"imported"`
	AlreadyImported int `json:"already_imported"`
	UnknownTenant   int `json:"unknown_tenant"`
	AmbiguousTenant int `json:"ambiguous_tenant"`
	Invalid         int `json:"invalid"`
}

type bulkAnswer struct {
	Results []struct {
		Name        string `json:"name"`
		Outcome     string `json:"outcome"`
		TenantID    string `json:"tenant_id"`
		Environment string `json:"environment"`
		SnapshotID  int64  `json:"snapshot_id"`
	} `json:"results"`
	Counts bulkCounts `json:"counts"`
}
