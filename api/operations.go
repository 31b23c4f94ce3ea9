package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/internal/web"
	"github.com/reckonhq/reckon/store"
)

type operationsPage struct {
	Operations []*runJSON `json:"operations"`
	NextCursor *string    `json:"next_cursor"`
	// Count is how many runs the filter matches, every page of them, up to
	// MaxCount; CountCapped says there are more.
	Count       int64 `json:"count"`
	CountCapped bool  `json:"count_capped"`
}

// MaxCount is the most a list counts; past it the count is capped, so that a
// page costs the same however long the history.
const MaxCount = 10_000

// runFilter reads the list parameters of docs/api.md (type, status, outcome,
// environment, q, since, until, unresolved, limit, cursor) plus
// reconciled=true and past_deadline=true, within scope: the caller's
// workspace and entitlements, or every workspace.
func (s *Server) runFilter(r *http.Request, scope store.RunFilter) (store.RunFilter, error) {
	q := newQuery(r.URL)
	f, err := s.runFilterOf(r.Context(), q, scope)
	if err != nil {
		return f, err
	}
	before, err := q.cursor()
	if err != nil {
		return f, err
	}
	f.BeforeID = before
	return f, q.err()
}

// runFilterOf reads the filter parameters a list and a bulk request share,
// within scope.
func (s *Server) runFilterOf(ctx context.Context, q *query, scope store.RunFilter) (store.RunFilter, error) {
	f := scope
	f.Status = reckon.RunStatus(q.enum("status", func(v string) bool { return reckon.RunStatus(v).Valid() },
		"queued, running, completed"))
	f.Outcome = reckon.Outcome(q.enum("outcome", func(v string) bool { return reckon.Outcome(v).Valid() },
		"pending, succeeded, partially_succeeded, blocked, failed, cancelled"))
	f.EnvironmentID = q.id("environment")
	f.ReconciledOnly = q.bool("reconciled")
	f.PastDeadline = q.bool("past_deadline")
	f.Query = q.text("q")
	f.Since, f.Until = q.time("since"), q.time("until")
	f.Unresolved = q.bool("unresolved")
	f.Limit = q.limit()
	var err error
	f.Type, err = s.runType(ctx, q, &scope)
	return f, err
}

// runType reads the type filter: a key of the catalog, or the type of a run
// in scope that the catalog does not know — a service's (docs/adapters.md).
// Only such a type costs a read of the scope's types.
func (s *Server) runType(ctx context.Context, q *query, scope *store.RunFilter) (reckon.RunType, error) {
	typ := reckon.RunType(q.values.Get("type"))
	if _, known := s.catalog.Lookup(typ); known || typ == "" {
		return typ, nil
	}
	var types []reckon.RunType
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		types, err = web.RunTypes(ctx, tx, s.catalog, scope)
		return err
	})
	if err != nil || slices.Contains(types, typ) {
		return typ, err
	}
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = string(t)
	}
	q.errs.Add("type", "api.param_enum", "allowed", strings.Join(names, ", "))
	return "", nil
}

// listRuns answers one page of runs; slug names each run's workspace.
func (s *Server) listRuns(w http.ResponseWriter, r *http.Request, c *call, f store.RunFilter, slug func(*reckon.Run) string) error {
	limit := f.Limit
	f.Limit++ // one more tells whether a next page exists
	var (
		runs  []*reckon.Run
		count int64
	)
	err := s.db.InTx(r.Context(), func(tx *store.Tx) (err error) {
		if runs, err = tx.ListRuns(r.Context(), &f); err != nil {
			return err
		}
		all := f
		all.BeforeID = 0
		count, err = tx.CountMatchingRuns(r.Context(), &all, MaxCount+1)
		return err
	})
	if err != nil {
		return err
	}
	runs, next := nextCursor(runs, limit, func(r *reckon.Run) int64 { return r.ID })
	page := operationsPage{Operations: make([]*runJSON, len(runs)), NextCursor: next,
		Count: min(count, MaxCount), CountCapped: count > MaxCount}
	for i, run := range runs {
		page.Operations[i] = s.runView(run, slug(run), c.lang)
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) listOperations(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	format := newQuery(r.URL).values.Get("format")
	if format != "" && format != "csv" && format != "json" {
		return fieldError("format", "api.param_enum", "allowed", "csv, json")
	}
	f, err := s.runFilter(r, g.RunFilter(store.RunFilter{}))
	if err != nil {
		return err
	}
	slug := func(*reckon.Run) string { return g.Workspace.Slug }
	if format != "" {
		return s.exportRuns(w, r, c, f, format, slug)
	}
	return s.listRuns(w, r, c, f, slug)
}

func (s *Server) showOperation(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	writeJSON(w, http.StatusOK, s.runView(c.Run, g.Workspace.Slug, c.lang))
	return nil
}

type reconciledJSON struct {
	Operation *runJSON `json:"operation"`
	Changed   bool     `json:"changed"`
}

// reconcileOperation is "reconcile now": proof-based decisions apply at
// once, deadline-based ones only past the deadline.
func (s *Server) reconcileOperation(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	run, changed, err := s.reconciler.ReconcileRun(r.Context(), g.Workspace.ID, c.Run.ID, fmt.Sprintf("user:%d", c.User.ID))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, reconciledJSON{Operation: s.runView(run, g.Workspace.Slug, c.lang), Changed: changed})
	return nil
}
