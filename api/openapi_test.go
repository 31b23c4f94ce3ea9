package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/reckonhq/reckon/api"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// TestMain reports how many exchanges the suite held to the OpenAPI
// document, per engine, so that a run shows the validation ran.
func TestMain(m *testing.M) {
	code := m.Run()
	validated.Range(func(engine, c any) bool {
		n := c.(*exchangeCount)
		fmt.Printf("openapi: %d exchanges validated on %s (%d requests outside the document, all refused)\n",
			n.all.Load(), engine, n.outside.Load())
		return true
	})
	os.Exit(code)
}

// validated counts the exchanges serveValidated checked, by engine.
var validated sync.Map

type exchangeCount struct{ all, outside atomic.Int64 }

// spec is the document loaded once for the whole suite.
var spec = sync.OnceValues(func() (*openapiSpec, error) {
	// The review report is a document: its schema is a string, read as
	// text is.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPIDocument)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, err
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &openapiSpec{doc: doc, router: router}, nil
})

type openapiSpec struct {
	doc    *openapi3.T
	router routers.Router
}

func loadSpec(t testing.TB) *openapiSpec {
	t.Helper()
	s, err := spec()
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return s
}

// serveValidated serves r with h into rec and holds the exchange to the
// OpenAPI document: a request the document allows must get an answer the
// document describes, and one it does not allow must be refused (4xx) with
// a described answer. The harness sends every request through it.
func serveValidated(t testing.TB, engine store.Engine, h http.Handler, rec *httptest.ResponseRecorder, r *http.Request) {
	t.Helper()
	s := loadSpec(t)
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			t.Fatal(err)
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	check, outside := s.exchange(r, body)
	h.ServeHTTP(rec, r)
	if err := check(rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		t.Errorf("%s %s: answer %d breaks openapi.json: %v\n%s", r.Method, r.URL.RequestURI(), rec.Code, err, truncate(rec.Body.Bytes()))
	}
	c, _ := validated.LoadOrStore(string(engine), &exchangeCount{})
	c.(*exchangeCount).all.Add(1)
	if outside {
		c.(*exchangeCount).outside.Add(1)
	}
}

// exchange validates a request before it is served and returns the check of
// its answer, and whether the document does not allow the request.
func (s *openapiSpec) exchange(r *http.Request, body []byte) (check func(status int, header http.Header, answer []byte) error, outside bool) {
	vr := r.Clone(context.Background())
	// The snapshot import ignores a leading byte-order mark, as the
	// document says; JSON Schema validation would stop at it.
	vr.Body = io.NopCloser(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))))
	route, params, err := s.router.FindRoute(vr)
	if err != nil {
		// Outside the document: only the catch-all may answer, with the
		// error model.
		return func(status int, _ http.Header, answer []byte) error {
			if status != http.StatusNotFound && status != http.StatusUnauthorized {
				return fmt.Errorf("no operation in the document (%v), yet not refused with 404 or 401", err)
			}
			return s.errorBody(answer)
		}, true
	}
	in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: bearerPresent, IncludeResponseStatus: true, SkipSettingDefaults: true}}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	return func(status int, header http.Header, answer []byte) error {
		if reqErr != nil {
			var security *openapi3filter.SecurityRequirementsError
			if errors.As(reqErr, &security) && status != http.StatusUnauthorized {
				return fmt.Errorf("request without a bearer token not refused with 401: %v", reqErr)
			}
			if status < 400 || status >= 500 {
				return fmt.Errorf("request outside the document accepted: %v", reqErr)
			}
		}
		return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: status, Header: header, Body: io.NopCloser(bytes.NewReader(answer)),
			Options: in.Options})
	}, reqErr != nil
}

// errorBody checks an answer against the error model of the document.
func (s *openapiSpec) errorBody(answer []byte) error {
	var v any
	if err := json.Unmarshal(answer, &v); err != nil {
		return err
	}
	return s.doc.Components.Schemas["Error"].Value.VisitJSON(v, openapi3.EnableJSONSchema2020())
}

// bearerPresent is the document's security scheme as a client sees it: a
// bearer token is sent. Whether the server knows it is the server's to say.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	scheme, token, ok := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return errors.New("no bearer token")
	}
	return nil
}

func truncate(b []byte) []byte {
	if len(b) > 600 {
		return append(b[:600:600], "…"...)
	}
	return b
}

