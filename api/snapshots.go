package api

import (
	"cmp"
	"net/http"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/evidence"
)

type snapshotJSON struct {
	ID            int64     `json:"id"`
	EnvironmentID int64     `json:"environment_id"`
	CapturedAt    time.Time `json:"captured_at"`
	ContentHash   string    `json:"content_hash"`
	FindingCount  int       `json:"finding_count"`
}

func snapshotView(s *reckon.Snapshot) snapshotJSON {
	return snapshotJSON{ID: s.ID, EnvironmentID: s.EnvironmentID, CapturedAt: s.CapturedAt,
		ContentHash: s.ContentHash, FindingCount: s.FindingCount}
}

// importSnapshot stores an evidence snapshot: the native body of docs/api.md,
// or a ScubaGear ScubaResults document with ?format=scubagear. The decoders
// bound the body themselves (evidence.MaxNativeBytes,
// scubagear.MaxBodyBytes); both formats are JSON and must say so. 201 for a new snapshot; 200 when a ScubaGear
// report already imported (same report id, same content) is sent again.
func (s *Server) importSnapshot(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	env := c.Environment
	format := cmp.Or(r.URL.Query().Get("format"), reckon.SnapshotFormatNative)
	decode, ok := evidence.Decoder(format)
	if !ok {
		return fieldError("format", "api.param_enum", "allowed", evidence.Formats)
	}
	if err := requireJSON(r); err != nil {
		return err
	}
	in, err := decode(r.Body)
	if err != nil {
		return err
	}
	snap, existed, err := s.evidence.Import(r.Context(), g.Scope(env.ID), in)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	writeJSON(w, status, snapshotView(snap))
	return nil
}

type snapshotsPage struct {
	Snapshots  []snapshotJSON `json:"snapshots"`
	NextCursor *string        `json:"next_cursor"`
}

func (s *Server) listSnapshots(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	env := c.Environment
	q := newQuery(r.URL)
	page := reckon.Page{Limit: q.limit()}
	var err error
	if page.Cursor, err = q.cursor(); err != nil {
		return err
	}
	if err := q.err(); err != nil {
		return err
	}
	list, next, err := s.evidence.List(r.Context(), g.Scope(env.ID), page)
	if err != nil {
		return err
	}
	out := snapshotsPage{Snapshots: make([]snapshotJSON, len(list))}
	for i, snap := range list {
		out.Snapshots[i] = snapshotView(snap)
	}
	out.NextCursor = cursorAfter(next)
	writeJSON(w, http.StatusOK, out)
	return nil
}
