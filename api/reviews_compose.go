package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/internal/validate"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// MaxComposeEnvironments bounds the ids one bulk compose may list.
const MaxComposeEnvironments = 1000

type composeManyBody struct {
	Environments json.RawMessage `json:"environments"`
}

type composeManyJSON struct {
	Results []*composeManyResultJSON `json:"results"`
	Counts  map[review.Result]int    `json:"counts"`
}

type composeManyResultJSON struct {
	EnvironmentID int64 `json:"environment_id"`
	*composeJSON
}

// composeSelection reads a bulk compose's body: "stale", "all" or a list of
// environment ids, each of which the caller must see.
func composeSelection(r *http.Request, g *access.Grant) (*review.Selection, error) {
	var body composeManyBody
	if err := decodeJSON(r, &body); err != nil {
		return nil, err
	}
	sel := &review.Selection{Scope: store.FleetScope{WorkspaceID: g.Workspace.ID, Restricted: g.Restricted(), Environments: g.Environments}}
	raw := bytes.TrimSpace(body.Environments)
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return nil, fieldError("environments", "api.compose_environments")
	case raw[0] == '"':
		var which string
		if err := json.Unmarshal(raw, &which); err != nil || (which != "stale" && which != "all") {
			return nil, fieldError("environments", "api.compose_environments")
		}
		sel.Stale, sel.All = which == "stale", which == "all"
		return sel, nil
	case raw[0] != '[':
		return nil, fieldError("environments", "api.compose_environments")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fieldError("environments", "api.compose_environments")
	}
	if len(items) == 0 || len(items) > MaxComposeEnvironments {
		return nil, fieldError("environments", "api.compose_environments_count", "max", MaxComposeEnvironments)
	}
	for i, item := range items {
		id, ok := validate.ID(string(item))
		if !ok {
			return nil, fieldError(fmt.Sprintf("environments[%d]", i), "api.param_id")
		}
		// What the caller may not see does not exist for them, whatever
		// their role.
		if !g.Sees(id) {
			return nil, access.NotFound("environment")
		}
		sel.IDs = append(sel.IDs, id)
	}
	return sel, nil
}

// composeReviews composes the reviews of many environments' newest evidence
// at once: 202 with each environment's result.
func (s *Server) composeReviews(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	sel, err := composeSelection(r, g)
	if err != nil {
		return err
	}
	if err := g.Require(access.Compose); err != nil {
		return err
	}
	results, err := s.reviews.ComposeMany(r.Context(), sel, c.User.ID)
	if reckon.ErrorCodeOf(err) == reckon.CodeNotFound {
		return access.NotFound("environment") // in the words of one the caller may not see
	}
	if err != nil {
		return err
	}
	out := composeManyJSON{Results: make([]*composeManyResultJSON, len(results)),
		Counts: map[review.Result]int{review.ResultQueued: 0, review.ResultAlreadyRunning: 0, review.ResultUpToDate: 0, review.ResultNoEvidence: 0}}
	var reviews []*reviewJSON
	for i, res := range results {
		v := reviewView(res.Review, g.Workspace.Slug)
		reviews = append(reviews, v)
		out.Results[i] = &composeManyResultJSON{EnvironmentID: res.EnvironmentID, composeJSON: &composeJSON{
			Result: res.Result, Message: s.text.Message(c.lang, res.Message()),
			Operation: s.runView(res.Run, g.Workspace.Slug, c.lang), Review: v}}
		out.Counts[res.Result]++
	}
	if err := s.markStale(r.Context(), g.Workspace.ID, reviews...); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, out)
	return nil
}
