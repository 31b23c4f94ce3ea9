package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/store"
)

type operationsPage struct {
	Operations []*runJSON `json:"operations"`
	NextCursor *string    `json:"next_cursor"`
}

// runFilter reads the list parameters of docs/api.md (type, status, outcome,
// environment, limit, cursor) plus reconciled=true and past_deadline=true.
func (s *Server) runFilter(r *http.Request) (store.RunFilter, error) {
	q := newQuery(r.URL)
	var typeKeys []string
	for _, t := range s.catalog.Types() {
		typeKeys = append(typeKeys, string(t.Key))
	}
	f := store.RunFilter{
		Type: reckon.RunType(q.enum("type", func(v string) bool {
			_, ok := s.catalog.Lookup(reckon.RunType(v))
			return ok
		}, strings.Join(typeKeys, ", "))),
		Status: reckon.RunStatus(q.enum("status", func(v string) bool { return reckon.RunStatus(v).Valid() },
			"queued, running, completed")),
		Outcome: reckon.Outcome(q.enum("outcome", func(v string) bool { return reckon.Outcome(v).Valid() },
			"pending, succeeded, partially_succeeded, blocked, failed, cancelled")),
		EnvironmentID:  q.id("environment"),
		ReconciledOnly: q.bool("reconciled"),
		PastDeadline:   q.bool("past_deadline"),
		Limit:          q.limit(),
	}
	before, err := q.cursor()
	if err != nil {
		return f, err
	}
	f.BeforeID = before
	return f, q.err()
}

// listRuns answers one page of runs; slug names each run's workspace.
func (s *Server) listRuns(w http.ResponseWriter, r *http.Request, c *call, f store.RunFilter, slug func(*reckon.Run) string) error {
	limit := f.Limit
	f.Limit++ // one more tells whether a next page exists
	var runs []*reckon.Run
	err := s.db.InTx(r.Context(), func(tx *store.Tx) (err error) {
		runs, err = tx.ListRuns(r.Context(), &f)
		return err
	})
	if err != nil {
		return err
	}
	runs, next := nextCursor(runs, limit, func(r *reckon.Run) int64 { return r.ID })
	page := operationsPage{Operations: make([]*runJSON, len(runs)), NextCursor: next}
	for i, run := range runs {
		page.Operations[i] = s.runView(run, slug(run), c.lang)
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) listOperations(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	f, err := s.runFilter(r)
	if err != nil {
		return err
	}
	return s.listRuns(w, r, c, g.RunFilter(f), func(*reckon.Run) string { return g.Workspace.Slug })
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
