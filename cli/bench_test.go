package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

func TestBenchLedgerLeavesTheNamedDatabaseAlone(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			dbURL := reckontest.URL(t, engine)
			for _, args := range [][]string{{"migrate"}, {"workspaces", "create", "--slug", "acme", "--name", "Acme"}} {
				if r := runCLI(t, dbURL, "", args...); r.code != 0 {
					t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
				}
			}

			r := runCLI(t, dbURL, "", "bench", "ledger", "--runs", "40", "--workers", "4", "--inserters", "2", "--json")
			if r.code != 0 {
				t.Fatalf("bench ledger: exit %d: %s", r.code, r.stderr)
			}
			var res struct {
				Engine string `json:"engine"`
				River  struct {
					Count int `json:"count"`
				} `json:"river"`
				Ledger struct {
					Count int `json:"count"`
				} `json:"ledger"`
				Ratio float64 `json:"ratio"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
				t.Fatalf("--json printed %q: %v", r.stdout, err)
			}
			if res.Engine != string(engine) || res.River.Count != 40 || res.Ledger.Count != 40 || res.Ratio <= 0 {
				t.Fatalf("result %+v", res)
			}
			if !strings.Contains(r.stderr, "(b) ledger: 40 in ") {
				t.Fatalf("the report did not go to stderr with --json: %q", r.stderr)
			}

			// The benchmark measured on a scratch copy: the named database
			// holds what it held before, and no run.
			ctx := context.Background()
			db, err := store.Open(ctx, dbURL, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				ws, err := tx.Workspaces(ctx)
				if err != nil {
					return err
				}
				if len(ws) != 1 || ws[0].Slug != "acme" {
					t.Errorf("workspaces after the benchmark: %+v", ws)
				}
				events, err := tx.CountAuditEvents(ctx)
				if err == nil && events != 0 {
					t.Errorf("the benchmark wrote %d audit events into the named database", events)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestBenchLedgerRefusesNonPositiveFlags(t *testing.T) {
	t.Parallel()
	for _, flag := range []string{"--runs", "--workers", "--inserters", "--poll-interval"} {
		value := "0"
		if flag == "--poll-interval" {
			value = "0s"
		}
		r := runCLI(t, "sqlite:"+t.TempDir()+"/reckon.db", "", "bench", "ledger", flag, value)
		if r.code != 2 || !strings.Contains(r.stderr, "must be positive") {
			t.Errorf("bench ledger %s %s: exit %d, stderr %q; want a usage error", flag, value, r.code, r.stderr)
		}
	}
}
