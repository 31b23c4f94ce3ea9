// Package evidence holds reckon's evidence snapshots: the captured,
// immutable findings about one environment that reviews are composed from
// (docs/design.md §6).
//
// It decodes a snapshot body of a format (Decoder: the native body here,
// ScubaGear reports in package scubagear), validates what any decoder
// produced (Validate), hashes findings canonically (ContentHash), and
// imports and lists snapshots (Service).
package evidence

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/internal/validate"
	"github.com/reckonhq/reckon/scubagear"
	"github.com/reckonhq/reckon/store"
)

// A DecodeFunc reads one snapshot body into a snapshot input.
type DecodeFunc func(io.Reader) (reckon.SnapshotInput, error)

// Decoder returns the decoder of a snapshot format (reckon.SnapshotFormat*)
// and whether the format is known.
func Decoder(format string) (DecodeFunc, bool) {
	switch format {
	case reckon.SnapshotFormatNative:
		return DecodeNative, true
	case reckon.SnapshotFormatScubaGear:
		return scubagear.Decode, true
	}
	return nil, false
}

// Formats lists the known snapshot formats, as the API and CLI name them.
const Formats = reckon.SnapshotFormatNative + ", " + reckon.SnapshotFormatScubaGear

// Service imports and reads evidence snapshots. It is shared by the JSON
// API, the CLI and the demonstrations.
//
// Errors it returns are *reckon.Error with these codes: CodeNotFound
// (environment or snapshot absent from the workspace), CodeValidation and
// CodeTooLarge (bad snapshot), CodeConflict (an external id reused for other
// content), CodeTenantMismatch. Anything else is internal.
type Service struct {
	db *store.DB
}

// NewService returns the evidence service of a database.
func NewService(db *store.DB) *Service {
	if db == nil {
		panic("evidence: NewService needs a database")
	}
	return &Service{db: db}
}

// notFound maps a store not-found to a coded not-found.
func notFound(err error, key string) error {
	if store.IsNotFound(err) {
		return reckon.Errorf(reckon.CodeNotFound, key)
	}
	return err
}

func (s *Service) environment(ctx context.Context, tx *store.Tx, scope reckon.Scope) (*reckon.Environment, error) {
	env, err := tx.Environment(ctx, scope.WorkspaceID, scope.EnvironmentID)
	return env, notFound(err, "review.error.environment_not_found")
}

// Import stores an evidence snapshot of an environment. The input is
// validated first; a bad one writes nothing. A capture time later than the
// database clock plus validate.CaptureSkew is refused.
//
// When the input names an external id, importing is idempotent: the same
// format, external id and content return the stored snapshot with
// existed=true; other content under that id is a CodeConflict error. When
// the input names a tenant and the environment has recorded another, the
// import is refused with CodeTenantMismatch; an environment without one
// records this import's tenant in the same transaction.
func (s *Service) Import(ctx context.Context, scope reckon.Scope, input reckon.SnapshotInput) (snap *reckon.Snapshot, existed bool, err error) {
	in := input
	if err := Validate(&in); err != nil {
		return nil, false, err
	}
	in.CapturedAt = in.CapturedAt.UTC().Truncate(time.Microsecond) // as stored
	findings := canonicalFindings(in.Findings)
	hash := ContentHash(findings)
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		snap, existed = nil, false
		if !validate.CapturedAt(in.CapturedAt, tx.Now()) {
			// A snapshot from the future would stay the newest and pin
			// every later review to it.
			v := reckon.ValidationErrors{}
			v.Add("captured_at", "input.captured_future", "minutes", int(validate.CaptureSkew.Minutes()))
			return v.Err()
		}
		env, err := s.environment(ctx, tx, scope)
		if err != nil {
			return err
		}
		if tenant := strings.TrimSpace(in.Source.TenantID); tenant != "" {
			recorded := env.TenantID
			if recorded == "" {
				if recorded, err = tx.ClaimEnvironmentTenant(ctx, scope, tenant); err != nil {
					return err
				}
			}
			if !strings.EqualFold(recorded, tenant) {
				return reckon.Errorf(reckon.CodeTenantMismatch, "snapshot.error.tenant_mismatch",
					"tenant", tenant, "recorded", recorded)
			}
		}
		snap, err = tx.InsertSnapshot(ctx, &store.SnapshotInsert{Scope: scope, CapturedAt: in.CapturedAt,
			ContentHash: hash, Findings: findings, Source: in.Source})
		if !store.IsConflict(err) {
			return err
		}
		prior, err := tx.SnapshotByExternalID(ctx, scope, in.Source.Format, in.Source.ExternalID)
		if err != nil {
			return err
		}
		if prior.ContentHash != hash {
			return reckon.Errorf(reckon.CodeConflict, "snapshot.error.external_id_conflict",
				"external_id", in.Source.ExternalID)
		}
		snap, existed = prior, true
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return snap, existed, nil
}

// List lists an environment's snapshots, newest import first, without
// their findings. next is 0 on the last page. CodeNotFound when the scope
// names no environment of the workspace.
func (s *Service) List(ctx context.Context, scope reckon.Scope, page reckon.Page) (list []*reckon.Snapshot, next int64, err error) {
	limit := page.Size()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		list, err = tx.Snapshots(ctx, scope, limit+1, page.Cursor)
		if err != nil || len(list) > 0 {
			return err
		}
		// The scope is taken as given; only an empty page reads the
		// environment, to tell one that does not exist from one without
		// snapshots.
		_, err = s.environment(ctx, tx, scope)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	list, next = reckon.CutPage(list, limit, func(s *reckon.Snapshot) int64 { return s.ID })
	return list, next, nil
}

// Snapshot returns a snapshot of a workspace with its findings.
func (s *Service) Snapshot(ctx context.Context, workspaceID, id int64) (snap *reckon.Snapshot, err error) {
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		snap, err = tx.Snapshot(ctx, workspaceID, id)
		return notFound(err, "review.error.snapshot_not_found")
	})
	return snap, err
}
