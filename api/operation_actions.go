package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/review"
)

// actionJSON answers an operator action on one run.
type actionJSON struct {
	Operation *runJSON       `json:"operation"`
	Changed   bool           `json:"changed"`
	Retry     *runJSON       `json:"retry"`
	Result    *review.Result `json:"result"`
	Review    *reviewJSON    `json:"review"`
}

type noteBody struct {
	Note string `json:"note"`
}

// readNote reads an action's optional body {"note": "…"}; no body is no note.
func readNote(r *http.Request) (string, error) {
	if err := requireJSON(r); err != nil {
		return "", err
	}
	b, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return "", &reckon.Error{Code: reckon.CodeTooLarge, Message: reckon.Msg("api.body_too_large", "limit", tooLarge.Limit)}
	}
	if err != nil {
		return "", malformed("api.body_unreadable")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return "", nil
	}
	var body noteBody
	return body.Note, unmarshalStrict(b, &body)
}

func (s *Server) writeAction(w http.ResponseWriter, c *call, g *access.Grant, out *operator.Outcome) {
	v := actionJSON{Operation: s.runView(out.Run, g.Workspace.Slug, c.lang), Changed: out.Changed,
		Retry: s.runView(out.Retry, g.Workspace.Slug, c.lang), Review: reviewView(out.Review, g.Workspace.Slug)}
	if out.Compose != "" {
		v.Result = &out.Compose
	}
	writeJSON(w, http.StatusOK, v)
}

// runAction answers a POST on one run that takes an optional note.
func (s *Server) runAction(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant,
	act func(ctx context.Context, workspaceID, runID int64, by operator.Actor, note string) (*operator.Outcome, error)) error {
	note, err := readNote(r)
	if err != nil {
		return err
	}
	out, err := act(r.Context(), g.Workspace.ID, c.Run.ID, operator.Actor{UserID: c.User.ID}, note)
	if err != nil {
		return err
	}
	s.writeAction(w, c, g, out)
	return nil
}

// retryOperation retries a failed, blocked or cancelled run; a restore's
// retry needs the role that may restore.
func (s *Server) retryOperation(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	if err := g.Require(operator.RetryAction(c.Run)); err != nil {
		return err
	}
	return s.runAction(w, r, c, g, s.operator.Retry)
}

func (s *Server) cancelOperation(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	return s.runAction(w, r, c, g, s.operator.Cancel)
}

func (s *Server) acknowledgeOperation(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	return s.runAction(w, r, c, g, s.operator.Acknowledge)
}
