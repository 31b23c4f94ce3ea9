package console_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/console"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/restore"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// password is every test user's password; hashing it once keeps the suite
// quick (argon2id is slow on purpose).
const password = "correct horse battery staple"

var passwordHash = sync.OnceValue(func() string {
	h, err := access.HashPassword(password)
	if err != nil {
		panic(err)
	}
	return h
})

// world is the cast of the suite: two workspaces, three environments, a
// member of every role, a restricted member, an outsider and platform
// support, with the real services behind one console.
type world struct {
	db       *store.DB
	fx       *reckontest.Fixture
	clock    *reckontest.Clock
	cat      *catalog.Catalog
	ledger   *ledger.Ledger
	reviews  *review.Service
	restores *restore.Service
	worker   *review.Worker
	rec      *reconcile.Reconciler
	ops      *operator.Service
	server   *httptest.Server

	wsA, wsB           *reckon.Workspace
	envA1, envA2, envB *reckon.Environment
	users              map[string]*reckon.User
}

// start is when every suite's clock starts.
var start = reckontest.Epoch()

// eachWorld runs fn on both engines with a fresh world.
func eachWorld(t *testing.T, fn func(t *testing.T, w *world)) {
	t.Helper()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			t.Parallel()
			clock := reckontest.NewClock(start)
			db := reckontest.Open(t, engine, &reckontest.Options{Clock: clock.Now})
			fn(t, newWorld(t, db, clock))
		})
	}
}

