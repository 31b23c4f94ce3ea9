package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/scubagear"
	"github.com/reckonhq/reckon/store"
)

// importDir imports every ScubaResults_*.json of a folder into the
// environment of the workspace whose recorded tenant id matches the
// report's. Progress goes to standard error, one line per report; the
// summary (or --json) to standard output. It fails (exit 1) when any report
// was not stored — an unknown tenant or an invalid report — after trying
// every one; re-running it imports only what is new.
func importDir(ctx context.Context, e *env, g *globals, ws, dir, format, envSlug, file string) error {
	if err := require(map[string]string{"workspace": ws}); err != nil {
		return err
	}
	if format != reckon.SnapshotFormatScubaGear {
		return usagef("--dir imports ScubaGear reports by tenant: give --format scubagear")
	}
	if envSlug != "" || file != "" {
		return usagef("--dir matches each report to an environment by its tenant id: give neither --environment nor --file")
	}
	files, err := filepath.Glob(filepath.Join(dir, "ScubaResults_*.json"))
	if err != nil {
		return usagef("--dir %q: %v", dir, err)
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return fmt.Errorf("--dir %q is not a folder", dir)
	}
	sort.Strings(files)
	a, err := openApp(ctx, e, g, appOptions{})
	if err != nil {
		return err
	}
	defer a.DB.Close()
	var w *reckon.Workspace
	if err := a.DB.InTx(ctx, func(tx *store.Tx) (err error) {
		w, err = lookupWorkspace(ctx, tx, ws)
		return err
	}); err != nil {
		return err
	}
	svc := evidence.NewService(a.DB)
	results := make([]evidence.BulkResult, 0, len(files))
	var counts evidence.BulkCounts
	for i, path := range files {
		in, decodeErr := decodeFile(path)
		res, err := svc.ImportForTenant(ctx, w.ID, filepath.Base(path), in, decodeErr, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		results = append(results, res)
		counts.Add(res)
		fmt.Fprintf(e.stderr, "[%d/%d] %s: %s\n", i+1, len(files), res.Name, describeBulk(ws, res))
	}
	if g.json {
		if err := printJSON(e.stdout, bulkJSON(results, counts)); err != nil {
			return err
		}
	} else {
		printBulkSummary(e, dir, results, counts)
	}
	if !counts.Complete() {
		return fmt.Errorf("%d of %d reports were not imported", len(results)-counts.Imported-counts.AlreadyImported, len(results))
	}
	return nil
}

func decodeFile(path string) (reckon.SnapshotInput, error) {
	f, err := os.Open(path)
	if err != nil {
		return reckon.SnapshotInput{}, err
	}
	defer f.Close()
	return scubagear.Decode(f)
}

// describeBulk is one report's progress line.
func describeBulk(ws string, r evidence.BulkResult) string {
	switch r.Outcome {
	case evidence.BulkImported:
		return fmt.Sprintf("imported into %s/%s as snapshot %d (%d findings)", ws, r.Environment.Slug, r.Snapshot.ID, r.Snapshot.FindingCount)
	case evidence.BulkAlreadyImported:
		return fmt.Sprintf("already imported into %s/%s (snapshot %d)", ws, r.Environment.Slug, r.Snapshot.ID)
	case evidence.BulkUnknownTenant:
		return fmt.Sprintf("tenant %s is not recorded by any environment; nothing written", r.TenantID)
	case evidence.BulkAmbiguousTenant:
		return fmt.Sprintf("tenant %s is recorded by more than one environment; nothing written", r.TenantID)
	}
	return "not imported: " + describe(r.Err)
}

func printBulkSummary(e *env, dir string, results []evidence.BulkResult, c evidence.BulkCounts) {
	if len(results) == 0 {
		fmt.Fprintf(e.stdout, "no ScubaResults_*.json in %s\n", dir)
		return
	}
	fmt.Fprintf(e.stdout, "%d reports: %d new, %d already imported, %d of unknown tenants, %d ambiguous, %d invalid\n",
		len(results), c.Imported, c.AlreadyImported, c.UnknownTenant, c.AmbiguousTenant, c.Invalid)
	for _, r := range results {
		if r.Outcome == evidence.BulkImported {
			fmt.Fprintf(e.stdout, "new: %s → %s (snapshot %d)\n", r.Name, r.Environment.Slug, r.Snapshot.ID)
		}
	}
	var unknown []string
	for _, r := range results {
		if r.Outcome == evidence.BulkUnknownTenant {
			unknown = append(unknown, r.TenantID+" ("+r.Name+")")
		}
	}
	if len(unknown) > 0 {
		fmt.Fprintf(e.stdout, "unknown tenants, nothing written: %s\n", strings.Join(unknown, ", "))
	}
}

// bulkJSON is --json's answer: one result per report and the counts.
func bulkJSON(results []evidence.BulkResult, c evidence.BulkCounts) map[string]any {
	list := make([]map[string]any, len(results))
	for i, r := range results {
		m := map[string]any{"name": r.Name, "outcome": r.Outcome, "tenant_id": r.TenantID}
		if r.Environment != nil {
			m["environment"] = r.Environment.Slug
		}
		if r.Snapshot != nil {
			m["snapshot_id"] = r.Snapshot.ID
			m["finding_count"] = r.Snapshot.FindingCount
		}
		if r.Err != nil {
			m["error"] = describe(r.Err)
		}
		list[i] = m
	}
	return map[string]any{"results": list, "counts": c}
}
