package app

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/reckonhq/reckon/api"
	"github.com/reckonhq/reckon/console"
)

// Handler is the process's HTTP surface: health, readiness and metrics, the
// JSON API under /api/v1/ and the console. secureCookies marks console
// cookies Secure (behind a TLS-terminating proxy). It fails when the
// console's templates do not check out.
func (a *App) Handler(secureCookies bool) (http.Handler, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", api.Health())
	mux.Handle("GET /readyz", api.Observe(a.Log, api.Ready(a.DB, a.Log)))
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{}))
	mux.Handle("/api/v1/", api.New(api.Deps{DB: a.DB, Catalog: a.Catalog, Reviews: a.Reviews,
		Restores: a.Restores, Reconciler: a.Reconciler, Operator: a.Operator, Logger: a.Log.With("component", "api")}))
	ui, err := console.New(console.Deps{DB: a.DB, Catalog: a.Catalog, Reviews: a.Reviews, Reconciler: a.Reconciler,
		Logger: a.Log.With("component", "console"), SecureCookies: secureCookies})
	if err != nil {
		return nil, err
	}
	mux.Handle("/", ui)
	return mux, nil
}
