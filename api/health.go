package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/store"
)

// Health answers /healthz: the process is up. It touches nothing else, so
// that a slow database never restarts a healthy process.
func Health() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

type readiness struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// Ready answers /readyz: 200 when the database answers and both reckon's
// and the job queue's schemas are current, else 503 naming the failed check.
// Causes go to the log; the answer says only which check failed.
func Ready(db *store.DB, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		res := readiness{Status: "ready", Checks: map[string]string{}}
		check := func(name string, fn func(context.Context) error) {
			if err := fn(ctx); err != nil {
				log.WarnContext(ctx, "not ready", "check", name, "error", err)
				res.Status = "unavailable"
				res.Checks[name] = "failed"
				return
			}
			res.Checks[name] = "ok"
		}
		check("database", db.Ping)
		if res.Checks["database"] == "ok" {
			check("schema", db.CheckSchema)
			check("queue_schema", func(ctx context.Context) error { return queue.CheckSchema(ctx, db) })
		}
		status := http.StatusOK
		if res.Status != "ready" {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, res)
	})
}
