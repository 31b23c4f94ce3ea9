// Package restore is the restore domain: restoring a backup's items into a
// managed environment as a restore.execute run. The restore_runs row (and
// its restore_items) is the domain truth; the run is the ledger's view of it.
// The package ships the service that starts a restore, the job that applies
// the items through a Provider, and the adapter that proves a run's outcome
// from restore_runs.
package restore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"unicode"

	"github.com/reckonhq/reckon"
	input "github.com/reckonhq/reckon/internal/validate"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/store"
)

// Reason codes of restore runs. Each has an EN and DE sentence in the
// locale catalogs (reason.<code>).
const (
	ReasonCompleted = "restore.completed"
	ReasonPartial   = "restore.partial"
	ReasonFailed    = "restore.failed"
	ReasonMissing   = "restore.missing"
)

// Limits on one restore request.
const (
	MaxItems     = 10000
	MaxKeyLength = 200
	MaxRefLength = 200
)

// Item is one backup item to restore: a key unique within the restore and
// the item's payload as the backup holds it.
type Item struct {
	Key     string          `json:"key"`
	Payload json.RawMessage `json:"payload"`
}

// Service starts and executes restores.
type Service struct {
	db       *store.DB
	ledger   *ledger.Ledger
	provider Provider
	logger   *slog.Logger
}

// Options configure a Service.
type Options struct {
	// Provider applies items; the built-in Local provider when nil.
	Provider Provider
	Logger   *slog.Logger
}

// NewService returns a restore service.
func NewService(db *store.DB, l *ledger.Ledger, opts *Options) *Service {
	if opts == nil {
		opts = &Options{}
	}
	s := &Service{db: db, ledger: l, provider: opts.Provider, logger: opts.Logger}
	if s.provider == nil {
		s.provider = Local{}
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	return s
}

// Started is the answer to Start.
type Started struct {
	Run     *reckon.Run
	Restore *reckon.RestoreRun
	// Created is false when the same restore (same backup and items) was
	// already active: its run and restore are returned instead.
	Created bool
}

// Start creates a restore of backupRef's items into the scope's environment
// and its restore.execute run, and enqueues the job, in one transaction. A
// repeated request with the same backup and items while the first is active
// returns the active one.
//
// Errors: CodeValidation for an invalid request, CodeNotFound when the
// environment is not in the workspace.
func (s *Service) Start(ctx context.Context, scope reckon.Scope, backupRef string, items []Item, initiatorUserID int64) (*Started, error) {
	if err := validate(backupRef, items); err != nil {
		return nil, err
	}
	var out *Started
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		out, err = s.start(ctx, tx, scope, backupRef, items, initiatorUserID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("restore: start: %w", err)
	}
	return out, nil
}

func (s *Service) start(ctx context.Context, tx *store.Tx, scope reckon.Scope, backupRef string, items []Item, initiatorUserID int64) (*Started, error) {
	if _, err := tx.Environment(ctx, scope.WorkspaceID, scope.EnvironmentID); err != nil {
		if store.IsNotFound(err) {
			return nil, reckon.Errorf(reckon.CodeNotFound, "restore.environment_not_found")
		}
		return nil, err
	}
	run, created, err := s.ledger.Ensure(ctx, tx, &ledger.EnsureParams{
		Scope: scope, Type: reckon.RunTypeRestoreExecute, Key: identityKey(backupRef, items),
		Context: reckon.RunContext{BackupRef: backupRef}, InitiatorUserID: initiatorUserID,
	})
	if err != nil {
		return nil, err
	}
	out := &Started{Run: run, Created: created}
	if !created {
		out.Restore, err = tx.RestoreByRun(ctx, scope, run.ID)
		return out, err
	}
	rr := &reckon.RestoreRun{WorkspaceID: scope.WorkspaceID, EnvironmentID: scope.EnvironmentID,
		OperationRunID: run.ID, BackupRef: backupRef}
	rows := make([]*reckon.RestoreItem, len(items))
	for i, it := range items {
		rows[i] = &reckon.RestoreItem{Key: it.Key, Payload: payloadOrNull(it.Payload)}
	}
	if err := tx.InsertRestore(ctx, rr, rows); err != nil {
		return nil, err
	}
	out.Restore = rr
	return out, nil
}

func validate(backupRef string, items []Item) error {
	v := reckon.ValidationErrors{}
	switch {
	case strings.TrimSpace(backupRef) == "":
		v.Add("backup_ref", "restore.validation.backup_ref_required")
	case len(backupRef) > MaxRefLength || !input.Text(backupRef) || strings.ContainsFunc(backupRef, unicode.IsControl):
		v.Add("backup_ref", "restore.validation.backup_ref_invalid", "max", MaxRefLength)
	}
	switch {
	case len(items) == 0:
		v.Add("items", "restore.validation.items_required")
	case len(items) > MaxItems:
		v.Add("items", "restore.validation.items_too_many", "max", MaxItems)
	}
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		field := fmt.Sprintf("items[%d].key", i)
		switch {
		case strings.TrimSpace(it.Key) == "":
			v.Add(field, "restore.validation.item_key_required")
		case len(it.Key) > MaxKeyLength || !input.Text(it.Key) || strings.ContainsFunc(it.Key, unicode.IsControl):
			v.Add(field, "restore.validation.item_key_invalid", "max", MaxKeyLength)
		case seen[it.Key]:
			v.Add(field, "restore.validation.item_key_duplicate")
		}
		seen[it.Key] = true
		// A payload goes to jsonb on PostgreSQL: NUL, a lone surrogate,
		// invalid UTF-8 or a number past its range would fail there only.
		if len(it.Payload) > 0 && (!json.Valid(it.Payload) || input.JSON(it.Payload) != nil) {
			v.Add(fmt.Sprintf("items[%d].payload", i), "restore.validation.item_payload_malformed")
		}
	}
	return v.Err()
}

