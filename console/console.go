// Package console is reckon's operator console: server-rendered pages in
// English and German for operation runs, environment dashboards, reviews,
// platform-wide runs and notifications (the routes are in docs/api.md).
//
// Pages work without JavaScript; one small script refreshes the parts of a
// page that show active runs. The console calls the same services and the
// same access policy as the JSON API: every page resolves the caller's
// grant first, loads through it and renders. Handlers live one per file,
// named noun_verb; templates are embedded and checked at start-up.
package console

import (
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/fleet"
	"github.com/reckonhq/reckon/internal/web"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// Deps are what the console needs. DB and Catalog are required. A nil
// service hides its actions: without Reviews nothing can be composed,
// refreshed, published or archived; without Reconciler there is no
// "Reconcile now"; without Operator no retry, cancel, acknowledge, resolve
// or bulk action, and no timeline.
type Deps struct {
	DB         *store.DB
	Catalog    *catalog.Catalog
	Reviews    *review.Service
	Reconciler *reconcile.Reconciler
	Operator   *operator.Service
	Logger     *slog.Logger
	// Labels names the run types, the API's too in one process; its own
	// on Catalog and DB when nil.
	Labels *web.RunTypeLabels
	// Text translates every visible string; locale.Default() when nil.
	Text locale.Catalog
	// Clock is "now" for relative times and deadlines; the database's
	// clock when nil.
	Clock reckon.Clock
	// SecureCookies marks cookies Secure even when this process does not
	// see TLS itself (it sits behind a TLS-terminating proxy). Requests
	// that arrive over TLS always get Secure cookies.
	SecureCookies bool
	// SessionTTL is how long a sign-in lasts (DefaultSessionTTL when 0).
	SessionTTL time.Duration
	// LiveInterval is how often the page script asks for fresh active
	// rows (DefaultLiveInterval when 0).
	LiveInterval time.Duration
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client address (for the sign-in throttle); none when empty, so the
	// header counts for nothing unless the operator opts in.
	TrustedProxies []netip.Prefix
	// QueueUI serves River UI at QueuePath (system_queue.go); no queue
	// page when nil.
	QueueUI http.Handler
}

// Defaults.
const (
	DefaultSessionTTL   = 12 * time.Hour
	DefaultLiveInterval = 2 * time.Second
)

// Server serves the console.
type Server struct {
	db         *store.DB
	catalog    *catalog.Catalog
	labels     *web.RunTypeLabels
	reviews    *review.Service
	fleet      *fleet.Service
	reconciler *reconcile.Reconciler
	operator   *operator.Service
	log        *slog.Logger
	text       locale.Catalog
	clock      reckon.Clock
	secure     bool
	sessionTTL time.Duration
	live       time.Duration
	views      *views
	mux        *http.ServeMux
	// trustedProxies may name the client in X-Forwarded-For.
	trustedProxies []netip.Prefix
	queueUI        http.Handler
}

// New returns the console's handler. Mount it at "/": it serves /login,
// /admin/…, /system/ops/…, /notifications and its static files. It fails
// when a template does not parse or names a text missing in a language.
func New(d Deps) (http.Handler, error) {
	if d.DB == nil || d.Catalog == nil {
		return nil, errors.New("console: a database and a catalog are required")
	}
	s := &Server{db: d.DB, catalog: d.Catalog, labels: d.Labels, reviews: d.Reviews, fleet: fleet.NewService(d.DB), reconciler: d.Reconciler, operator: d.Operator, log: d.Logger,
		text: d.Text, clock: d.Clock, secure: d.SecureCookies, sessionTTL: d.SessionTTL, live: d.LiveInterval,
		trustedProxies: d.TrustedProxies, mux: http.NewServeMux(), queueUI: d.QueueUI}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.text == nil {
		s.text = locale.Default()
	}
	if s.clock == nil {
		s.clock = d.DB.Now
	}
	if s.sessionTTL <= 0 {
		s.sessionTTL = DefaultSessionTTL
	}
	if s.live <= 0 {
		s.live = DefaultLiveInterval
	}
	if s.labels == nil {
		s.labels = web.NewRunTypeLabels(s.db, s.catalog, s.log)
	}
	var err error
	if s.views, err = parseViews(s.text); err != nil {
		return nil, err
	}
	s.routes()
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(s.crossOriginDenied))
	return web.Observe(s.log, securityHeaders(csrf.Handler(s.mux)), s.panicked), nil
}

