package restore

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/reckonhq/reckon"
)

// Item error codes of the built-in provider. They are stored with the failed
// item and have EN and DE sentences in the locale catalogs.
const (
	ItemInvalidPayload = "restore.item_invalid_payload"
	ItemMissingKind    = "restore.item_missing_kind"
)

// ItemError is an item that cannot be applied: the item fails, the restore
// goes on. Code is a safe, localisable code.
type ItemError struct{ Code string }

func (e *ItemError) Error() string { return "restore item rejected: " + e.Code }

// Provider applies backup items to an environment. It is called outside any
// database transaction, so a provider that talks to a remote system holds no
// lock while it waits.
type Provider interface {
	// Apply applies one item. An *ItemError fails that item only; any other
	// error stops the attempt and the job is retried, resuming with the
	// items that have no result yet.
	Apply(ctx context.Context, target reckon.Scope, item *reckon.RestoreItem) error
}

// Local is the built-in provider: it validates each item — a JSON object
// with a non-empty string "kind" — and the restore records the items it
// accepts as applied in restore_items.
type Local struct{}

// Apply implements Provider.
func (Local) Apply(_ context.Context, _ reckon.Scope, item *reckon.RestoreItem) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(item.Payload, &obj); err != nil || obj == nil {
		return &ItemError{Code: ItemInvalidPayload}
	}
	var kind string
	if err := json.Unmarshal(obj["kind"], &kind); err != nil || kind == "" {
		return &ItemError{Code: ItemMissingKind}
	}
	return nil
}

// itemErrorCode returns the code of an item failure, or "" when err is not one.
func itemErrorCode(err error) string {
	var ie *ItemError
	if errors.As(err, &ie) {
		return ie.Code
	}
	return ""
}
