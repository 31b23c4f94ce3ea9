package console

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/fleet"
	"github.com/reckonhq/reckon/store"
)

// fleetPageSize is how many environments a fleet page shows.
const fleetPageSize = 50

type fleetPage struct {
	*layout
	Tiles []attentionItem
	Form  *fleetForm
	Rows  []*fleetRow
	// Shown says how many environments match the filters.
	Shown string
	Next  string
	First string
	// Compose leads to the confirmation of composing every stale review;
	// nil when nothing is stale or the caller may not compose.
	Compose *action
}

// fleetForm is the fleet's filter and sort form, as submitted.
type fleetForm struct {
	Action         string
	Stale          bool
	NeverReviewed  bool
	NeedsAttention bool
	FailingAbove   string
	Sorts          []option
	Orders         []option
	Active         bool // some filter is set
	Ignored        bool // some parameter was not understood and is ignored
}

type fleetRow struct {
	ID       int64
	Name     string
	Slug     string
	Tenant   string
	Href     string
	Evidence *timeView
	Review   *reviewCard
	Trend    template.HTML
	// Attention is the count of runs that want attention, linked to the
	// dashboard's tiles.
	Attention     string
	AttentionTone string
	LastRun       *runRow
}

// Labels of the fleet's sorts and orders, written out so that the catalog
// test sees them used.
var (
	fleetSortKeys = map[fleet.Sort]string{
		fleet.SortName:      "console.fleet.sort.name",
		fleet.SortScore:     "console.fleet.sort.score",
		fleet.SortEvidence:  "console.fleet.sort.evidence",
		fleet.SortAttention: "console.fleet.sort.attention",
	}
	fleetOrderKeys = map[fleet.Order]string{
		fleet.Ascending:  "console.fleet.order.asc",
		fleet.Descending: "console.fleet.order.desc",
	}
)

// fleetQuery reads the fleet's filters, sort and position from the query.
// A value that is not one of the choices is ignored and said so.
func fleetQuery(g *access.Grant, q url.Values, form *fleetForm) *fleet.Query {
	f := &fleet.Query{Scope: store.FleetScope{WorkspaceID: g.Workspace.ID, Restricted: g.Restricted(), Environments: g.Environments},
		Limit: fleetPageSize}
	check := func(name string) bool {
		switch q.Get(name) {
		case "":
			return false
		case "1", "true", "on":
			return true
		}
		form.Ignored = true
		return false
	}
	f.Stale, f.NeverReviewed, f.NeedsAttention = check("stale"), check("never_reviewed"), check("needs_attention")
	form.Stale, form.NeverReviewed, form.NeedsAttention = f.Stale, f.NeverReviewed, f.NeedsAttention
	if v := q.Get("failing_above"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			f.FailingAbove, form.FailingAbove = &n, strconv.Itoa(n)
		} else {
			form.Ignored = true
		}
	}
	if v := fleet.Sort(q.Get("sort")); v.Valid() {
		f.Sort = v
	} else if v != "" {
		form.Ignored = true
	}
	if v := fleet.Order(q.Get("order")); v.Valid() {
		f.Order = v
	} else if v != "" {
		form.Ignored = true
	}
	if token := q.Get("after"); token != "" {
		sort, order := fleet.Resolve(f.Sort, f.Order)
		if after, err := fleet.ParsePosition(token, sort, order); err == nil {
			f.After = after
		} else {
			form.Ignored = true
		}
	}
	form.Active = f.Stale || f.NeverReviewed || f.NeedsAttention || f.FailingAbove != nil
	return f
}

