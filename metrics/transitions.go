package metrics

import (
	"net/http"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/ledger"
)

var _ ledger.Observer = (*Metrics)(nil)

// Transition implements ledger.Observer.
func (m *Metrics) Transition(typ reckon.RunType, to reckon.RunStatus, outcome reckon.Outcome) {
	m.transitions.WithLabelValues(string(typ), string(to), string(outcome)).Inc()
}

// ObserveRequest records one HTTP answer. route is the pattern that served
// it ("/api/v1/runs/{id}"), "unmatched" when none did, so that raw paths
// never become series.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	if !knownMethod(method) {
		method = "other"
	}
	m.httpDuration.WithLabelValues(route, method, codeClass(status)).Observe(d.Seconds())
}

func codeClass(status int) string {
	if status < 100 || status > 599 {
		return "unknown"
	}
	return string(rune('0'+status/100)) + "xx"
}

// knownMethod keeps a client's invented methods out of the series.
func knownMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}
