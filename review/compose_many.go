package review

import (
	"context"
	"errors"
	"slices"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// ResultNoEvidence: the environment has no snapshot to compose from. A
// bulk compose answers it for that environment; a single compose refuses
// with a CodeNoEvidence error instead.
const ResultNoEvidence Result = "no_evidence"

// Selection names the environments of a bulk compose.
type Selection struct {
	// Scope is the workspace and what the caller sees of it.
	Scope store.FleetScope
	// Stale selects the environments whose latest review is stale; All
	// every environment; otherwise IDs, each of which must be in the scope.
	Stale, All bool
	IDs        []int64
}

// EnvironmentResult is a bulk compose's answer for one environment.
type EnvironmentResult struct {
	EnvironmentID int64
	*ComposeResult
}

// ComposeMany composes the reviews of many environments' newest evidence in
// one transaction (docs/design.md §12): each environment gets Compose's
// decision — up to date, already running, or a new run — or no_evidence,
// and the new runs and their jobs are created together. Repeated calls
// never multiply runs, exactly as repeated composes do not. Results follow
// the listed ids, or the environments' ids for Stale and All. A listed id
// outside the scope is a CodeNotFound error, as for an environment that
// does not exist; nothing is composed then.
func (s *Service) ComposeMany(ctx context.Context, sel *Selection, initiatorUserID int64) (out []*EnvironmentResult, err error) {
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		out = nil
		ids, err := selected(ctx, tx, sel)
		if err != nil {
			return err
		}
		// Every environment's row, as Compose takes one's, in id order.
		locked, err := tx.LockEnvironments(ctx, sel.Scope.WorkspaceID, ids)
		if err != nil {
			return err
		}
		if locked != len(ids) {
			return notFound("review.error.environment_not_found") // removed meanwhile
		}
		decisions := make([]*decision, len(ids))
		for i, id := range ids {
			scope := reckon.Scope{WorkspaceID: sel.Scope.WorkspaceID, EnvironmentID: id}
			d, err := s.decide(ctx, tx, scope, initiatorUserID)
			if reckon.ErrorCodeOf(err) == reckon.CodeNoEvidence {
				d, err = &decision{result: &ComposeResult{Result: ResultNoEvidence}}, nil
			}
			if err != nil {
				return err
			}
			decisions[i] = d
		}
		if err := s.ensure(ctx, tx, decisions); err != nil {
			return err
		}
		for i, d := range decisions {
			out = append(out, &EnvironmentResult{EnvironmentID: ids[i], ComposeResult: d.result})
		}
		return nil
	})
	return out, err
}

// selected returns the ids a selection names, each once.
func selected(ctx context.Context, tx *store.Tx, sel *Selection) ([]int64, error) {
	if !sel.Stale && !sel.All && len(sel.IDs) == 0 {
		return nil, errors.New("review: a bulk compose names no environments")
	}
	envs, err := tx.FleetPlaces(ctx, sel.Scope, false)
	if err != nil {
		return nil, err
	}
	var ids []int64
	if sel.Stale || sel.All {
		for _, e := range envs {
			if sel.All || e.Stale {
				ids = append(ids, e.ID)
			}
		}
		return ids, nil
	}
	for _, id := range sel.IDs {
		visible := slices.ContainsFunc(envs, func(e store.FleetPlace) bool { return e.ID == id })
		if !visible {
			return nil, notFound("review.error.environment_not_found")
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}
