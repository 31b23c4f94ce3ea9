package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// A type's labels published again replace those before, a language dropped
// included; other types' labels are left as they are.
func TestPublishedRunTypeLabelsReplaceTheTypesOwn(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		publish := func(typ reckon.RunType, labels map[string]string) {
			t.Helper()
			reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.PublishRunTypeLabels(ctx, typ, labels) })
		}
		publish("inventory.sync", map[string]string{"en": "Inventory sync", "de": "Inventarabgleich"})
		publish("billing.close", map[string]string{"en": "Month close"})
		publish("inventory.sync", map[string]string{"en": "Inventory synchronisation", "fr": "Synchronisation"})
		publish("inventory.sync", map[string]string{"en": "Inventory synchronisation", "fr": "Synchronisation"})

		var got map[reckon.RunType]map[string]string
		reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
			got, err = tx.RunTypeLabels(ctx)
			return err
		})
		want := map[reckon.RunType]map[string]string{
			"billing.close":  {"en": "Month close"},
			"inventory.sync": {"en": "Inventory synchronisation", "fr": "Synchronisation"},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("labels %v, want %v", got, want)
		}
	})
}