func (s *Server) routes() {
	s.mux.Handle("GET /static/", staticFiles())
	s.mux.HandleFunc("GET /{$}", s.home)
	s.mux.Handle("GET /login", s.public(s.showLogin))
	s.mux.Handle("POST /login", s.public(s.checkLogin))
	s.mux.Handle("POST /logout", s.public(s.logout))
	s.mux.Handle("POST /language", s.public(s.saveLanguage))

	s.mux.Handle("GET /admin", s.signedIn(web.Plain(s.listWorkspaces)))
	s.mux.Handle("GET /notifications", s.signedIn(web.Plain(s.listNotifications)))
	s.mux.Handle("POST /notifications/read", s.signedIn(web.Plain(s.readAllNotifications)))
	s.mux.Handle("POST /notifications/{id}/read", s.signedIn(web.Plain(s.readNotification)))
	s.mux.Handle("GET /settings", s.signedIn(web.Plain(s.showSettings)))
	s.mux.Handle("POST /settings", s.signedIn(web.Plain(s.saveSettings)))
	s.mux.Handle("GET /system/ops/runs", s.signedIn(web.System(s.listSystemRuns)))
	s.mux.Handle("GET /system/ops/runs/{id}", s.signedIn(web.System(s.showSystemRun)))
	s.mux.Handle(QueuePath+"/", s.queueRoute())

	ws := "/admin/workspaces/{workspace}"
	s.mux.Handle("GET "+ws, s.signedIn(web.InWorkspace(s.listEnvironments)))
	s.mux.Handle("GET "+ws+"/fleet", s.signedIn(web.InWorkspace(s.listFleet)))
	s.mux.Handle("GET "+ws+"/fleet/compose", s.signedIn(web.InWorkspace(s.confirmFleetCompose)))
	s.mux.Handle("POST "+ws+"/fleet/compose", s.signedIn(web.InWorkspace(s.composeFleet)))
	s.mux.Handle("GET "+ws+"/environments/{env}", s.signedIn(web.InEnvironment(access.View, s.showEnvironment)))
	s.mux.Handle("POST "+ws+"/environments/{env}/reviews", s.signedIn(web.InEnvironment(access.Compose, s.composeReview)))
	s.mux.Handle("GET "+ws+"/operations", s.signedIn(web.InWorkspace(s.listOperations)))
	s.mux.Handle("GET "+ws+"/operations/{id}", s.signedIn(web.InWorkspace(s.showOperation)))
	s.mux.Handle("POST "+ws+"/operations/{id}/reconcile", s.signedIn(web.WithRun(access.ReconcileNow, s.reconcileOperation)))
	s.mux.Handle("POST "+ws+"/operations/{id}/retry", s.signedIn(web.WithRun(access.Retry, s.retryOperation)))
	s.mux.Handle("POST "+ws+"/operations/{id}/cancel", s.signedIn(web.WithRun(access.Cancel, s.cancelOperation)))
	s.mux.Handle("POST "+ws+"/operations/{id}/acknowledge", s.signedIn(web.WithRun(access.Acknowledge, s.acknowledgeOperation)))
	s.mux.Handle("POST "+ws+"/operations/{id}/resolve", s.signedIn(web.WithRun(access.ResolveAmbiguity, s.resolveOperation)))
	s.mux.Handle("GET "+ws+"/operations/bulk", s.signedIn(web.InWorkspace(s.confirmBulk)))
	s.mux.Handle("POST "+ws+"/operations/bulk", s.signedIn(web.InWorkspace(s.applyBulk)))
	s.mux.Handle("GET "+ws+"/reviews", s.signedIn(web.InWorkspace(s.listReviews)))
	s.mux.Handle("GET "+ws+"/reviews/{id}", s.signedIn(s.withReview(access.View, s.showReview)))
	s.mux.Handle("GET "+ws+"/reviews/{id}/report", s.signedIn(s.withReview(access.View, s.reportReview)))
	s.mux.Handle("POST "+ws+"/reviews/{id}/refresh", s.signedIn(s.withReview(access.Refresh, s.refreshReview)))
	s.mux.Handle("POST "+ws+"/reviews/{id}/publish", s.signedIn(s.withReview(access.Publish,
		s.transitionReview(s.reviews.Publish, "console.flash.published"))))
	s.mux.Handle("POST "+ws+"/reviews/{id}/archive", s.signedIn(s.withReview(access.Archive,
		s.transitionReview(s.reviews.Archive, "console.flash.archived"))))

	// Everything else is the console's own 404 page.
	s.mux.Handle("/", s.public(func(w http.ResponseWriter, r *http.Request, c *call) error {
		return errNotFound
	}))
}

// home sends visitors to their workspaces, or to sign in.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}
