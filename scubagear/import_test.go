package scubagear_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/scubagear"
	"github.com/reckonhq/reckon/store"
)

type testBundle struct {
	db     *store.DB
	fx     *reckontest.Fixture
	svc    *review.Service
	ev     *evidence.Service
	worker *review.Worker
}

// setup wires the review service on db. Compose jobs are enqueued but not
// worked by a queue: the tests deliver them with deliver.
func setup(t testing.TB, db *store.DB) *testBundle {
	t.Helper()
	cat := catalog.Default()
	workers := river.NewWorkers()
	q, err := queue.New(db, &queue.Config{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	svc := review.NewService(review.Deps{DB: db, Ledger: ledger.New(cat, q), Catalog: cat})
	return &testBundle{db: db, fx: reckontest.NewFixture(t, db), svc: svc, ev: evidence.NewService(db), worker: review.Register(cat, workers, svc, nil)}
}

func (b *testBundle) importFile(t testing.TB, scope reckon.Scope, path string) (*reckon.Snapshot, bool, error) {
	t.Helper()
	return b.ev.Import(context.Background(), scope, decodeFile(t, path))
}

func (b *testBundle) snapshots(t testing.TB, scope reckon.Scope) []*reckon.Snapshot {
	t.Helper()
	list, _, err := b.ev.List(context.Background(), scope, reckon.Page{Limit: reckon.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func (b *testBundle) tenantOf(t testing.TB, scope reckon.Scope) string {
	t.Helper()
	var env *reckon.Environment
	if err := b.db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		env, err = tx.Environment(context.Background(), scope.WorkspaceID, scope.EnvironmentID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return env.TenantID
}

// fileOf returns the data file of a tenant and an assessment date.
func fileOf(t testing.TB, files []string, tenantPrefix, date string) string {
	t.Helper()
	for _, f := range files {
		if strings.Contains(filepath.Base(f), "_"+tenantPrefix+"_"+date+"_") {
			return f
		}
	}
	t.Fatalf("no report of %s on %s in %s", tenantPrefix, date, reckontest.ScubaGearDir())
	return ""
}

// TestImportRealReports imports every real report through the review
// service: the snapshot holds every control, the environment records the
// report's tenant, and a second import of the same report returns the same
// snapshot and writes nothing.
func TestImportRealReports(t *testing.T) {
	t.Parallel()
	files := dataFiles(t)
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		ctx := context.Background()
		for _, path := range files {
			raw := parseRaw(t, path)
			scope := b.fx.Scope()
			snap, existed, err := b.importFile(t, scope, path)
			if err != nil {
				t.Fatalf("%s: %v", filepath.Base(path), err)
			}
			if existed || snap.FindingCount != len(raw.Controls) {
				t.Errorf("%s: existed=%v, %d findings, want a new snapshot of %d", filepath.Base(path), existed, snap.FindingCount, len(raw.Controls))
			}
			if got := b.tenantOf(t, scope); got != raw.TenantID {
				t.Errorf("%s: environment tenant %q, want %q from the first import", filepath.Base(path), got, raw.TenantID)
			}
			stored, err := b.ev.Snapshot(ctx, scope.WorkspaceID, snap.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := decodeFile(t, path)
			if stored.Source != want.Source || len(stored.Findings) != len(want.Findings) || stored.ContentHash != evidence.ContentHash(want.Findings) {
				t.Errorf("%s: stored %+v (%d findings, %s), decoded %+v (%d findings)", filepath.Base(path),
					stored.Source, len(stored.Findings), stored.ContentHash, want.Source, len(want.Findings))
			}

			again, existed, err := b.importFile(t, scope, path)
			if err != nil {
				t.Fatalf("%s again: %v", filepath.Base(path), err)
			}
			if !existed || again.ID != snap.ID {
				t.Errorf("%s again: snapshot %d existed=%v, want snapshot %d existed=true", filepath.Base(path), again.ID, existed, snap.ID)
			}
			if n := len(b.snapshots(t, scope)); n != 1 {
				t.Errorf("%s: %d snapshots after importing it twice, want 1", filepath.Base(path), n)
			}
		}
	})
}

// TestImportRefusesAnotherTenant imports a report of one tenant into an
// environment that stands for another: refused, and nothing is written.
func TestImportRefusesAnotherTenant(t *testing.T) {
	t.Parallel()
	files := dataFiles(t)
	other := fileOf(t, files, "27ecc021", "2024-12-18")
	// This one carries the same ReportUUID as the other tenant's report
	// (a quirk of ScubaGear's samples): the tenant check must still win.
	sameUUID := fileOf(t, files, "ca08493a", "2025-02-12")
	first := fileOf(t, files, "ca08493a", "2024-08-02")
	if a, b := parseRaw(t, other), parseRaw(t, sameUUID); a.ReportUUID != b.ReportUUID || a.TenantID == b.TenantID {
		t.Fatalf("the data no longer holds two tenants' reports with one ReportUUID")
	}
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		ctx := context.Background()

		// The environment takes its tenant from its first import.
		scope := b.fx.Scope()
		if _, _, err := b.importFile(t, scope, other); err != nil {
			t.Fatal(err)
		}
		tenant := b.tenantOf(t, scope)
		before := b.snapshots(t, scope)
		for _, path := range []string{sameUUID, first} {
			snap, _, err := b.importFile(t, scope, path)
			e := codedErr(t, err, reckon.CodeTenantMismatch)
			if snap != nil {
				t.Errorf("%s: a snapshot came back with the refusal: %+v", filepath.Base(path), snap)
			}
			t.Logf("%s: %s", filepath.Base(path), english(e))
		}
		if after := b.snapshots(t, scope); len(after) != len(before) || after[0].ID != before[0].ID {
			t.Errorf("snapshots changed on refusal: %d before, %d after", len(before), len(after))
		}
		if got := b.tenantOf(t, scope); got != tenant {
			t.Errorf("tenant changed on refusal: %q, was %q", got, tenant)
		}

		// An environment whose tenant was set by an operator refuses the
		// other tenant's report on its very first import.
		w := b.fx.Workspace()
		var env *reckon.Environment
		if err := b.db.InTx(ctx, func(tx *store.Tx) (err error) {
			env, err = tx.CreateEnvironment(ctx, w.ID, "contoso", "Contoso", parseRaw(t, first).TenantID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		set := reckon.Scope{WorkspaceID: w.ID, EnvironmentID: env.ID}
		_, _, err := b.importFile(t, set, other)
		codedErr(t, err, reckon.CodeTenantMismatch)
		if n := len(b.snapshots(t, set)); n != 0 {
			t.Errorf("%d snapshots after a refused first import, want 0", n)
		}
		if _, existed, err := b.importFile(t, set, first); err != nil || existed {
			t.Errorf("the environment's own tenant: existed=%v, %v", existed, err)
		}
	})
}

// deliver runs one delivery of a compose run's job, as the queue would.
func (b *testBundle) deliver(t testing.TB, run *reckon.Run) {
	t.Helper()
	if err := app.WorkCompose(context.Background(), b.worker, run.ID); err != nil {
		t.Fatalf("compose run %d: %v", run.ID, err)
	}
}

// composed returns the content of the review a compose run produced.
func (b *testBundle) composed(t testing.TB, scope reckon.Scope, run *reckon.Run) *review.Content {
	t.Helper()
	ctx := context.Background()
	list, _, err := b.svc.Reviews(ctx, scope.WorkspaceID, review.ReviewFilter{EnvironmentID: scope.EnvironmentID, Page: reckon.Page{Limit: reckon.MaxPageLimit}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range list {
		if v.OperationRunID != run.ID {
			continue
		}
		if v.Status != reckon.ReviewReady {
			t.Fatalf("review %d of run %d is %s, want ready", v.ID, run.ID, v.Status)
		}
		full, err := b.svc.Review(ctx, scope.WorkspaceID, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		var c review.Content
		if err := json.Unmarshal(full.Content, &c); err != nil {
			t.Fatal(err)
		}
		return &c
	}
	t.Fatalf("run %d produced no review", run.ID)
	return nil
}

func ids(l []review.ControlSummary) []string {
	out := make([]string, len(l))
	for i, c := range l {
		out[i] = c.ControlID
	}
	slices.Sort(out)
	return out
}

// TestComposeRealSeries imports the tenant's assessments oldest first and
// composes a review after each: every review's changes since the previous
// one are the newly failing, resolved, added and removed controls counted
// independently from the raw files, and its failing controls keep their
// product.
func TestComposeRealSeries(t *testing.T) {
	t.Parallel()
	series := tenantSeries(t, dataFiles(t))
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		scope := b.fx.Scope()
		for i, raw := range series {
			name := filepath.Base(raw.Path)
			if _, _, err := b.importFile(t, scope, raw.Path); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			res, err := b.svc.Compose(context.Background(), scope, 0)
			if err != nil {
				t.Fatalf("%s: compose: %v", name, err)
			}
			if res.Result != review.ResultQueued {
				t.Fatalf("%s: compose %s, want queued", name, res.Result)
			}
			b.deliver(t, res.Run)
			c := b.composed(t, scope, res.Run)

			// The review's counts are the file's own Summary totals.
			var fails int
			product := map[string]string{}
			for _, s := range raw.Summary {
				fails += s["Failures"]
			}
			for _, ctl := range raw.Controls {
				product[ctl.ID] = ctl.Product
			}
			if c.Controls != len(raw.Controls) || c.ByStatus.Fail != fails || len(c.Failing) != fails {
				t.Errorf("%s: %d controls, %d failing (%d listed); the file has %d controls, Summary %d failures",
					name, c.Controls, c.ByStatus.Fail, len(c.Failing), len(raw.Controls), fails)
			}
			for _, f := range c.Failing {
				if f.Product == "" || f.Product != product[f.ControlID] {
					t.Errorf("%s: failing %s has product %q, want %q", name, f.ControlID, f.Product, product[f.ControlID])
				}
			}

			if i == 0 {
				if c.Changes != nil {
					t.Errorf("%s: the first review has changes: %+v", name, c.Changes)
				}
				continue
			}
			if c.Changes == nil {
				t.Fatalf("%s: no changes since the previous review", name)
			}
			want := changesBetween(series[i-1], raw)
			got := rawChanges{NewlyFailing: ids(c.Changes.NewlyFailing), Resolved: ids(c.Changes.Resolved),
				Added: ids(c.Changes.Added), Removed: ids(c.Changes.Removed), VersionChanged: ids(c.Changes.VersionChanged)}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: changes\n got %+v\nwant %+v", name, got, want)
			}
			t.Logf("%s: newly failing %d, resolved %d, added %d, removed %d, version changed %d", name,
				len(got.NewlyFailing), len(got.Resolved), len(got.Added), len(got.Removed), len(got.VersionChanged))
		}
	})
}

// BenchmarkImportLargest measures importing the largest real report: decode
// (parse, skipping Raw), then the review service's validation, content hash
// and write, on each engine. Every iteration imports under a new external
// id, so that each one writes a snapshot rather than finding the last one.
func BenchmarkImportLargest(b *testing.B) {
	files := dataFiles(b)
	largest, size := "", int64(0)
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.Size() > size {
			largest, size = f, st.Size()
		}
	}
	body, err := os.ReadFile(largest)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s, %d bytes", filepath.Base(largest), len(body))

	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := scubagear.Decode(bytes.NewReader(body)); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, engine := range reckontest.Engines(b) {
		b.Run(string(engine), func(b *testing.B) {
			tb := setup(b, reckontest.Open(b, engine, nil))
			scope := tb.fx.Scope()
			ctx := context.Background()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				in, err := scubagear.Decode(bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				n++
				in.Source.ExternalID = fmt.Sprintf("%s#%d", in.Source.ExternalID, n)
				if _, existed, err := tb.ev.Import(ctx, scope, in); err != nil || existed {
					b.Fatalf("import: existed=%v, %v", existed, err)
				}
			}
		})
	}
}
