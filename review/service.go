// Package review is reckon's first domain on the run ledger: environment
// reviews composed from evidence snapshots (docs/design.md §6, §7), which package
// evidence imports.
//
// It fingerprints the inputs of a review (Fingerprint), composes content
// deterministically (Compose), creates and refreshes reviews without ever
// multiplying runs or reviews (Service.Compose, Service.Refresh; compose.go),
// runs the compose job with every recovery path (Worker; job*.go, one file
// per step), keeps the lifecycle (Service.Publish, Service.Archive;
// lifecycle.go), and proves a compose run's truth with one resolver
// (Resolve) shared by the service, the job and the reconciliation Adapter.
package review

import (
	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/store"
)

// Service is the review domain's API, shared by the JSON API, the console,
// the CLI and the compose job.
type Service struct {
	db      *store.DB
	ledger  *ledger.Ledger
	catalog *catalog.Catalog
	clock   reckon.Clock
}

// Deps are a Service's dependencies.
type Deps struct {
	DB      *store.DB
	Ledger  *ledger.Ledger
	Catalog *catalog.Catalog
	// Clock times work outside transactions (waits and their bounds);
	// transactions use the database's clock. DB.Now when nil.
	Clock reckon.Clock
}

// NewService returns a review service.
func NewService(d Deps) *Service {
	if d.DB == nil || d.Ledger == nil || d.Catalog == nil {
		panic("review: NewService needs a database, a ledger and a catalog")
	}
	clock := d.Clock
	if clock == nil {
		clock = d.DB.Now
	}
	return &Service{db: d.DB, ledger: d.Ledger, catalog: d.Catalog, clock: clock}
}

// Errors the service returns are *reckon.Error with these codes:
// CodeNotFound (environment, review or snapshot absent from the workspace),
// CodeValidation and CodeTooLarge (bad snapshot or filter), CodeConflict
// (an external id reused for other content), CodeTenantMismatch,
// CodeNoEvidence, CodeInvalidTransition. Anything else is internal.

func notFound(key string) error { return reckon.Errorf(reckon.CodeNotFound, key) }

// scoped maps a store not-found to a coded not-found.
func scoped(err error, key string) error {
	if store.IsNotFound(err) {
		return notFound(key)
	}
	return err
}
