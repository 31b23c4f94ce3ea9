// Package api is reckon's JSON API under /api/v1 (the contract is docs/api.md):
// bearer API tokens, the access policy on every route, one error model and
// keyset-paged, newest-first lists. Handlers are small and alike: resolve
// the caller's grant, load through it, call a service, render.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/fleet"
	"github.com/reckonhq/reckon/internal/web"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/restore"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// Default request body limit for JSON bodies other than snapshots.
const DefaultMaxBodyBytes = 1 << 20

// Deps are what the API needs; all but Logger, Text and MaxBodyBytes are
// required.
type Deps struct {
	DB         *store.DB
	Catalog    *catalog.Catalog
	Reviews    *review.Service
	Restores   *restore.Service
	Reconciler *reconcile.Reconciler
	Operator   *operator.Service
	Logger     *slog.Logger
	// Labels names the run types, the console's too in one process; its
	// own on Catalog and DB when nil.
	Labels *web.RunTypeLabels
	// Text translates messages; locale.Default() when nil.
	Text locale.Catalog
	// MaxBodyBytes bounds JSON bodies (DefaultMaxBodyBytes when 0).
	MaxBodyBytes int64
}

// Server serves the API.
type Server struct {
	db         *store.DB
	catalog    *catalog.Catalog
	labels     *web.RunTypeLabels
	reviews    *review.Service
	evidence   *evidence.Service
	fleet      *fleet.Service
	restores   *restore.Service
	reconciler *reconcile.Reconciler
	operator   *operator.Service
	log        *slog.Logger
	text       locale.Catalog
	maxBody    int64
	mux        *http.ServeMux
	patterns   []string // the routes, for the test that holds them to the OpenAPI document
}

