package reconcile_test

import (
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/restore"
)

// Every reason code the reconciler and the restore domain write has a
// decision sentence in every language, and every item error a message.
func TestReasonCodesHaveSentences(t *testing.T) {
	t.Parallel()
	keys := []string{"reconcile.run_not_found", restore.ItemInvalidPayload, restore.ItemMissingKind,
		// Reason codes are their own keys.
		reckon.ReasonStaleQueued, reckon.ReasonStaleRunning, reckon.ReasonJobDiscarded,
		restore.ReasonCompleted, restore.ReasonPartial, restore.ReasonFailed, restore.ReasonMissing}
	cat := locale.Default()
	for _, lang := range locale.Languages {
		for _, key := range keys {
			if !cat.Has(lang, key) {
				t.Errorf("%s has no text for %s", lang, key)
			}
		}
	}
}
