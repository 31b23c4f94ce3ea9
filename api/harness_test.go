package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/api"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/restore"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// leak matches what must never appear in a response: SQL, driver and
// constraint wording, SQLSTATE codes, index and table names, Go type names
// and stack traces. Every response of the suite goes through it.
var leak = regexp.MustCompile(`\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|WHERE|ON CONFLICT|RETURNING|SQLSTATE|FOR UPDATE)\b` +
	`|(?i:violates|duplicate key|constraint|no rows in result set|syntax error at or near|sql: |pgx|sqlite)|` +
	`\b(23505|23503|23514|40001|40P01|42P01|42703)\b|` +
	`_unique\b|_pkey\b|_fkey\b|_newest\b|_active_deadline\b|\boperation_runs\b|\benvironment_reviews\b|\bevidence_snapshots\b|` +
	`\bworkspace_memberships\b|\benvironment_entitlements\b|\bapi_tokens\b|\briver_job\b|` +
	`\*?\b(reckon|store|access|api|json|http|time|strconv)\.[A-Z]\w*|goroutine \d|\.go:\d+|panic:|runtime error|` +
	`\b(store|access|ledger|queue|review|reconcile|restore|catalog|api|json|river): `)

// scanLeak fails the test when a response body leaks internals.
func scanLeak(t testing.TB, method, path string, body []byte) {
	t.Helper()
	if m := leak.Find(body); m != nil {
		t.Errorf("%s %s: response leaks %q: %s", method, path, m, body)
	}
}

// world is the cast of the suite: two workspaces, three environments and a
// member for every role and restriction, each with an API token.
type world struct {
	db         *store.DB
	handler    http.Handler
	catalog    *catalog.Catalog
	queue      *queue.Queue
	ledger     *ledger.Ledger
	reconciler *reconcile.Reconciler
	ops        *operator.Service
	fx         *reckontest.Fixture
	logs       *bytes.Buffer

	wsA, wsB           *reckon.Workspace
	envA1, envA2, envB *reckon.Environment

	owner, manager, operator, readonly, restricted, outsider, support, revoked string
	ownerUser                                                                  *reckon.User
}

