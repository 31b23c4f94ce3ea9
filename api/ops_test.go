package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reckonhq/reckon/api"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// logLines decodes the JSON log lines written so far.
func (w *world) logLines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(w.logs.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		out = append(out, m)
	}
	return out
}

func TestRequestLogs(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		path := "/api/v1/workspaces/" + w.wsA.Slug + "/operations?cursor=" + "secretcursor"
		res := w.get(t, w.owner, path)
		reqID := res.Header.Get(api.RequestIDHeader)
		if reqID == "" {
			t.Fatal("no request id header")
		}
		lines := w.logLines(t)
		last := lines[len(lines)-1]
		if last["msg"] != "request" || last["request_id"] != reqID || last["route"] != "GET /api/v1/workspaces/{workspace}/operations" ||
			last["status"] != float64(http.StatusBadRequest) || last["duration"] == nil || last["method"] != "GET" {
			t.Errorf("log line: %v", last)
		}
		w.get(t, w.revoked, "/api/v1/workspaces")
		for _, secret := range []string{w.owner, w.revoked, "secretcursor", "Bearer"} {
			if bytes.Contains(w.logs.Bytes(), []byte(secret)) {
				t.Errorf("the log holds %q: %s", secret, w.logs.Bytes())
			}
		}
	})
}

func TestUnauthenticated(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for name, header := range map[string]string{
			"none":    "",
			"basic":   "Basic dXNlcjpwYXNz",
			"unknown": "Bearer rk_unknown",
			"revoked": "Bearer " + w.revoked,
			"empty":   "Bearer ",
		} {
			res := w.do(t, req{method: http.MethodGet, path: "/api/v1/workspaces", header: map[string]string{"Authorization": header}})
			if res.Status != http.StatusUnauthorized || res.errorCode() != "unauthorized" || res.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: %d %s", name, res.Status, res.Body)
			}
		}
		res := w.do(t, req{method: http.MethodGet, path: "/api/v1/workspaces", header: map[string]string{"Accept-Language": "de"}})
		if !strings.Contains(res.errorMessage(), "Anmeldung erforderlich") {
			t.Errorf("German 401: %s", res.Body)
		}
	})
}

// An internal failure answers only "internal error" with a request id, and
// the same id is in the log with the cause.
func TestInternalErrorsShowOnlyARequestID(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ok := w.get(t, w.owner, "/api/v1/workspaces")
		expect(t, ok, http.StatusOK)
		db.Close() // every query fails from here on
		res := w.get(t, w.owner, "/api/v1/workspaces")
		expect(t, res, http.StatusInternalServerError)
		e := res.JSON["error"].(map[string]any)
		reqID := res.Header.Get(api.RequestIDHeader)
		if e["code"] != "internal" || e["message"] != "Internal error." || e["request_id"] != reqID || len(e) != 3 {
			t.Fatalf("500 body: %s", res.Body)
		}
		found := false
		for _, l := range w.logLines(t) {
			if l["request_id"] == reqID && l["msg"] == "request failed" && l["error"] != "" {
				found = true
			}
		}
		if !found {
			t.Fatalf("request %s is not in the log with its cause: %s", reqID, w.logs.Bytes())
		}
	})
}

func TestPanicsAnswer500(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	h := api.Observe(slog.New(slog.NewJSONHandler(&logs, nil)), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom at store.go:12")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/x", nil))
	scanLeak(t, "GET", "/api/v1/x", rec.Body.Bytes())
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), rec.Header().Get(api.RequestIDHeader)) {
		t.Fatalf("panic answer: %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "boom") || !strings.Contains(logs.String(), "stack") {
		t.Fatalf("panic not logged: %s", logs.String())
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			ready := reckontest.Open(t, engine, nil)
			bare, err := store.Open(ctx, reckontest.URL(t, engine), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(bare.Close)
			for _, c := range []struct {
				db     *store.DB
				status int
				check  string
			}{{ready, http.StatusOK, ""}, {bare, http.StatusServiceUnavailable, "schema"}} {
				rec := httptest.NewRecorder()
				api.Ready(c.db, slog.New(slog.DiscardHandler)).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
				scanLeak(t, "GET", "/readyz", rec.Body.Bytes())
				var body struct {
					Status string            `json:"status"`
					Checks map[string]string `json:"checks"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != c.status {
					t.Fatalf("readyz: %d %s", rec.Code, rec.Body)
				}
				if c.check != "" && body.Checks[c.check] != "failed" {
					t.Errorf("readyz does not name the failed check: %s", rec.Body)
				}
			}
			rec := httptest.NewRecorder()
			api.Health().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("healthz: %d", rec.Code)
			}
		})
	}
}
