package console

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// recentRuns is how many runs an environment's dashboard shows.
const recentRuns = 10

type environmentPage struct {
	*layout
	Env       *reckon.Environment
	Attention []attentionItem
	AllClear  bool
	Evidence  *evidenceView
	Latest    *reviewCard
	Table     *runTable
	AllRuns   string
	// Compose is the form that composes (no review yet) or refreshes the
	// latest review; nil when the caller may not.
	Compose *action
}

type attentionItem struct {
	Label string
	Count string
	Href  string
	Tone  string
}

type evidenceView struct {
	Captured *timeView
	Findings string
}

// reviewCard is a review at a glance.
type reviewCard struct {
	ID       int64
	Title    string
	Href     string
	Status   badge
	Score    string
	Failing  string
	Controls string
	Composed *timeView
	// Stale: the environment holds evidence newer than the review's.
	Stale bool
}

// reviewContent reads a review's composed content; nil while there is none.
func reviewContent(v *reckon.Review) *review.Content {
	c, _ := review.ContentOf(v)
	return c
}

// scoreText shows a score out of 100, or a dash when nothing counted.
func scoreText(t tr, score *int) string {
	if score == nil {
		return "—"
	}
	return t.T("console.review.score_value", "score", *score)
}

func reviewTitle(t tr, id int64) string { return t.T("console.review.title", "id", fmt.Sprint(id)) }

func (s *Server) reviewCard(t tr, slug string, v *reckon.Review) *reviewCard {
	c := reviewContent(v)
	card := &reviewCard{ID: v.ID, Title: reviewTitle(t, v.ID), Href: reviewPath(slug, v.ID), Status: reviewBadge(t, v.Status),
		Score: scoreText(t, nil), Composed: t.TimePtr(v.ComposedAt)}
	if c != nil {
		card.Score = scoreText(t, c.Score)
		card.Failing = t.Num(int64(len(c.Failing)))
		card.Controls = t.Num(int64(c.Controls))
	}
	return card
}

func (s *Server) showEnvironment(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	ctx := r.Context()
	t := s.tr(c)
	slug := g.Workspace.Slug
	env := c.Environment
	var (
		latest    *reckon.Review
		snap      *reckon.Snapshot
		attention store.RunAttention
		runs      []*reckon.Run
	)
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		scope := g.Scope(env.ID)
		if latest, err = tx.LatestReview(ctx, scope); err != nil && !store.IsNotFound(err) {
			return err
		}
		if snap, err = tx.LatestSnapshot(ctx, scope); err != nil && !store.IsNotFound(err) {
			return err
		}
		if attention, err = tx.RunAttentionOf(ctx, scope, t.now); err != nil {
			return err
		}
		f := g.RunFilter(store.RunFilter{EnvironmentID: env.ID, Limit: recentRuns})
		runs, err = tx.ListRuns(ctx, &f)
		return err
	})
	if err != nil {
		return err
	}
	p := &environmentPage{Env: env, AllClear: attention.Total() == 0,
		AllRuns: fmt.Sprintf("%s?environment=%d", operationsPath(slug), env.ID)}
	filtered := func(name, value string) string {
		return operationsPath(slug) + "?" + url.Values{"environment": {fmt.Sprint(env.ID)}, name: {value}}.Encode()
	}
	p.Attention = []attentionItem{
		{Label: t.T("console.attention.blocked"), Count: t.Num(attention.Blocked), Href: filtered("outcome", string(reckon.OutcomeBlocked)), Tone: toneIf(attention.Blocked, "warn")},
		{Label: t.T("console.attention.failed"), Count: t.Num(attention.Failed), Href: filtered("outcome", string(reckon.OutcomeFailed)), Tone: toneIf(attention.Failed, "bad")},
		{Label: t.T("console.attention.partial"), Count: t.Num(attention.Partial), Href: filtered("outcome", string(reckon.OutcomePartiallySucceeded)), Tone: toneIf(attention.Partial, "warn")},
		{Label: t.T("console.attention.past_deadline"), Count: t.Num(attention.PastDeadline), Href: filtered("past_deadline", "true"), Tone: toneIf(attention.PastDeadline, "bad")},
	}
	if snap != nil {
		p.Evidence = &evidenceView{Captured: t.Time(snap.CapturedAt), Findings: t.Num(int64(snap.FindingCount))}
	}
	if latest != nil {
		p.Latest = s.reviewCard(t, slug, latest)
		staleAgainst(p.Latest, latest, snap)
	}
	if s.reviews != nil && g.Can(access.Compose) {
		if latest == nil {
			p.Compose = &action{Label: t.T("console.action.compose"), Href: environmentPath(slug, env.ID) + "/reviews", Post: true}
		} else {
			p.Compose = &action{Label: t.T("console.action.refresh"), Href: reviewPath(slug, latest.ID) + "/refresh", Post: true}
		}
		if snap == nil {
			p.Compose.Note = t.T("review.error.no_evidence")
		}
	}
	p.Table = &runTable{Empty: t.T("console.environment.no_runs")}
	rc := workspaceRows(slug, []*reckon.Environment{env})
	for _, run := range runs {
		p.Table.add(s.runRow(t, run, rc))
	}
	if p.layout, err = s.page(ctx, r, c, env.Name, "environments", g.Workspace); err != nil {
		return err
	}
	return s.render(w, r, c, http.StatusOK, "environment", p)
}

// toneIf colours a count only when there is something to count.
func toneIf(n int64, tone string) string {
	if n == 0 {
		return "ok"
	}
	return tone
}
