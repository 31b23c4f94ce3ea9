package review

import (
	"context"
	"encoding/json"

	"github.com/reckonhq/reckon/store"
)

// Takeover is one run taking over a review's draft that an earlier run
// left unfinished.
type Takeover struct {
	RunID         int64 // the run that took the draft over
	PreviousRunID int64 // the run that had left it; 0 when none held it
}

// Takeovers reads a review's takeovers from the audit trail, oldest first,
// for pages that link both runs to each other.
func Takeovers(ctx context.Context, tx *store.Tx, workspaceID, reviewID int64) ([]Takeover, error) {
	events, err := tx.AuditEvents(ctx, workspaceID, "environment_review", reviewID)
	if err != nil {
		return nil, err
	}
	var out []Takeover
	for _, e := range events {
		if e.Action != actionTakenOver {
			continue
		}
		var m reviewAudit
		if json.Unmarshal(e.Metadata, &m) == nil {
			out = append(out, Takeover{RunID: m.RunID, PreviousRunID: m.PreviousRunID})
		}
	}
	return out, nil
}
