package console

import (
	"net/http"
	"net/url"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// composeFleet composes the review of every stale environment the member
// sees, in one go, and goes back to the fleet with what happened: how many
// were queued, already running, up to date or without evidence.
func (s *Server) composeFleet(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	if s.reviews == nil {
		return errNotFound
	}
	if err := g.Require(access.Compose); err != nil {
		return err
	}
	slug := g.Workspace.Slug
	if r.PostFormValue("environments") != "stale" {
		return &reckon.Error{Code: reckon.CodeValidation, Message: reckon.Msg("console.fleet.compose_what")}
	}
	results, err := s.reviews.ComposeMany(r.Context(), &review.Selection{Stale: true,
		Scope: store.FleetScope{WorkspaceID: g.Workspace.ID, Restricted: g.Restricted(), Environments: g.Environments}}, c.User.ID)
	if err != nil {
		return err
	}
	counts := map[review.Result]int64{}
	for _, res := range results {
		counts[res.Result]++
	}
	f := &flash{Level: levelSuccess, Message: reckon.Msg("console.fleet.composed", "total", int64(len(results)),
		"queued", counts[review.ResultQueued], "running", counts[review.ResultAlreadyRunning],
		"up_to_date", counts[review.ResultUpToDate], "no_evidence", counts[review.ResultNoEvidence])}
	switch {
	case len(results) == 0:
		f.Level, f.Message = levelInfo, reckon.Msg("console.fleet.confirm.none")
	case counts[review.ResultQueued] > 0 || counts[review.ResultAlreadyRunning] > 0:
		f.Link = &flashLink{Label: "console.fleet.composed_runs", Href: operationsPath(slug) + "?" +
			url.Values{"type": {string(reckon.RunTypeReviewCompose)}}.Encode()}
	}
	return s.redirectWithFlash(w, r, c, fleetPath(slug), f)
}
