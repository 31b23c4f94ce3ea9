// Package api is reckon's JSON API under /api/v1 (the contract is docs/api.md):
// bearer API tokens, the access policy on every route, one error model and
// keyset-paged, newest-first lists. Handlers are small and alike: resolve
// the caller's grant, load through it, call a service, render.
package api

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/locale"
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
	Logger     *slog.Logger
	// Text translates messages; locale.Default() when nil.
	Text locale.Catalog
	// MaxBodyBytes bounds JSON bodies (DefaultMaxBodyBytes when 0).
	MaxBodyBytes int64
}

// Server serves the API.
type Server struct {
	db         *store.DB
	catalog    *catalog.Catalog
	reviews    *review.Service
	evidence   *evidence.Service
	restores   *restore.Service
	reconciler *reconcile.Reconciler
	log        *slog.Logger
	text       locale.Catalog
	maxBody    int64
	mux        *http.ServeMux
	patterns   []string // the routes, for the test that holds them to the OpenAPI document
}

// New returns the API handler. It serves paths under /api/v1/ (mount it at
// "/api/v1/") and wraps every request in Observe.
func New(d Deps) http.Handler {
	if d.DB == nil || d.Catalog == nil || d.Reviews == nil || d.Restores == nil || d.Reconciler == nil {
		panic("api: New needs a database, a catalog and the review, restore and reconcile services")
	}
	s := &Server{db: d.DB, catalog: d.Catalog, reviews: d.Reviews, evidence: evidence.NewService(d.DB), restores: d.Restores, reconciler: d.Reconciler, log: d.Logger, text: d.Text, maxBody: d.MaxBodyBytes, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.text == nil {
		s.text = locale.Default()
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	s.routes()
	return Observe(s.log, s.mux)
}

func (s *Server) routes() {
	s.get("/workspaces", s.listWorkspaces)
	s.get("/workspaces/{workspace}/environments", s.inWorkspace(s.listEnvironments))
	s.postLimit("/workspaces/{workspace}/environments/{env}/evidence-snapshots", 0, s.inWorkspace(s.importSnapshot))
	s.get("/workspaces/{workspace}/environments/{env}/evidence-snapshots", s.inWorkspace(s.listSnapshots))
	s.post("/workspaces/{workspace}/environments/{env}/reviews", s.inWorkspace(s.composeReview))
	s.postLimit("/workspaces/{workspace}/environments/{env}/restores", MaxRestoreBodyBytes, s.inWorkspace(s.startRestore))
	s.get("/workspaces/{workspace}/reviews", s.inWorkspace(s.listReviews))
	s.get("/workspaces/{workspace}/reviews/{id}", s.inWorkspace(s.showReview))
	s.post("/workspaces/{workspace}/reviews/{id}/refresh", s.inWorkspace(s.refreshReview))
	s.post("/workspaces/{workspace}/reviews/{id}/publish", s.inWorkspace(s.transitionReview(access.Publish, s.reviews.Publish)))
	s.post("/workspaces/{workspace}/reviews/{id}/archive", s.inWorkspace(s.transitionReview(access.Archive, s.reviews.Archive)))
	s.get("/workspaces/{workspace}/operations", s.inWorkspace(s.listOperations))
	s.get("/workspaces/{workspace}/operations/{id}", s.inWorkspace(s.showOperation))
	s.post("/workspaces/{workspace}/operations/{id}/reconcile", s.inWorkspace(s.reconcileOperation))
	s.get("/system/operations", s.system(s.listSystemOperations))
	s.post("/system/reconcile", s.system(s.sweep))
	s.route("GET /api/v1/openapi.json", http.HandlerFunc(serveOpenAPI))
	// Anything else under /api/v1 is a JSON 404, not the mux's text page.
	s.mux.Handle("/api/v1/", s.handle(0, func(w http.ResponseWriter, r *http.Request, c *call) error {
		return access.NotFound("page")
	}))
}

// call is what a handler knows about its request.
type call struct {
	user *reckon.User
	lang string
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

func (s *Server) get(path string, fn handlerFunc) {
	s.route("GET /api/v1"+path, s.handle(0, fn))
}

func (s *Server) post(path string, fn handlerFunc) { s.postLimit(path, s.maxBody, fn) }

func (s *Server) postLimit(path string, limit int64, fn handlerFunc) {
	s.route("POST /api/v1"+path, s.handle(limit, fn))
}

func (s *Server) route(pattern string, h http.Handler) {
	s.patterns = append(s.patterns, pattern)
	s.mux.Handle(pattern, h)
}

// handle authenticates the caller, bounds the body, runs the handler and
// answers its error through the one error model.
func (s *Server) handle(limit int64, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{lang: locale.Negotiate(r.Header.Get("Accept-Language"))}
		if limit > 0 {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		err := s.authenticate(r, c)
		if err == nil {
			err = fn(w, r, c)
		}
		if err != nil {
			if reckon.ErrorCodeOf(err) == reckon.CodeUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="reckon"`)
			}
			s.writeError(w, r, c.lang, err)
		}
	})
}

// authenticate resolves the bearer token to a user. Without an
// Accept-Language header, the user's own language setting applies.
func (s *Server) authenticate(r *http.Request, c *call) error {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return &reckon.Error{Code: reckon.CodeUnauthorized, Message: reckon.Msg("access.unauthorized")}
	}
	err := s.db.InTx(r.Context(), func(tx *store.Tx) (err error) {
		c.user, err = access.AuthenticateToken(r.Context(), tx, strings.TrimSpace(token))
		return err
	})
	if err != nil {
		return err
	}
	if r.Header.Get("Accept-Language") == "" && locale.Supported(c.user.Locale) {
		c.lang = c.user.Locale
	}
	return nil
}

type workspaceHandler func(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error

// inWorkspace resolves the caller's grant in the {workspace} of the path.
func (s *Server) inWorkspace(fn workspaceHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		g, err := access.Load(r.Context(), s.db, c.user, r.PathValue("workspace"))
		if err != nil {
			return err
		}
		return fn(w, r, c, g)
	}
}

// system opens a route to platform support only; others are told it does
// not exist.
func (s *Server) system(fn handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		if err := access.RequirePlatformSupport(c.user); err != nil {
			return err
		}
		return fn(w, r, c)
	}
}