func newWorld(t testing.TB, db *store.DB) *world {
	t.Helper()
	fx := reckontest.NewFixture(t, db)
	w := &world{db: db, fx: fx, logs: &bytes.Buffer{}}
	w.wsA, w.wsB = fx.Workspace(), fx.Workspace()
	w.envA1, w.envA2, w.envB = fx.Environment(w.wsA), fx.Environment(w.wsA), fx.Environment(w.wsB)

	member := func(ws *reckon.Workspace, role reckon.Role, envs ...int64) (*reckon.User, string) {
		u := fx.User("x")
		if ws != nil {
			fx.Member(ws, u, role, envs...)
		}
		return u, w.token(t, u)
	}
	w.ownerUser, w.owner = member(w.wsA, reckon.RoleOwner)
	_, w.manager = member(w.wsA, reckon.RoleManager)
	_, w.operator = member(w.wsA, reckon.RoleOperator)
	_, w.readonly = member(w.wsA, reckon.RoleReadonly)
	_, w.restricted = member(w.wsA, reckon.RoleOwner, w.envA1.ID)
	_, w.outsider = member(w.wsB, reckon.RoleOwner)

	supportUser := &reckon.User{Email: "support@example.test", Name: "Support", PasswordHash: "x", IsPlatformSupport: true}
	w.tx(t, func(tx *store.Tx) error { return tx.CreateUser(context.Background(), supportUser) })
	w.support = w.token(t, supportUser)

	// A member whose only token is revoked.
	revokedUser := fx.User("x")
	fx.Member(w.wsA, revokedUser, reckon.RoleOwner)
	w.tx(t, func(tx *store.Tx) error {
		secret, tok, err := access.IssueToken(context.Background(), tx, revokedUser.ID, "revoked")
		w.revoked = secret
		if err != nil {
			return err
		}
		return access.RevokeToken(context.Background(), tx, revokedUser.ID, tok.ID)
	})

	log := slog.New(slog.NewJSONHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w.wire(t, log)
	return w
}

// wire builds the services as a serving process does — catalog, queue,
// ledger, the review, restore and reconcile services with their jobs and
// adapters — and the API on top. Workers start only in startWorker.
func (w *world) wire(t testing.TB, log *slog.Logger) {
	t.Helper()
	w.catalog = catalog.Default()
	workers := river.NewWorkers()
	q, err := queue.New(w.db, &queue.Config{Workers: workers, FetchPollInterval: 50 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w.queue = q
	w.ledger = ledger.New(w.catalog, q)
	reviews := review.NewService(review.Deps{DB: w.db, Ledger: w.ledger, Catalog: w.catalog})
	review.Register(w.catalog, workers, reviews, nil)
	restores := restore.NewService(w.db, w.ledger, nil)
	restore.Register(w.catalog, workers, restores)
	if err := w.catalog.Validate(); err != nil {
		t.Fatal(err)
	}
	w.reconciler = reconcile.New(w.db, w.ledger, nil)
	w.ops = operator.New(operator.Deps{DB: w.db, Ledger: w.ledger, Queue: q, Reviews: reviews,
		Restores: restores, Reconciler: w.reconciler})
	if err := operator.Register(w.catalog, workers, w.ops); err != nil {
		t.Fatal(err)
	}
	w.handler = api.New(api.Deps{DB: w.db, Catalog: w.catalog, Reviews: reviews, Restores: restores,
		Reconciler: w.reconciler, Operator: w.ops, Logger: log})
}

// startWorker works jobs until the test ends.
func (w *world) startWorker(t *testing.T) {
	t.Helper()
	if err := w.queue.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.stopWorker(t) })
}

// stopWorker stops working jobs; jobs inserted afterwards wait.
func (w *world) stopWorker(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = w.queue.Stop(ctx)
}

func (w *world) token(t testing.TB, u *reckon.User) string {
	t.Helper()
	var secret string
	w.tx(t, func(tx *store.Tx) (err error) {
		secret, _, err = access.IssueToken(context.Background(), tx, u.ID, "test")
		return err
	})
	return secret
}

func (w *world) tx(t testing.TB, fn func(tx *store.Tx) error) {
	t.Helper()
	reckontest.Tx(t, w.db, func(_ context.Context, tx *store.Tx) error { return fn(tx) })
}

// response is a finished request with its decoded JSON body.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// errorCode returns error.code of an error answer.
func (r *response) errorCode() string {
	e, _ := r.JSON["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (r *response) errorMessage() string {
	e, _ := r.JSON["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

// req is one request to the API.
type req struct {
	method, path, token string
	body                string
	header              map[string]string
}

// do sends a request and scans the response for leaks.
func (w *world) do(t testing.TB, rq req) *response {
	t.Helper()
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	// The query goes in raw, as a client may send it, even unparseable.
	path, rawQuery, _ := strings.Cut(rq.path, "?")
	hr := httptest.NewRequest(rq.method, path, body)
	hr.URL.RawQuery = rawQuery
	hr.RequestURI = rq.path
	if rq.token != "" {
		hr.Header.Set("Authorization", "Bearer "+rq.token)
	}
	if rq.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range rq.header {
		hr.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	serveValidated(t, w.db.Engine(), w.handler, rec, hr)
	res := &response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	scanLeak(t, rq.method, rq.path, res.Body)
	// Every answer is a JSON object but the documents the OpenAPI document
	// gives a route (a review's report), whose type serveValidated held to it.
	if len(res.Body) > 0 && !isDocument(res.Header) {
		if err := json.Unmarshal(res.Body, &res.JSON); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %v: %s", rq.method, rq.path, err, res.Body)
		}
	}
	return res
}

// isDocument reports whether an answer is a document rather than JSON.
func isDocument(h http.Header) bool {
	ct := h.Get("Content-Type")
	return strings.HasPrefix(ct, "text/html;") || strings.HasPrefix(ct, "text/csv;")
}

func (w *world) get(t testing.TB, token, path string) *response {
	t.Helper()
	return w.do(t, req{method: http.MethodGet, path: path, token: token})
}

func (w *world) post(t testing.TB, token, path, body string) *response {
	t.Helper()
	return w.do(t, req{method: http.MethodPost, path: path, token: token, body: body})
}

// expect fails unless the response has the status.
func expect(t testing.TB, res *response, status int) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d: %s", res.Status, status, res.Body)
	}
}

// The scanner must catch what it is there to catch, or the suite proves
// nothing.
func TestLeakScannerCatchesInternals(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		`{"error":{"message":"ERROR: duplicate key value violates unique constraint \"operation_runs_active_identity_unique\" (SQLSTATE 23505)"}}`,
		`{"m":"UNIQUE constraint failed: environment_reviews.workspace_id"}`,
		`{"m":"SELECT id FROM operation_runs WHERE id = $1"}`,
		`{"m":"json: cannot unmarshal string into Go value of type reckon.Severity"}`,
		`{"m":"store: not found"}`,
		`{"m":"goroutine 7 [running]: api/api.go:12"}`,
	} {
		if leak.FindString(s) == "" {
			t.Errorf("scanner misses %s", s)
		}
	}
	for _, s := range []string{
		`{"operation_run_id": 3, "message": "The JSON is malformed at line 1, column 2.", "links": {"self": "/api/v1/workspaces/ws-1/reviews/2"}}`,
		`{"message": "Die Eingabe ist ungültig.", "type": "environment.review.compose", "reason_code": "review.available"}`,
	} {
		if m := leak.FindString(s); m != "" {
			t.Errorf("scanner flags safe text %q in %s", m, s)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
