package reckontest

import (
	"context"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/store"
)

// ServiceType is the run type of ServiceLedger: a service's own type, which
// reckon's catalog does not know.
const ServiceType reckon.RunType = "inventory.sync"

// ServiceLabels are ServiceType's labels in ServiceLedger's catalog.
var ServiceLabels = map[string]string{"en": "Inventory sync", "de": "Inventarabgleich"}

// ServiceLedger is the ledger of a service that imports reckon
// (docs/adapters.md): a catalog of its own holding only ServiceType, with
// a queued deadline of a minute, its labels (not published until its
// catalog's Publish), and no job or adapter.
func ServiceLedger(t testing.TB) *ledger.Ledger {
	t.Helper()
	cat := catalog.New()
	if err := cat.Add(&catalog.RunType{Key: ServiceType, QueuedDeadline: time.Minute,
		RunningDeadline: time.Hour, JobTimeout: time.Minute, Labels: ServiceLabels}); err != nil {
		t.Fatal(err)
	}
	return ledger.New(cat, nil)
}

// ServiceRun triggers a run of ServiceType in scope through l, keyed by key.
func ServiceRun(t testing.TB, db *store.DB, l *ledger.Ledger, scope reckon.Scope, key string) *reckon.Run {
	t.Helper()
	run, _, err := l.Trigger(context.Background(), db, &ledger.EnsureParams{Scope: scope, Type: ServiceType,
		Key: key, Context: reckon.RunContext{Fingerprint: key}})
	if err != nil {
		t.Fatal(err)
	}
	return run
}