func payloadOrNull(p json.RawMessage) json.RawMessage {
	if len(p) == 0 {
		return json.RawMessage("null")
	}
	return p
}

// identityKey hashes what makes two restore requests the same operation:
// the backup and its items, in key order.
func identityKey(backupRef string, items []Item) string {
	sorted := slices.Clone(items)
	slices.SortFunc(sorted, func(a, b Item) int { return strings.Compare(a.Key, b.Key) })
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", backupRef)
	for _, it := range sorted {
		fmt.Fprintf(h, "%s\x00%s\x00", it.Key, payloadOrNull(it.Payload))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// statusFor says how a restore ended from its item counts: every item
// applied, some, or none.
func statusFor(applied, total int) reckon.RestoreStatus {
	switch {
	case total > 0 && applied == total:
		return reckon.RestoreSucceeded
	case applied > 0:
		return reckon.RestorePartiallySucceeded
	}
	return reckon.RestoreFailed
}

// outcomeFor maps a finished restore's status to its run's outcome and
// reason code; ok is false for a restore that has not finished. The job and
// the adapter both use it, so they never disagree.
func outcomeFor(s reckon.RestoreStatus) (outcome reckon.Outcome, reason string, ok bool) {
	switch s {
	case reckon.RestoreSucceeded:
		return reckon.OutcomeSucceeded, ReasonCompleted, true
	case reckon.RestorePartiallySucceeded:
		return reckon.OutcomePartiallySucceeded, ReasonPartial, true
	case reckon.RestoreFailed:
		return reckon.OutcomeFailed, ReasonFailed, true
	}
	return "", "", false
}

func counts(rr *reckon.RestoreRun) *reckon.ItemCounts {
	return &reckon.ItemCounts{Total: rr.ItemsTotal, Succeeded: rr.ItemsSucceeded, Failed: rr.ItemsFailed}
}
