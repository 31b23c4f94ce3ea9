package console_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/reckonhq/reckon/console"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// withQueueUI serves w's console with River UI mounted, as the process
// does.
func withQueueUI(t *testing.T, w *world) {
	t.Helper()
	q, err := queue.New(w.db, &queue.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ui, err := q.UI(console.QueuePath, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := ui.Start(ctx); err != nil {
		t.Fatal(err)
	}
	h, err := console.New(console.Deps{DB: w.db, Catalog: w.cat, Reviews: w.reviews, Reconciler: w.rec, Operator: w.ops,
		Logger: slog.New(slog.DiscardHandler), Clock: w.clock.Now, QueueUI: ui})
	if err != nil {
		t.Fatal(err)
	}
	w.server.Close()
	w.server = httptest.NewServer(h)
	t.Cleanup(w.server.Close)
}

// River UI is platform support's: everyone else, signed in or not, is told
// it does not exist. It reads; its changes are refused and audited.
func TestQueueUIIsForPlatformSupportOnly(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		withQueueUI(t, w)
		h := w.history(t)
		support := w.as(t, "support")
		expect(t, support.get(t, "/system/ops/runs"), http.StatusOK, `href="/system/queue/"`, en("console.system.queue"))
		expect(t, support.get(t, "/system/queue/"), http.StatusOK, "<title>River</title>")
		p := support.get(t, "/system/queue/api/jobs?state=available&limit=20")
		expect(t, p, http.StatusOK, `"kind"`)
		if p.header.Get("Cache-Control") != "no-store" {
			t.Errorf("queue API Cache-Control %q, want no-store", p.header.Get("Cache-Control"))
		}

		audits := func() (n int64) {
			reckontest.Tx(t, w.db, func(ctx context.Context, tx *store.Tx) (err error) {
				n, err = tx.CountAuditEvents(ctx)
				return err
			})
			return n
		}
		before := audits()
		refused := support.do(t, http.MethodPost, "/system/queue/api/jobs/cancel", nil,
			map[string]string{"Content-Type": "application/json"})
		expect(t, refused, http.StatusForbidden, "read-only")
		if n := audits() - before; n != 1 {
			t.Errorf("%d audit events of the refused cancel, want 1", n)
		}
		if run := w.run(t, h.queued.WorkspaceID, h.queued.ID); run.Status != "queued" {
			t.Errorf("run after a refused cancel: %s", run.Status)
		}

		for _, name := range []string{"owner", "operator", "outsider"} {
			c := w.as(t, name)
			expect(t, c.get(t, "/system/queue/"), http.StatusNotFound)
			expect(t, c.get(t, "/system/queue/api/jobs"), http.StatusNotFound)
			lacks(t, c.get(t, "/admin"), `href="/system/queue/"`)
		}
		anonymous := w.client()
		expect(t, anonymous.get(t, "/system/queue/"), http.StatusNotFound)
		expect(t, anonymous.get(t, "/system/queue/api/jobs"), http.StatusNotFound)
	})
}
