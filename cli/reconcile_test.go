package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

func TestReconcileOnceSettlesStaleRunsOnce(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			dbURL := reckontest.URL(t, engine)
			reconcileCLI := func(args ...string) (int, string, string) {
				var out, errOut bytes.Buffer
				e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }}
				code := run(ctx, e, append([]string{"reconcile", "--database", dbURL}, args...))
				return code, out.String(), errOut.String()
			}
			if code, _, stderr := reconcileCLI(); code != 2 || !strings.Contains(stderr, "--once") {
				t.Fatalf("without --once: exit %d, %q", code, stderr)
			}
			// The first call migrates the empty database.
			if code, out, stderr := reconcileCLI("--once"); code != 0 || out != "examined 0, settled 0, unchanged 0\n" {
				t.Fatalf("empty database: exit %d, %q %q", code, out, stderr)
			}
			db, err := store.Open(ctx, dbURL, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			scope := reckontest.NewFixture(t, db).Scope()
			now := db.Now()
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				return tx.InsertRunBatch(ctx, &store.RunBatch{Scope: scope, Type: reckon.RunTypeRestoreExecute,
					Status: reckon.RunRunning, Count: 3, KeyPrefix: "cli:", CreatedAt: now.Add(-3 * time.Hour), DeadlineAt: now.Add(-time.Hour)})
			}); err != nil {
				t.Fatal(err)
			}
			if code, out, stderr := reconcileCLI("--once"); code != 0 || out != "examined 3, settled 3, unchanged 0\n" {
				t.Fatalf("first sweep: exit %d, %q %q", code, out, stderr)
			}
			code, out, _ := reconcileCLI("--once", "--json")
			var res map[string]int
			if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil || res["examined"] != 0 || res["settled"] != 0 {
				t.Fatalf("second sweep: exit %d, %q", code, out)
			}
		})
	}
}
