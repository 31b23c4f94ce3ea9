package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// RequestObserver records HTTP answers by route pattern (the metrics
// package implements it).
// The route is the pattern without its method ("/api/v1/runs/{id}").
type RequestObserver interface {
	ObserveRequest(route, method string, status int, d time.Duration)
}

// routeNote carries the pattern that served a request out of the surface's
// own mux: a mux sets Pattern on the request it is handed, and Observe hands
// its mux a copy.
type routeNote struct{ pattern string }

type routeKey struct{}

// routed notes the pattern of r for Instrument and names the request's
// span by it.
func routed(r *http.Request) {
	if n, ok := r.Context().Value(routeKey{}).(*routeNote); ok && r.Pattern != "" {
		n.pattern = r.Pattern
		trace.SpanFromContext(r.Context()).SetAttributes(attribute.String("http.route", routePath(r.Pattern)))
	}
}

// routePath drops the method from a pattern ("GET /x/{id}" → "/x/{id}").
func routePath(pattern string) string {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		return path
	}
	return pattern
}

// Instrument wraps the process's whole HTTP surface: obs records each
// request's duration under the pattern that served it and, when tp is not
// nil, each request is a server span (otelhttp) named by that pattern and
// continuing the caller's trace context read by prop. Neither records
// headers, cookies or the query string.
func Instrument(next http.Handler, obs RequestObserver, tp trace.TracerProvider, prop propagation.TextMapPropagator) http.Handler {
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		obs.ObserveRequest(routePath(patternOf(r)), r.Method, status, time.Since(start))
	})
	if tp != nil {
		h = otelhttp.NewHandler(h, "http",
			otelhttp.WithTracerProvider(tp),
			otelhttp.WithPropagators(prop),
			otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
				p := patternOf(r)
				if p == "" {
					return r.Method
				}
				if !strings.Contains(p, " ") {
					p = r.Method + " " + p
				}
				return p
			}))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), routeKey{}, &routeNote{})))
	})
}

// patternOf is the most precise pattern that served r: the surface's own,
// else the process mux's.
func patternOf(r *http.Request) string {
	if n, ok := r.Context().Value(routeKey{}).(*routeNote); ok && n.pattern != "" {
		return n.pattern
	}
	return r.Pattern
}