// The document is valid OpenAPI 3.1 and names every operation the router
// serves, and no other, with the same path parameters.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	t.Parallel()
	s := loadSpec(t)
	if !s.doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi %q, want 3.1", s.doc.OpenAPI)
	}
	base := s.doc.Servers[0].URL
	var documented []string
	for path, item := range s.doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+base+path)
		}
	}
	served := api.RoutePatterns()
	slices.Sort(documented)
	slices.Sort(served)
	for _, p := range served {
		if !slices.Contains(documented, p) {
			t.Errorf("the router serves %s; openapi.json lacks it", p)
		}
	}
	for _, p := range documented {
		if !slices.Contains(served, p) {
			t.Errorf("openapi.json describes %s; the router lacks it", p)
		}
	}
}

// The document is served as it is embedded, without a token, cacheable.
func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		res := w.get(t, "", "/api/v1/openapi.json")
		expect(t, res, http.StatusOK)
		if !bytes.Equal(res.Body, api.OpenAPIDocument) {
			t.Fatal("served document differs from the embedded one")
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("Content-Type %q", ct)
		}
		etag := res.Header.Get("ETag")
		if etag == "" || !strings.Contains(res.Header.Get("Cache-Control"), "max-age=") {
			t.Fatalf("not cacheable: %v", res.Header)
		}
		again := w.do(t, req{method: http.MethodGet, path: "/api/v1/openapi.json", header: map[string]string{"If-None-Match": etag}})
		expect(t, again, http.StatusNotModified)
	})
}

// The validator must catch what it is there to catch, or the suite's
// validation proves nothing.
func TestOpenAPIValidatorCatchesDrift(t *testing.T) {
	t.Parallel()
	s := loadSpec(t)
	answer := func(status int, body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set(api.RequestIDHeader, "r1")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		})
	}
	const notFound = `{"error": {"code": "not_found", "message": "m", "request_id": "r1"}}`
	for _, c := range []struct {
		name, method, path, token, body string
		h                               http.Handler
		ok                              bool
	}{
		{"a described answer", "GET", "/api/v1/workspaces", "t", "", answer(200, `{"workspaces": [{"slug": "a", "name": "A"}]}`), true},
		{"a described refusal of a bad limit", "GET", "/api/v1/workspaces/a/operations?limit=0", "t", "",
			answer(422, `{"error": {"code": "validation_failed", "message": "m", "fields": {"limit": "m"}, "request_id": "r1"}}`), true},
		{"the catch-all", "GET", "/api/v1/nothing", "t", "", answer(404, notFound), true},
		{"a member the document lacks", "GET", "/api/v1/workspaces", "t", "", answer(200, `{"workspaces": [], "total": 0}`), false},
		{"a status the document lacks", "GET", "/api/v1/workspaces", "t", "", answer(418, `{}`), false},
		{"a code under the wrong status", "GET", "/api/v1/workspaces/a/reviews/1", "t", "",
			answer(404, `{"error": {"code": "forbidden", "message": "m", "request_id": "r1"}}`), false},
		{"an error without its request id", "GET", "/api/v1/workspaces/a/reviews/1", "t", "",
			answer(404, `{"error": {"code": "not_found", "message": "m"}}`), false},
		{"a wrong enum value", "GET", "/api/v1/workspaces/a/operations/1", "t", "", answer(200, `{"id": 1, "status": "done"}`), false},
		{"a bad limit accepted", "GET", "/api/v1/workspaces/a/operations?limit=0", "t", "",
			answer(200, `{"operations": [], "next_cursor": null}`), false},
		{"no token accepted", "GET", "/api/v1/workspaces", "", "", answer(200, `{"workspaces": []}`), false},
		{"an undescribed body accepted", "POST", "/api/v1/workspaces/a/environments/1/restores", "t", `{"backup": 1}`,
			answer(202, `{}`), false},
		{"a path outside the document answered", "GET", "/api/v1/nothing", "t", "", answer(200, `{}`), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var body io.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			r := httptest.NewRequest(c.method, c.path, body)
			if c.token != "" {
				r.Header.Set("Authorization", "Bearer "+c.token)
			}
			if c.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			rec := httptest.NewRecorder()
			check, _ := s.exchange(r, []byte(c.body))
			c.h.ServeHTTP(rec, r)
			err := check(rec.Code, rec.Header(), rec.Body.Bytes())
			if c.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !c.ok && err == nil {
				t.Fatal("passed")
			}
		})
	}
}
