package api_test

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon/api"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/restore"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// Mounting the API in a process: the services it calls, the handler under
// /api/v1/, and the health and readiness handlers next to it.
func Example() {
	ctx := context.Background()
	log := slog.Default()
	db, err := store.Open(ctx, "sqlite:reckon.db", nil)
	if err != nil {
		log.Error("open", "error", err)
		return
	}
	defer db.Close()

	cat := catalog.Default()
	workers := river.NewWorkers()
	q, err := queue.New(db, &queue.Config{Workers: workers, Logger: log})
	if err != nil {
		log.Error("queue", "error", err)
		return
	}
	l := ledger.New(cat, q)
	reviews := review.NewService(review.Deps{DB: db, Ledger: l, Catalog: cat})
	review.Register(cat, workers, reviews, nil)
	restores := restore.NewService(db, l, nil)
	restore.Register(cat, workers, restores)

	reconciler := reconcile.New(db, l, nil)
	ops := operator.New(operator.Deps{DB: db, Ledger: l, Queue: q, Reviews: reviews, Restores: restores, Reconciler: reconciler})
	if err := operator.Register(cat, workers, ops); err != nil {
		log.Error("operator", "error", err)
		return
	}

	mux := http.NewServeMux()
	mux.Handle("/api/v1/", api.New(api.Deps{
		DB: db, Catalog: cat, Reviews: reviews, Restores: restores,
		Reconciler: reconciler, Operator: ops, Logger: log,
	}))
	mux.Handle("GET /healthz", api.Health())
	mux.Handle("GET /readyz", api.Ready(db, log))
	_ = http.ListenAndServe("127.0.0.1:8080", mux)
}
