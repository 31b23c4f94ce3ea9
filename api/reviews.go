package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/review"
)

type reviewJSON struct {
	ID                   int64               `json:"id"`
	Workspace            string              `json:"workspace"`
	EnvironmentID        int64               `json:"environment_id"`
	EvidenceSnapshotID   int64               `json:"evidence_snapshot_id"`
	Fingerprint          string              `json:"fingerprint"`
	Status               reckon.ReviewStatus `json:"status"`
	OperationRunID       *int64              `json:"operation_run_id"`
	SupersededByReviewID *int64              `json:"superseded_by_review_id"`
	ComposedAt           *time.Time          `json:"composed_at"`
	PublishedAt          *time.Time          `json:"published_at"`
	ArchivedAt           *time.Time          `json:"archived_at"`
	CreatedAt            time.Time           `json:"created_at"`
	Stale                bool                `json:"stale"`
	Links                links               `json:"links"`
}

// reviewDetailJSON is a review with its content (null until composed).
type reviewDetailJSON struct {
	*reviewJSON
	Content json.RawMessage `json:"content"`
}

func reviewView(v *reckon.Review, workspace string) *reviewJSON {
	if v == nil {
		return nil
	}
	return &reviewJSON{
		ID: v.ID, Workspace: workspace, EnvironmentID: v.EnvironmentID, EvidenceSnapshotID: v.EvidenceSnapshotID,
		Fingerprint: v.Fingerprint, Status: v.Status, OperationRunID: optionalID(v.OperationRunID),
		SupersededByReviewID: optionalID(v.SupersededByReviewID), ComposedAt: v.ComposedAt,
		PublishedAt: v.PublishedAt, ArchivedAt: v.ArchivedAt, CreatedAt: v.CreatedAt,
		Links: links{
			Self:    fmt.Sprintf("/api/v1/workspaces/%s/reviews/%d", workspace, v.ID),
			Console: fmt.Sprintf("/admin/workspaces/%s/reviews/%d", workspace, v.ID),
		},
	}
}

type composeJSON struct {
	Result    review.Result `json:"result"`
	Message   string        `json:"message"`
	Operation *runJSON      `json:"operation"`
	Review    *reviewJSON   `json:"review"`
}

// writeCompose answers a create or refresh: 202 when a run was queued, 200
// when the caller is pointed at an existing run or review.
func (s *Server) writeCompose(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant, res *review.ComposeResult) error {
	status := http.StatusOK
	if res.Result == review.ResultQueued {
		status = http.StatusAccepted
	}
	v := reviewView(res.Review, g.Workspace.Slug)
	if err := s.markStale(r.Context(), g.Workspace.ID, v); err != nil {
		return err
	}
	writeJSON(w, status, composeJSON{Result: res.Result, Message: s.text.Message(c.lang, res.Message()),
		Operation: s.runView(res.Run, g.Workspace.Slug, c.lang), Review: v})
	return nil
}

func (s *Server) composeReview(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	res, err := s.reviews.Compose(r.Context(), g.Scope(c.Environment.ID), c.User.ID)
	if err != nil {
		return err
	}
	return s.writeCompose(w, r, c, g, res)
}

func (s *Server) refreshReview(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	res, err := s.reviews.Refresh(r.Context(), g.Workspace.ID, c.Review.ID, c.User.ID)
	if err != nil {
		return err
	}
	return s.writeCompose(w, r, c, g, res)
}

// transitionReview is publish or archive.
func (s *Server) transitionReview(move func(ctx context.Context, workspaceID, reviewID, userID int64) (*reckon.Review, error)) workspaceHandler {
	return func(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
		v, err := move(r.Context(), g.Workspace.ID, c.Review.ID, c.User.ID)
		if err != nil {
			return err
		}
		view := reviewView(v, g.Workspace.Slug)
		if err := s.markStale(r.Context(), g.Workspace.ID, view); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, view)
		return nil
	}
}

func (s *Server) showReview(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	v := c.Review
	view := reviewView(v, g.Workspace.Slug)
	if err := s.markStale(r.Context(), g.Workspace.ID, view); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, reviewDetailJSON{reviewJSON: view, Content: v.Content})
	return nil
}

type reviewsPage struct {
	Reviews    []*reviewJSON `json:"reviews"`
	NextCursor *string       `json:"next_cursor"`
}

func (s *Server) listReviews(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	q := newQuery(r.URL)
	f := review.ReviewFilter{
		EnvironmentID: q.id("environment"),
		Status: reckon.ReviewStatus(q.enum("status", func(v string) bool { return reckon.ReviewStatus(v).Valid() },
			"draft, ready, published, archived, failed, superseded")),
		Page: reckon.Page{Limit: q.limit()},
	}
	cursor, err := q.cursor()
	if err != nil {
		return err
	}
	f.Cursor = cursor
	if err := q.err(); err != nil {
		return err
	}
	list, next, err := s.visibleReviews(r, g, f)
	if err != nil {
		return err
	}
	page := reviewsPage{Reviews: make([]*reviewJSON, len(list))}
	for i, v := range list {
		page.Reviews[i] = reviewView(v, g.Workspace.Slug)
	}
	if err := s.markStale(r.Context(), g.Workspace.ID, page.Reviews...); err != nil {
		return err
	}
	page.NextCursor = cursorAfter(next)
	writeJSON(w, http.StatusOK, page)
	return nil
}

// visibleReviews lists the reviews a member sees: a restricted member's
// list holds only their environments' reviews.
func (s *Server) visibleReviews(r *http.Request, g *access.Grant, f review.ReviewFilter) ([]*reckon.Review, int64, error) {
	if f.EnvironmentID != 0 && !g.Sees(f.EnvironmentID) {
		return nil, 0, nil // like an environment that does not exist
	}
	f.Environments = g.Environments
	return s.reviews.Reviews(r.Context(), g.Workspace.ID, f)
}
