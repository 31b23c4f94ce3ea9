package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/reckonhq/reckon"
)

// SnapshotInsert is a validated evidence snapshot to store. Findings are
// stored as given; the review package hands them over in canonical order.
type SnapshotInsert struct {
	Scope       reckon.Scope
	CapturedAt  time.Time
	ContentHash string
	Findings    []reckon.Finding
	Source      reckon.SnapshotSource
}

// snapshotPayload is what the payload column holds. Format and external id
// have their own columns (the idempotency index reads them).
type snapshotPayload struct {
	Findings    []reckon.Finding `json:"findings"`
	TenantID    string           `json:"tenant_id,omitempty"`
	ToolVersion string           `json:"tool_version,omitempty"`
}

const snapshotListColumns = `id, workspace_id, environment_id, captured_at, content_hash, finding_count,
	source_format, external_id, created_at`

// snapshotColumns adds the payload, which list reads leave out.
const snapshotColumns = snapshotListColumns + `, payload`

func scanSnapshotList(r scanner) (*reckon.Snapshot, error) {
	var s reckon.Snapshot
	err := r.Scan(&s.ID, &s.WorkspaceID, &s.EnvironmentID, scanTime(&s.CapturedAt), &s.ContentHash, &s.FindingCount,
		&s.Source.Format, scanNullString(&s.Source.ExternalID), scanTime(&s.CreatedAt))
	if err != nil {
		return nil, interpret(err)
	}
	return &s, nil
}

func scanSnapshot(r scanner) (*reckon.Snapshot, error) {
	var (
		s       reckon.Snapshot
		payload []byte
	)
	err := r.Scan(&s.ID, &s.WorkspaceID, &s.EnvironmentID, scanTime(&s.CapturedAt), &s.ContentHash, &s.FindingCount,
		&s.Source.Format, scanNullString(&s.Source.ExternalID), scanTime(&s.CreatedAt), scanJSON(&payload))
	if err != nil {
		return nil, interpret(err)
	}
	var p snapshotPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("store: snapshot %d payload: %w", s.ID, err)
	}
	s.Findings = p.Findings
	if s.Findings == nil {
		s.Findings = []reckon.Finding{}
	}
	s.Source.TenantID = p.TenantID
	s.Source.ToolVersion = p.ToolVersion
	return &s, nil
}

// InsertSnapshot stores an immutable evidence snapshot. It returns
// ErrConflict when the environment already holds a snapshot with the same
// source format and external id; the caller reads that one to compare.
func (tx *Tx) InsertSnapshot(ctx context.Context, p *SnapshotInsert) (*reckon.Snapshot, error) {
	payload, err := marshal(snapshotPayload{Findings: p.Findings, TenantID: p.Source.TenantID, ToolVersion: p.Source.ToolVersion})
	if err != nil {
		return nil, err
	}
	// DO NOTHING keeps a PostgreSQL transaction usable after the collision,
	// so the caller can read the existing row in the same transaction.
	s, err := scanSnapshotList(tx.queryRow(ctx, `
INSERT INTO evidence_snapshots (workspace_id, environment_id, captured_at, content_hash, finding_count,
	source_format, external_id, payload, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (workspace_id, environment_id, source_format, external_id) WHERE external_id IS NOT NULL DO NOTHING
RETURNING `+snapshotListColumns,
		p.Scope.WorkspaceID, p.Scope.EnvironmentID, p.CapturedAt, p.ContentHash, len(p.Findings),
		p.Source.Format, nullableString(p.Source.ExternalID), payload, tx.now))
	if errors.Is(err, ErrNotFound) {
		return nil, ErrConflict
	}
	if err != nil {
		return nil, fmt.Errorf("store: insert snapshot: %w", err)
	}
	s.Findings = p.Findings
	s.Source = p.Source
	return s, nil
}

// Snapshot returns a snapshot of a workspace with its findings.
func (tx *Tx) Snapshot(ctx context.Context, workspaceID, id int64) (*reckon.Snapshot, error) {
	return scanSnapshot(tx.queryRow(ctx, `SELECT `+snapshotColumns+` FROM evidence_snapshots
WHERE workspace_id = $1 AND id = $2`, workspaceID, id))
}

// LatestSnapshot returns an environment's newest snapshot — the latest
// captured_at, the latest import among equals — without its findings.
func (tx *Tx) LatestSnapshot(ctx context.Context, scope reckon.Scope) (*reckon.Snapshot, error) {
	return scanSnapshotList(tx.queryRow(ctx, `SELECT `+snapshotListColumns+` FROM evidence_snapshots
WHERE workspace_id = $1 AND environment_id = $2 ORDER BY captured_at DESC, id DESC LIMIT 1`, scope.WorkspaceID, scope.EnvironmentID))
}

// SnapshotByExternalID returns the snapshot an environment holds for a
// source format and external id.
func (tx *Tx) SnapshotByExternalID(ctx context.Context, scope reckon.Scope, format, externalID string) (*reckon.Snapshot, error) {
	return scanSnapshot(tx.queryRow(ctx, `SELECT `+snapshotColumns+` FROM evidence_snapshots
WHERE workspace_id = $1 AND environment_id = $2 AND source_format = $3 AND external_id = $4`,
		scope.WorkspaceID, scope.EnvironmentID, format, externalID))
}

// Snapshots returns up to limit snapshots of an environment without their
// findings, newest import first, starting below the id cursor (0 for the
// first page).
func (tx *Tx) Snapshots(ctx context.Context, scope reckon.Scope, limit int, cursor int64) ([]*reckon.Snapshot, error) {
	q := `SELECT ` + snapshotListColumns + ` FROM evidence_snapshots WHERE workspace_id = $1 AND environment_id = $2`
	args := []any{scope.WorkspaceID, scope.EnvironmentID}
	if cursor > 0 {
		q += ` AND id < $3`
		args = append(args, cursor)
	}
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limit)
	r, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return collect(r, func(r rows) (*reckon.Snapshot, error) { return scanSnapshotList(r) })
}
