package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/fleet"
	"github.com/reckonhq/reckon/store"
)

type fleetPage struct {
	Environments []*fleetEnvironmentJSON `json:"environments"`
	NextCursor   *string                 `json:"next_cursor"`
	// Count is how many environments the filters match, every page.
	Count   int              `json:"count"`
	Summary fleetSummaryJSON `json:"summary"`
}

type fleetSummaryJSON struct {
	Environments   int `json:"environments"`
	Stale          int `json:"stale"`
	NeverReviewed  int `json:"never_reviewed"`
	NeedsAttention int `json:"needs_attention"`
}

type fleetEnvironmentJSON struct {
	ID             int64                 `json:"id"`
	Slug           string                `json:"slug"`
	Name           string                `json:"name"`
	TenantID       *string               `json:"tenant_id"`
	NewestEvidence *fleetEvidenceJSON    `json:"newest_evidence"`
	LatestReview   *fleetReviewJSON      `json:"latest_review"`
	Stale          bool                  `json:"stale"`
	Attention      int64                 `json:"attention"`
	AttentionBy    fleetAttentionJSON    `json:"attention_counts"`
	LastOperation  *runJSON              `json:"last_operation"`
	ScoreTrend     []fleetScorePointJSON `json:"score_trend"`
	Links          fleetLinks            `json:"links"`
}

type fleetEvidenceJSON struct {
	ID         int64     `json:"id"`
	CapturedAt time.Time `json:"captured_at"`
}

type fleetReviewJSON struct {
	ID         int64               `json:"id"`
	Status     reckon.ReviewStatus `json:"status"`
	Score      *int                `json:"score"`
	Failing    *int                `json:"failing"`
	ComposedAt *time.Time          `json:"composed_at"`
	Links      links               `json:"links"`
}

type fleetAttentionJSON struct {
	Blocked            int64 `json:"blocked"`
	Failed             int64 `json:"failed"`
	PartiallySucceeded int64 `json:"partially_succeeded"`
	PastDeadline       int64 `json:"past_deadline"`
}

type fleetScorePointJSON struct {
	ReviewID   int64     `json:"review_id"`
	Score      int       `json:"score"`
	ComposedAt time.Time `json:"composed_at"`
}

type fleetLinks struct {
	Console string `json:"console"`
}

// fleetQuery reads the fleet's parameters: the filters stale,
// never_reviewed, needs_attention and failing_above, sort and order, limit
// and cursor.
func fleetQuery(r *http.Request, g *access.Grant) (*fleet.Query, error) {
	q := newQuery(r.URL)
	f := &fleet.Query{
		Scope:          store.FleetScope{WorkspaceID: g.Workspace.ID, Restricted: g.Restricted(), Environments: g.Environments},
		Stale:          q.bool("stale"),
		NeverReviewed:  q.bool("never_reviewed"),
		NeedsAttention: q.bool("needs_attention"),
		Sort: fleet.Sort(q.enum("sort", func(v string) bool { return fleet.Sort(v).Valid() },
			"name, score, evidence, attention")),
		Order: fleet.Order(q.enum("order", func(v string) bool { return fleet.Order(v).Valid() }, "asc, desc")),
		Limit: q.limit(),
	}
	if s := q.values.Get("failing_above"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || strconv.Itoa(n) != s {
			q.errs.Add("failing_above", "api.param_count")
		} else {
			f.FailingAbove = &n
		}
	}
	if err := q.err(); err != nil {
		return nil, err
	}
	if token := q.values.Get("cursor"); token != "" {
		sort, order := fleet.Resolve(f.Sort, f.Order)
		after, err := fleet.ParsePosition(token, sort, order)
		if err != nil {
			return nil, malformed("api.bad_cursor")
		}
		f.After = after
	}
	return f, nil
}

// listFleet answers the fleet: every environment the caller sees, at a
// glance, one page of them.
func (s *Server) listFleet(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	q, err := fleetQuery(r, g)
	if err != nil {
		return err
	}
	page, err := s.fleet.List(r.Context(), q)
	if errors.Is(err, fleet.ErrPosition) {
		return malformed("api.bad_cursor")
	}
	if err != nil {
		return err
	}
	slug := g.Workspace.Slug
	out := fleetPage{Environments: make([]*fleetEnvironmentJSON, len(page.Environments)), Count: page.Count,
		Summary: fleetSummaryJSON{Environments: page.Summary.Environments, Stale: page.Summary.Stale,
			NeverReviewed: page.Summary.NeverReviewed, NeedsAttention: page.Summary.NeedsAttention}}
	for i, e := range page.Environments {
		out.Environments[i] = s.fleetEnvironmentView(e, slug, c.lang)
	}
	if page.Next != nil {
		next := page.Next.Token()
		out.NextCursor = &next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) fleetEnvironmentView(e *fleet.Environment, slug, lang string) *fleetEnvironmentJSON {
	env := e.Environment
	v := &fleetEnvironmentJSON{ID: env.ID, Slug: env.Slug, Name: env.Name, Stale: e.Stale(),
		Attention: e.Attention.Total(),
		AttentionBy: fleetAttentionJSON{Blocked: e.Attention.Blocked, Failed: e.Attention.Failed,
			PartiallySucceeded: e.Attention.Partial, PastDeadline: e.Attention.PastDeadline},
		LastOperation: s.runView(e.LastRun, slug, lang),
		ScoreTrend:    make([]fleetScorePointJSON, len(e.Trend)),
		Links:         fleetLinks{Console: fmt.Sprintf("/admin/workspaces/%s/environments/%d", slug, env.ID)},
	}
	if t := strings.TrimSpace(env.TenantID); t != "" {
		v.TenantID = &t
	}
	if ev := e.Evidence; ev != nil {
		v.NewestEvidence = &fleetEvidenceJSON{ID: ev.ID, CapturedAt: ev.CapturedAt}
	}
	if rv := e.Review; rv != nil {
		v.LatestReview = &fleetReviewJSON{ID: rv.ID, Status: rv.Status, Score: rv.Score, Failing: rv.Failing,
			ComposedAt: rv.ComposedAt, Links: links{
				Self:    fmt.Sprintf("/api/v1/workspaces/%s/reviews/%d", slug, rv.ID),
				Console: fmt.Sprintf("/admin/workspaces/%s/reviews/%d", slug, rv.ID),
			}}
	}
	for i, p := range e.Trend {
		v.ScoreTrend[i] = fleetScorePointJSON{ReviewID: p.ReviewID, Score: p.Score, ComposedAt: p.ComposedAt}
	}
	return v
}
