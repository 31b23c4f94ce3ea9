package evidence

import (
	"context"
	"errors"
	"strings"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// Outcomes of one report of a bulk import.
const (
	// BulkImported: a new snapshot was stored.
	BulkImported = "imported"
	// BulkAlreadyImported: the environment already holds this report.
	BulkAlreadyImported = "already_imported"
	// BulkUnknownTenant: no environment records the report's tenant id;
	// nothing was written.
	BulkUnknownTenant = "unknown_tenant"
	// BulkAmbiguousTenant: more than one environment records the tenant
	// id; nothing was written.
	BulkAmbiguousTenant = "ambiguous_tenant"
	// BulkInvalid: the report could not be read or was refused (Err says
	// why); nothing was written.
	BulkInvalid = "invalid"
)

// BulkResult is what a bulk import did with one report.
type BulkResult struct {
	Name     string // the file or part the report came from
	Outcome  string // one of the Bulk* outcomes
	TenantID string // the report's tenant id, when it has one
	// Environment and Snapshot are set for imported and already imported
	// reports.
	Environment *reckon.Environment
	Snapshot    *reckon.Snapshot
	Err         *reckon.Error // set for invalid reports
}

// Written reports whether the outcome left the report stored.
func (r *BulkResult) Written() bool {
	return r.Outcome == BulkImported || r.Outcome == BulkAlreadyImported
}

// ImportForTenant imports one report of a bulk import into the environment
// of the workspace whose recorded tenant id is the report's (compared
// without regard to case). sees, when not nil, limits the environments a
// caller may import into; the others count as unknown, so that their
// tenant ids do not leak. decodeErr is the decoder's error for a report
// that could not be read: it is answered as invalid.
//
// A report of a tenant no environment records is BulkUnknownTenant and
// nothing of it is written: a bulk import never records a tenant id. The
// import itself is Import's, in a transaction of its own: idempotent
// (BulkAlreadyImported), refused with a coded error (BulkInvalid). Only an
// internal error is returned as an error.
func (s *Service) ImportForTenant(ctx context.Context, workspaceID int64, name string, in reckon.SnapshotInput,
	decodeErr error, sees func(environmentID int64) bool) (BulkResult, error) {
	res := BulkResult{Name: name, TenantID: strings.TrimSpace(in.Source.TenantID)}
	if decodeErr != nil {
		return res, invalid(&res, decodeErr)
	}
	if res.TenantID == "" {
		return res, invalid(&res, reckon.Errorf(reckon.CodeValidation, "snapshot.error.no_tenant"))
	}
	var matches []*reckon.Environment
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		envs, err := tx.Environments(ctx, workspaceID)
		if err != nil {
			return err
		}
		for _, env := range envs {
			if env.TenantID != "" && strings.EqualFold(env.TenantID, res.TenantID) && (sees == nil || sees(env.ID)) {
				matches = append(matches, env)
			}
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	switch len(matches) {
	case 0:
		res.Outcome = BulkUnknownTenant
		return res, nil
	case 1:
	default:
		res.Outcome = BulkAmbiguousTenant
		return res, nil
	}
	res.Environment = matches[0]
	snap, existed, err := s.Import(ctx, reckon.Scope{WorkspaceID: workspaceID, EnvironmentID: res.Environment.ID}, in)
	if err != nil {
		res.Environment = nil
		return res, invalid(&res, err)
	}
	res.Snapshot, res.Outcome = snap, BulkImported
	if existed {
		res.Outcome = BulkAlreadyImported
	}
	return res, nil
}

// invalid records a coded error as the report's outcome; any other error
// is internal and returned.
func invalid(res *BulkResult, err error) error {
	var e *reckon.Error
	if !errors.As(err, &e) {
		return err
	}
	res.Outcome, res.Err = BulkInvalid, e
	return nil
}

// BulkCounts counts the outcomes of a bulk import.
type BulkCounts struct {
	Imported        int `json:"imported"`
	AlreadyImported int `json:"already_imported"`
	UnknownTenant   int `json:"unknown_tenant"`
	AmbiguousTenant int `json:"ambiguous_tenant"`
	Invalid         int `json:"invalid"`
}

// Add counts one result.
func (c *BulkCounts) Add(r BulkResult) {
	switch r.Outcome {
	case BulkImported:
		c.Imported++
	case BulkAlreadyImported:
		c.AlreadyImported++
	case BulkUnknownTenant:
		c.UnknownTenant++
	case BulkAmbiguousTenant:
		c.AmbiguousTenant++
	case BulkInvalid:
		c.Invalid++
	}
}

// Complete reports whether every report is stored.
func (c BulkCounts) Complete() bool { return c.UnknownTenant+c.AmbiguousTenant+c.Invalid == 0 }
