package app

import (
	"context"
	"net/http"
	"net/netip"
	"strings"

	"go.opentelemetry.io/otel/trace"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/reckonhq/reckon/api"
	"github.com/reckonhq/reckon/console"
	"github.com/reckonhq/reckon/internal/telemetry"
	"github.com/reckonhq/reckon/internal/web"
)

// Handler is the process's HTTP surface: health, readiness and metrics, the
// JSON API under /api/v1/ and the console. secureCookies marks console
// cookies Secure (behind a TLS-terminating proxy); the console takes the
// client address of a sign-in from X-Forwarded-For only when the peer is
// one of trustedProxies. It fails when the console's templates do not
// check out.
func (a *App) Handler(secureCookies bool, trustedProxies ...netip.Prefix) (http.Handler, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", api.Health())
	mux.Handle("GET /readyz", api.Observe(a.Log, api.Ready(a.DB, a.Log)))
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{}))
	// One reading of the run types' published labels for both surfaces.
	labels := web.NewRunTypeLabels(a.DB, a.Catalog, a.Log.With("component", "web"))
	apiHandler := api.New(api.Deps{DB: a.DB, Catalog: a.Catalog, Labels: labels, Reviews: a.Reviews,
		Restores: a.Restores, Reconciler: a.Reconciler, Operator: a.Operator, Logger: a.Log.With("component", "api")})
	mux.Handle("/api/v1/", apiHandler)
	queueUI, err := a.Queue.UI(console.QueuePath, a.Log.With("component", "riverui"))
	if err != nil {
		return nil, err
	}
	// River UI caches and polls in the background for the process's life.
	if err := queueUI.Start(context.Background()); err != nil {
		return nil, err
	}
	ui, err := console.New(console.Deps{DB: a.DB, Catalog: a.Catalog, Labels: labels, Reviews: a.Reviews, Reconciler: a.Reconciler,
		Operator: a.Operator, Logger: a.Log.With("component", "console"), SecureCookies: secureCookies, TrustedProxies: trustedProxies,
		QueueUI: queueUI})
	if err != nil {
		return nil, err
	}
	mux.Handle("/", ui)
	root := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v1/") {
			// The API answers every path of its own, "/api/v1/a/../b" too,
			// in JSON: this mux would redirect it with a text/html 307. The
			// pattern is the one the mux would note; the API's own pattern
			// is noted beneath it (web.Instrument).
			r.Pattern = "/api/v1/"
			apiHandler.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
	var tp trace.TracerProvider
	if a.Tracing != nil {
		tp = a.Tracing.Provider
	}
	return web.Instrument(root, a.Metrics, tp, telemetry.Propagator()), nil
}