// listFleet is the fleet: every environment the member sees, at a glance.
func (s *Server) listFleet(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	ctx := r.Context()
	t := s.tr(c)
	slug := g.Workspace.Slug
	base := fleetPath(slug)
	q := r.URL.Query()
	form := &fleetForm{Action: base}
	query := fleetQuery(g, q, form)
	query.Now = t.now
	page, err := s.fleet.List(ctx, query)
	if err != nil {
		return err
	}
	sort, order := fleet.Resolve(query.Sort, query.Order)
	for _, v := range fleet.Sorts {
		form.Sorts = append(form.Sorts, option{Value: string(v), Label: label(t, fleetSortKeys, v), Selected: v == sort})
	}
	for _, v := range []fleet.Order{fleet.Ascending, fleet.Descending} {
		form.Orders = append(form.Orders, option{Value: string(v), Label: label(t, fleetOrderKeys, v), Selected: v == order})
	}

	p := &fleetPage{Form: form, Shown: t.T("console.fleet.shown", "n", int64(page.Count), "total", int64(page.Summary.Environments))}
	sum := page.Summary
	filtered := func(name string) string { return base + "?" + url.Values{name: {"true"}}.Encode() }
	p.Tiles = []attentionItem{
		{Label: t.T("console.fleet.tile.environments"), Count: t.Num(int64(sum.Environments)), Href: base, Tone: "score"},
		{Label: t.T("console.fleet.tile.stale"), Count: t.Num(int64(sum.Stale)), Href: filtered("stale"), Tone: toneIf(int64(sum.Stale), "warn")},
		{Label: t.T("console.fleet.tile.never_reviewed"), Count: t.Num(int64(sum.NeverReviewed)), Href: filtered("never_reviewed"),
			Tone: toneIf(int64(sum.NeverReviewed), "warn")},
		{Label: t.T("console.fleet.tile.needs_attention"), Count: t.Num(int64(sum.NeedsAttention)), Href: filtered("needs_attention"),
			Tone: toneIf(int64(sum.NeedsAttention), "bad")},
	}
	if s.reviews != nil && g.Can(access.Compose) && sum.Stale > 0 {
		p.Compose = &action{Label: t.T("console.fleet.compose_stale", "n", int64(sum.Stale)), Href: base + "/compose"}
	}
	rc := &rowContext{href: func(run *reckon.Run) string { return operationPath(slug, run.ID) }}
	for _, e := range page.Environments {
		p.Rows = append(p.Rows, s.fleetRow(t, slug, e, rc))
	}
	if page.Next != nil {
		next := cloneValues(q)
		next.Set("after", page.Next.Token())
		p.Next = withQuery(base, next)
	}
	if query.After != nil {
		first := cloneValues(q)
		first.Del("after")
		p.First = withQuery(base, first)
	}
	if p.layout, err = s.page(ctx, r, c, t.T("console.fleet.title"), "fleet", g.Workspace); err != nil {
		return err
	}
	return s.render(w, r, c, http.StatusOK, "fleet", p)
}

func (s *Server) fleetRow(t tr, slug string, e *fleet.Environment, rc *rowContext) *fleetRow {
	env := e.Environment
	row := &fleetRow{ID: env.ID, Name: env.Name, Slug: env.Slug, Tenant: env.TenantID, Href: environmentPath(slug, env.ID),
		Attention: t.Num(e.Attention.Total()), AttentionTone: toneIf(e.Attention.Total(), "warn"), Trend: scoreTrend(t, e.Trend)}
	if e.Evidence != nil {
		row.Evidence = t.Time(e.Evidence.CapturedAt)
	}
	if v := e.Review; v != nil {
		row.Review = &reviewCard{ID: v.ID, Title: reviewTitle(t, v.ID), Href: reviewPath(slug, v.ID), Status: reviewBadge(t, v.Status),
			Score: scoreText(t, v.Score), Composed: t.TimePtr(v.ComposedAt), Stale: e.Stale()}
		if v.Failing != nil {
			row.Review.Failing = t.Num(int64(*v.Failing))
		}
	}
	if e.LastRun != nil {
		row.LastRun = s.runRow(t, e.LastRun, rc)
	}
	return row
}

// scoreTrend draws an environment's scores, oldest first, with their words.
func scoreTrend(t tr, points []store.ScorePoint) template.HTML {
	if len(points) == 0 {
		return ""
	}
	c := &chart{Min: 0, Max: 100, Width: 96, Height: 28,
		Title: t.T("console.fleet.trend", "n", int64(len(points)), "first", int64(points[0].Score), "last", int64(points[len(points)-1].Score))}
	for _, p := range points {
		c.Points = append(c.Points, chartPoint{Value: float64(p.Score),
			Label: t.T("console.fleet.trend_point", "review", idText(p.ReviewID), "at", t.Abs(p.ComposedAt), "score", int64(p.Score))})
	}
	return c.Line()
}

func fleetPath(ws string) string { return workspacePath(ws) + "/fleet" }