func newWorld(t *testing.T, db *store.DB, clock *reckontest.Clock) *world {
	t.Helper()
	w := &world{db: db, fx: reckontest.NewFixture(t, db), clock: clock, cat: catalog.Default(), users: map[string]*reckon.User{}}
	workers := river.NewWorkers()
	q, err := queue.New(db, &queue.Config{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	w.ledger = ledger.New(w.cat, q)
	w.reviews = review.NewService(review.Deps{DB: db, Ledger: w.ledger, Catalog: w.cat, Clock: clock.Now})
	w.worker = review.Register(w.cat, workers, w.reviews, nil)
	w.restores = restore.NewService(db, w.ledger, nil)
	restore.Register(w.cat, workers, w.restores)
	w.rec = reconcile.New(db, w.ledger, nil)
	w.ops = operator.New(operator.Deps{DB: db, Ledger: w.ledger, Queue: q, Reviews: w.reviews, Restores: w.restores, Reconciler: w.rec})
	if err := operator.Register(w.cat, workers, w.ops); err != nil {
		t.Fatal(err)
	}

	w.wsA, w.wsB = w.fx.Workspace(), w.fx.Workspace()
	w.envA1, w.envA2, w.envB = w.fx.Environment(w.wsA), w.fx.Environment(w.wsA), w.fx.Environment(w.wsB)
	member := func(name string, ws *reckon.Workspace, role reckon.Role, envs ...int64) {
		u := w.fx.User(passwordHash())
		if ws != nil {
			w.fx.Member(ws, u, role, envs...)
		}
		w.users[name] = u
	}
	member("owner", w.wsA, reckon.RoleOwner)
	member("manager", w.wsA, reckon.RoleManager)
	member("operator", w.wsA, reckon.RoleOperator)
	member("readonly", w.wsA, reckon.RoleReadonly)
	member("restricted", w.wsA, reckon.RoleOwner, w.envA1.ID)
	member("outsider", w.wsB, reckon.RoleOwner)
	support := &reckon.User{Email: "support@example.test", Name: "Platform Support", PasswordHash: passwordHash(), IsPlatformSupport: true}
	w.tx(t, func(tx *store.Tx) error { return tx.CreateUser(context.Background(), support) })
	w.users["support"] = support
	h, err := console.New(console.Deps{DB: db, Catalog: w.cat, Reviews: w.reviews, Reconciler: w.rec, Operator: w.ops,
		Logger: slog.New(slog.DiscardHandler), Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	w.server = httptest.NewServer(h)
	t.Cleanup(w.server.Close)
	return w
}

func (w *world) tx(t testing.TB, fn func(tx *store.Tx) error) {
	t.Helper()
	reckontest.Tx(t, w.db, func(_ context.Context, tx *store.Tx) error { return fn(tx) })
}

// client is one browser: its own cookies, its own language header.
type client struct {
	w    *world
	http *http.Client
	lang string // Accept-Language, "" for none
}

func (w *world) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{w: w, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// as returns a client signed in as the named user.
func (w *world) as(t testing.TB, name string) *client {
	t.Helper()
	c := w.client()
	res := c.post(t, "/login", url.Values{"email": {w.users[name].Email}, "password": {password}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("sign in as %s: %d %s", name, res.status, res.body)
	}
	return c
}

// page is a finished request.
type page struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(t testing.TB, method, path string, form url.Values, header map[string]string) *page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.w.server.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := &page{status: res.StatusCode, header: res.Header, body: string(b)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		scanPage(t, method+" "+path, p.body)
	}
	return p
}

func (c *client) get(t testing.TB, path string) *page {
	t.Helper()
	return c.do(t, http.MethodGet, path, nil, nil)
}

func (c *client) post(t testing.TB, path string, form url.Values) *page {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	return c.do(t, http.MethodPost, path, form, nil)
}

// follow gets the page a redirect points to.
func (c *client) follow(t testing.TB, p *page) *page {
	t.Helper()
	if p.status != http.StatusSeeOther && p.status != http.StatusFound {
		t.Fatalf("not a redirect: %d %s", p.status, p.body)
	}
	loc := p.header.Get("Location")
	if u, err := url.Parse(loc); err == nil && u.IsAbs() {
		loc = u.RequestURI()
	}
	return c.get(t, loc)
}

// expect fails unless the page has the status and every piece of text.
func expect(t testing.TB, p *page, status int, texts ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d:\n%s", p.status, status, p.body)
	}
	for _, s := range texts {
		if !strings.Contains(p.body, s) && !strings.Contains(p.body, html.EscapeString(s)) {
			t.Fatalf("page lacks %q:\n%s", s, p.body)
		}
	}
}

// lacks fails if the page holds any of the texts.
func lacks(t testing.TB, p *page, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(p.body, s) || strings.Contains(p.body, html.EscapeString(s)) {
			t.Fatalf("page holds %q:\n%s", s, p.body)
		}
	}
}

// leak matches what must never reach a page: SQL, constraint and index
// names, SQLSTATE codes, driver and Go error wording.
var leak = regexp.MustCompile(`\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|ON CONFLICT|RETURNING|SQLSTATE|FOR UPDATE)\b` +
	`|(?i)violates|duplicate key|constraint|no rows in result set|syntax error at or near|sql: |pgx|sqlite|` +
	`\b(23505|23503|23514|40001|40P01|42P01|42703)\b|` +
	`_unique\b|_pkey\b|_fkey\b|_newest\b|_active_deadline\b|\boperation_runs\b|\benvironment_reviews\b|\bevidence_snapshots\b|` +
	`\bworkspace_memberships\b|\benvironment_entitlements\b|\bconsole_sessions\b|\blogin_throttle\b|\briver_job\b|` +
	`goroutine \d|\.go:\d+|panic:|runtime error|%!|<no value>|` +
	// A Go error's package prefix starts a text or follows another prefix.
	`(?m)(^|[>"]\s*|: )(store|access|ledger|queue|review|reconcile|restore|catalog|console|json|river): `)

// untranslated matches a catalog key or an unfilled argument in the words
// a reader sees.
var untranslated = regexp.MustCompile(`\b(console|review|restore|reason|run|reconcile|access|api|error|snapshot|scubagear)\.[a-z_]+(\.[a-z_]+)*\b|\{[a-z_]+\}`)

var (
	codeOrPre = regexp.MustCompile(`(?s)<(code|pre)\b[^>]*>.*?</(code|pre)>`)
	tag       = regexp.MustCompile(`(?s)<[^>]*>`)
	readable  = regexp.MustCompile(`\b(title|aria-label|alt|label|placeholder)="([^"]*)"`)
)

// visibleText is what a page shows and reads out: its text and the
// attributes people read, without the codes it shows as codes.
func visibleText(html string) string {
	html = codeOrPre.ReplaceAllString(html, " ")
	return tag.ReplaceAllStringFunc(html, func(t string) string {
		var b strings.Builder
		for _, m := range readable.FindAllStringSubmatch(t, -1) {
			b.WriteString(" " + m[2] + " ")
		}
		return b.String() + " "
	})
}

// scanPage fails on a page that leaks internals or shows a key.
func scanPage(t testing.TB, what, html string) {
	t.Helper()
	if m := leak.FindString(html); m != "" {
		t.Errorf("%s: the page leaks %q:\n%s", what, m, html)
	}
	if m := untranslated.FindString(visibleText(html)); m != "" {
		t.Errorf("%s: the page shows the untranslated %q:\n%s", what, m, html)
	}
}

// Snapshots and runs for the suite.

func finding(id, title, product string, sev reckon.Severity, st reckon.FindingStatus) reckon.Finding {
	return reckon.Finding{ControlID: id, Title: title, Product: product, Severity: sev, Status: st}
}

// importSnapshot stores evidence for an environment, captured at.
func (w *world) importSnapshot(t testing.TB, env *reckon.Environment, at time.Time, findings ...reckon.Finding) *reckon.Snapshot {
	t.Helper()
	snap, _, err := evidence.NewService(w.db).Import(context.Background(), scopeOf(env),
		reckon.SnapshotInput{CapturedAt: at, Findings: findings, Source: reckon.SnapshotSource{Format: reckon.SnapshotFormatNative}})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func scopeOf(e *reckon.Environment) reckon.Scope {
	return reckon.Scope{WorkspaceID: e.WorkspaceID, EnvironmentID: e.ID}
}

// deliver works a compose run's job once, as the queue would.
func (w *world) deliver(t testing.TB, runID int64) {
	t.Helper()
	if err := app.WorkCompose(context.Background(), w.worker, runID); err != nil {
		t.Fatal(err)
	}
}

// composed composes the environment's newest evidence to a ready review
// and returns it with its run.
func (w *world) composed(t testing.TB, env *reckon.Environment, by *reckon.User) (*reckon.Review, *reckon.Run) {
	t.Helper()
	var userID int64
	if by != nil {
		userID = by.ID
	}
	res, err := w.reviews.Compose(context.Background(), scopeOf(env), userID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Result != review.ResultQueued {
		t.Fatalf("compose: %s", res.Result)
	}
	w.deliver(t, res.Run.ID)
	return w.reviewOf(t, res.Run), w.run(t, res.Run.WorkspaceID, res.Run.ID)
}

func (w *world) reviewOf(t testing.TB, run *reckon.Run) *reckon.Review {
	t.Helper()
	var v *reckon.Review
	w.tx(t, func(tx *store.Tx) (err error) {
		v, err = tx.ReviewOfRun(context.Background(), run.WorkspaceID, run.ID)
		return err
	})
	return v
}

func (w *world) run(t testing.TB, workspaceID, id int64) *reckon.Run {
	t.Helper()
	return reckontest.Run(t, w.db, workspaceID, id)
}

// queuedRun creates a queued compose run for a fingerprint key through the
// ledger, the way a trigger does.
func (w *world) queuedRun(t testing.TB, env *reckon.Environment, key string) *reckon.Run {
	t.Helper()
	var run *reckon.Run
	w.tx(t, func(tx *store.Tx) (err error) {
		run, _, err = w.ledger.Ensure(context.Background(), tx, &ledger.EnsureParams{Scope: scopeOf(env),
			Type: reckon.RunTypeReviewCompose, Key: key, Context: reckon.RunContext{Fingerprint: key}})
		return err
	})
	return run
}

func opPath(ws *reckon.Workspace, id int64) string {
	return fmt.Sprintf("/admin/workspaces/%s/operations/%d", ws.Slug, id)
}

func envPath(env *reckon.Environment, ws *reckon.Workspace) string {
	return fmt.Sprintf("/admin/workspaces/%s/environments/%d", ws.Slug, env.ID)
}

func reviewPath(ws *reckon.Workspace, id int64) string {
	return fmt.Sprintf("/admin/workspaces/%s/reviews/%d", ws.Slug, id)
}

// de translates a key to German, for assertions.
func de(key string, args ...any) string {
	return locale.Default().Message("de", reckon.Msg(key, args...))
}

func en(key string, args ...any) string {
	return locale.Default().Message("en", reckon.Msg(key, args...))
}
