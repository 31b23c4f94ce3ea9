package app

import (
	"net/http"
	"net/netip"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/reckonhq/reckon/api"
	"github.com/reckonhq/reckon/console"
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
	apiHandler := api.New(api.Deps{DB: a.DB, Catalog: a.Catalog, Reviews: a.Reviews,
		Restores: a.Restores, Reconciler: a.Reconciler, Logger: a.Log.With("component", "api")})
	mux.Handle("/api/v1/", apiHandler)
	ui, err := console.New(console.Deps{DB: a.DB, Catalog: a.Catalog, Reviews: a.Reviews, Reconciler: a.Reconciler,
		Logger: a.Log.With("component", "console"), SecureCookies: secureCookies, TrustedProxies: trustedProxies})
	if err != nil {
		return nil, err
	}
	mux.Handle("/", ui)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v1/") {
			// The API answers every path of its own, "/api/v1/a/../b" too,
			// in JSON: this mux would redirect it with a text/html 307.
			apiHandler.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	}), nil
}