// New returns the API handler. It serves paths under /api/v1/ (mount it at
// "/api/v1/") and wraps every request in Observe.
func New(d Deps) http.Handler {
	if d.DB == nil || d.Catalog == nil || d.Reviews == nil || d.Restores == nil || d.Reconciler == nil || d.Operator == nil {
		panic("api: New needs a database, a catalog and the review, restore, reconcile and operator services")
	}
	s := &Server{db: d.DB, catalog: d.Catalog, labels: d.Labels, reviews: d.Reviews, evidence: evidence.NewService(d.DB), fleet: fleet.NewService(d.DB), restores: d.Restores, reconciler: d.Reconciler, operator: d.Operator, log: d.Logger, text: d.Text, maxBody: d.MaxBodyBytes, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.text == nil {
		s.text = locale.Default()
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.labels == nil {
		s.labels = web.NewRunTypeLabels(s.db, s.catalog, s.log)
	}
	s.routes()
	return Observe(s.log, s.edge(s.mux))
}

func (s *Server) routes() {
	s.get("/workspaces", web.Plain(s.listWorkspaces))
	s.get("/workspaces/{workspace}/environments", web.InWorkspace(s.listEnvironments))
	s.postLimit("/workspaces/{workspace}/environments/{env}/evidence-snapshots", 0, web.InEnvironment(access.ImportSnapshot, s.importSnapshot))
	s.get("/workspaces/{workspace}/environments/{env}/evidence-snapshots", web.InEnvironment(access.View, s.listSnapshots))
	s.postLimit("/workspaces/{workspace}/evidence-snapshots", MaxBulkBodyBytes, web.InWorkspace(s.importSnapshots))
	s.post("/workspaces/{workspace}/environments/{env}/reviews", web.InEnvironment(access.Compose, s.composeReview))
	s.postLimit("/workspaces/{workspace}/environments/{env}/restores", MaxRestoreBodyBytes, web.InEnvironment(access.Restore, s.startRestore))
	s.get("/workspaces/{workspace}/reviews", web.InWorkspace(s.listReviews))
	s.post("/workspaces/{workspace}/reviews/compose", web.InWorkspace(s.composeReviews))
	s.get("/workspaces/{workspace}/fleet", web.InWorkspace(s.listFleet))
	s.get("/workspaces/{workspace}/reviews/{id}", web.WithReview(access.View, s.showReview))
	s.get("/workspaces/{workspace}/reviews/{id}/report", web.WithReview(access.View, s.reviewReport))
	s.post("/workspaces/{workspace}/reviews/{id}/refresh", web.WithReview(access.Refresh, s.refreshReview))
	s.post("/workspaces/{workspace}/reviews/{id}/publish", web.WithReview(access.Publish, s.transitionReview(s.reviews.Publish)))
	s.post("/workspaces/{workspace}/reviews/{id}/archive", web.WithReview(access.Archive, s.transitionReview(s.reviews.Archive)))
	s.get("/workspaces/{workspace}/operations", web.InWorkspace(s.listOperations))
	s.get("/workspaces/{workspace}/operations/{id}", web.WithRun(access.View, s.showOperation))
	s.post("/workspaces/{workspace}/operations/{id}/reconcile", web.WithRun(access.ReconcileNow, s.reconcileOperation))
	s.post("/workspaces/{workspace}/operations/{id}/retry", web.WithRun(access.Retry, s.retryOperation))
	s.post("/workspaces/{workspace}/operations/{id}/cancel", web.WithRun(access.Cancel, s.cancelOperation))
	s.post("/workspaces/{workspace}/operations/{id}/acknowledge", web.WithRun(access.Acknowledge, s.acknowledgeOperation))
	s.post("/workspaces/{workspace}/operations/{id}/resolve", web.WithRun(access.ResolveAmbiguity, s.resolveOperation))
	s.get("/workspaces/{workspace}/operations/{id}/events", web.WithRun(access.View, s.operationEvents))
	s.post("/workspaces/{workspace}/operations/bulk", web.InWorkspace(s.bulkOperations))
	s.get("/system/operations", web.System(s.listSystemOperations))
	s.post("/system/reconcile", web.System(s.sweep))
	s.route("GET /api/v1/openapi.json", http.HandlerFunc(serveOpenAPI))
	// Anything else under /api/v1 is a JSON 404, not the mux's text page.
	s.mux.Handle("/api/v1/", s.handle(0, web.Plain(func(w http.ResponseWriter, r *http.Request, c *call) error {
		return access.NotFound("page")
	})))
}

// call is what a handler knows about its request: what it resolved and
// the language of the answer.
type call struct {
	web.Access
	lang string
}

type (
	workspaceHandler = web.GrantHandler[*call]
	route            = web.Route[*call]
)

func (s *Server) get(path string, rt route) {
	s.route("GET /api/v1"+path, s.handle(0, rt))
}

func (s *Server) post(path string, rt route) { s.postLimit(path, s.maxBody, rt) }

func (s *Server) postLimit(path string, limit int64, rt route) {
	s.route("POST /api/v1"+path, s.handle(limit, rt))
}

func (s *Server) route(pattern string, h http.Handler) {
	s.patterns = append(s.patterns, pattern)
	s.mux.Handle(pattern, h)
}

// handle authenticates the caller and resolves what the route needs in one
// transaction, bounds the body, runs the handler and answers its error
// through the one error model.
func (s *Server) handle(limit int64, rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{lang: locale.Negotiate(r.Header.Get("Accept-Language"))}
		if limit > 0 {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		err := s.authenticate(r, c, rt.Need)
		if err == nil {
			err = rt.Serve(w, r, c)
		}
		if err != nil {
			if reckon.ErrorCodeOf(err) == reckon.CodeUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="reckon"`)
			}
			s.writeError(w, r, c.lang, err)
		}
	})
}

// authenticate resolves the bearer token to a user, and what the route
// needs through their grant. Without an Accept-Language header, the user's
// own language setting applies.
func (s *Server) authenticate(r *http.Request, c *call, need web.Need) error {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return &reckon.Error{Code: reckon.CodeUnauthorized, Message: reckon.Msg("access.unauthorized")}
	}
	err := web.Resolve(r, s.db, need, func(ctx context.Context, tx *store.Tx) (*reckon.User, error) {
		return access.AuthenticateToken(ctx, tx, strings.TrimSpace(token))
	}, &c.Access)
	if c.User != nil && r.Header.Get("Accept-Language") == "" && locale.Supported(c.User.Locale) {
		c.lang = c.User.Locale
	}
	return err
}
