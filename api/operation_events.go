package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
)

type eventJSON struct {
	At         time.Time              `json:"at"`
	Kind       string                 `json:"kind"`
	Actor      string                 `json:"actor,omitempty"`
	Note       string                 `json:"note,omitempty"`
	Attempt    int                    `json:"attempt,omitempty"`
	Node       string                 `json:"node,omitempty"`
	ErrorClass string                 `json:"error_class,omitempty"`
	Outcome    reckon.Outcome         `json:"outcome,omitempty"`
	ReasonCode string                 `json:"reason_code,omitempty"`
	Reason     string                 `json:"reason,omitempty"`
	Source     reckon.ReconcileSource `json:"source,omitempty"`
	Operation  string                 `json:"operation,omitempty"`
	Review     string                 `json:"review,omitempty"`
	EndedAt    *time.Time             `json:"ended_at,omitempty"`
}

type timelineLinksJSON struct {
	Review             *string `json:"review"`
	EvidenceSnapshotID *int64  `json:"evidence_snapshot_id"`
	JobID              *int64  `json:"job_id"`
	JobState           *string `json:"job_state"`
	RetryOf            *string `json:"retry_of"`
	RetriedBy          *string `json:"retried_by"`
	DraftTakenOverBy   *string `json:"draft_taken_over_by"`
	TookOverFrom       *string `json:"took_over_from"`
}

type acknowledgedJSON struct {
	Actor string    `json:"actor"`
	Note  string    `json:"note"`
	At    time.Time `json:"at"`
}

type timelineJSON struct {
	Operation    *runJSON          `json:"operation"`
	Events       []eventJSON       `json:"events"`
	Links        timelineLinksJSON `json:"links"`
	Acknowledged *acknowledgedJSON `json:"acknowledged"`
}

// operationEvents answers a run's timeline.
func (s *Server) operationEvents(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	tl, err := s.operator.Events(r.Context(), g.Workspace.ID, c.Run.ID)
	if err != nil {
		return err
	}
	slug := g.Workspace.Slug
	opURL := func(id int64) *string {
		if id == 0 {
			return nil
		}
		u := fmt.Sprintf("/api/v1/workspaces/%s/operations/%d", slug, id)
		return &u
	}
	v := timelineJSON{Operation: s.runView(tl.Run, slug, c.lang), Events: make([]eventJSON, len(tl.Events)),
		Links: timelineLinksJSON{EvidenceSnapshotID: optionalID(tl.Links.EvidenceSnapshotID), JobID: optionalID(tl.Links.JobID),
			RetryOf: opURL(tl.Links.RetryOf), RetriedBy: opURL(tl.Links.RetriedBy),
			DraftTakenOverBy: opURL(tl.Links.DraftTakenOverBy), TookOverFrom: opURL(tl.Links.TookOverFrom)}}
	reviewURL := func(id int64) *string {
		if id == 0 {
			return nil
		}
		u := fmt.Sprintf("/api/v1/workspaces/%s/reviews/%d", slug, id)
		return &u
	}
	v.Links.Review = reviewURL(tl.Links.ReviewID)
	if tl.Links.JobState != "" {
		v.Links.JobState = &tl.Links.JobState
	}
	for i, e := range tl.Events {
		ev := eventJSON{At: e.At, Kind: e.Kind, Actor: e.Actor, Note: e.Note, Attempt: e.Attempt, Node: e.Node,
			ErrorClass: e.ErrorClass, Outcome: e.Outcome, ReasonCode: e.ReasonCode, Source: e.Source, EndedAt: e.Ended}
		if e.ReasonCode != "" {
			ev.Reason = s.reason(c.lang, e.ReasonCode)
		}
		if u := opURL(e.RunID); u != nil {
			ev.Operation = *u
		}
		if u := reviewURL(e.ReviewID); u != nil {
			ev.Review = *u
		}
		v.Events[i] = ev
	}
	if a := tl.Acknowledged; a != nil {
		v.Acknowledged = &acknowledgedJSON{Actor: a.Actor, Note: a.Note, At: a.CreatedAt}
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
