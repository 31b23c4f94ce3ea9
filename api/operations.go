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
// reconciled=true and past_deadline=true.
func (s *Server) runFilter(r *http.Request) (store.RunFilter, error) {
	q := newQuery(r.URL)
	f := s.runFilterOf(q)
	before, err := q.cursor()
	if err != nil {
		return f, err
	}
	f.BeforeID = before
	return f, q.err()
}

// runFilterOf reads the filter parameters a list and a bulk request share.
func (s *Server) runFilterOf(q *query) store.RunFilter {
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
		Query:          q.text("q"),
		Since:          q.time("since"),
		Until:          q.time("until"),
		Unresolved:     q.bool("unresolved"),
		Limit:          q.limit(),
	}
	return f
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
	f, err := s.runFilter(r)
	if err != nil {
		return err
	}
	slug := func(*reckon.Run) string { return g.Workspace.Slug }
	if format != "" {
		return s.exportRuns(w, r, c, g.RunFilter(f), format, slug)
	}
	return s.listRuns(w, r, c, g.RunFilter(f), slug)
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
