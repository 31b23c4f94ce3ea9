package app_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// A dot segment in an API path answers the API's JSON 404, not the
// process mux's 307 text/html to another workspace's path.
func TestAPIPathWithDotSegmentsAnswersJSON(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		a, err := app.New(db, &app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		h, err := a.Handler(false)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/api/v1/workspaces/acme/../globex/operations", "/api/v1/workspaces/./acme/operations", "/api/v1//workspaces"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			if rec.Code != http.StatusNotFound || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") ||
				!strings.Contains(rec.Body.String(), `"code":"not_found"`) || rec.Header().Get("Location") != "" {
				t.Errorf("%s: %d %s %q: %s", path, rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Location"), rec.Body)
			}
			if rec.Header().Get("Content-Security-Policy") == "" {
				t.Errorf("%s: no Content-Security-Policy", path)
			}
		}
	})
}
