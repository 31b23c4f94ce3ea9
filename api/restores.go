package api

import (
	"net/http"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/restore"
)

// MaxRestoreBodyBytes bounds a restore request: up to restore.MaxItems
// items with their payloads.
const MaxRestoreBodyBytes = 8 << 20

type restoreRequest struct {
	BackupRef string         `json:"backup_ref"`
	Items     []restore.Item `json:"items"`
}

type restoreJSON struct {
	ID             int64                `json:"id"`
	EnvironmentID  int64                `json:"environment_id"`
	OperationRunID int64                `json:"operation_run_id"`
	BackupRef      string               `json:"backup_ref"`
	Status         reckon.RestoreStatus `json:"status"`
	ItemsTotal     int                  `json:"items_total"`
	ItemsSucceeded int                  `json:"items_succeeded"`
	ItemsFailed    int                  `json:"items_failed"`
	CreatedAt      time.Time            `json:"created_at"`
	StartedAt      *time.Time           `json:"started_at"`
	CompletedAt    *time.Time           `json:"completed_at"`
}

type restoreStartedJSON struct {
	Operation *runJSON     `json:"operation"`
	Restore   *restoreJSON `json:"restore"`
}

// startRestore answers 202 with the run and its restore; the same request
// repeated while the first is active answers 202 with the active one.
func (s *Server) startRestore(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	env := c.Environment
	var body restoreRequest
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	started, err := s.restores.Start(r.Context(), g.Scope(env.ID), body.BackupRef, body.Items, c.User.ID)
	if err != nil {
		return err
	}
	rr := started.Restore
	writeJSON(w, http.StatusAccepted, restoreStartedJSON{
		Operation: s.runView(started.Run, g.Workspace.Slug, c.lang),
		Restore: &restoreJSON{ID: rr.ID, EnvironmentID: rr.EnvironmentID, OperationRunID: rr.OperationRunID,
			BackupRef: rr.BackupRef, Status: rr.Status, ItemsTotal: rr.ItemsTotal, ItemsSucceeded: rr.ItemsSucceeded,
			ItemsFailed: rr.ItemsFailed, CreatedAt: rr.CreatedAt, StartedAt: rr.StartedAt, CompletedAt: rr.CompletedAt},
	})
	return nil
}
