package api

import (
	"fmt"
	"time"

	"github.com/reckonhq/reckon"
)

type links struct {
	Self    string `json:"self"`
	Console string `json:"console"`
}

type runJSON struct {
	ID             int64                  `json:"id"`
	Workspace      string                 `json:"workspace"`
	EnvironmentID  *int64                 `json:"environment_id"`
	Type           reckon.RunType         `json:"type"`
	TypeLabel      string                 `json:"type_label"`
	Status         reckon.RunStatus       `json:"status"`
	Outcome        reckon.Outcome         `json:"outcome"`
	CreatedAt      time.Time              `json:"created_at"`
	StartedAt      *time.Time             `json:"started_at"`
	CompletedAt    *time.Time             `json:"completed_at"`
	Context        reckon.RunContext      `json:"context"`
	Reconciliation *reckon.Reconciliation `json:"reconciliation"`
	Failure        *failureJSON           `json:"failure"`
	// StartedByUserID is the user who started the run; null for the system.
	StartedByUserID *int64 `json:"started_by_user_id"`
	Links           links  `json:"links"`
}

type failureJSON struct {
	ReasonCode string `json:"reason_code"`
	Message    string `json:"message"`
}

// runView renders a run of the workspace with the slug in lang.
func (s *Server) runView(run *reckon.Run, workspace, lang string) *runJSON {
	if run == nil {
		return nil
	}
	v := &runJSON{
		ID: run.ID, Workspace: workspace, EnvironmentID: optionalID(run.EnvironmentID),
		Type: run.Type, TypeLabel: s.labels.Label(run.Type, lang), Status: run.Status, Outcome: run.Outcome,
		CreatedAt: run.CreatedAt, StartedAt: run.StartedAt, CompletedAt: run.CompletedAt,
		Context: run.Context, Reconciliation: run.Context.Reconciliation, StartedByUserID: optionalID(run.InitiatorUserID),
		Links: links{
			Self:    fmt.Sprintf("/api/v1/workspaces/%s/operations/%d", workspace, run.ID),
			Console: fmt.Sprintf("/admin/workspaces/%s/operations/%d", workspace, run.ID),
		},
	}
	if run.Failure != nil {
		v.Failure = &failureJSON{ReasonCode: run.Failure.ReasonCode, Message: s.reason(lang, run.Failure.ReasonCode)}
	}
	return v
}

// reason translates a reason code; a code without a sentence gets a generic
// one that names it.
func (s *Server) reason(lang, code string) string {
	if sentence, ok := s.text.Reason(lang, code); ok {
		return sentence
	}
	return s.text.Translate(lang, "api.reason_unknown", map[string]any{"code": code})
}

func optionalID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
