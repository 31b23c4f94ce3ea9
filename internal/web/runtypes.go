package web

import (
	"context"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/store"
)

// RunTypes are the types a run list can be filtered by in a scope: the
// catalog's, then those of the scope's runs that the catalog does not know —
// a service's own types, whose runs the lists show beside reckon's
// (docs/adapters.md).
func RunTypes(ctx context.Context, tx *store.Tx, cat *catalog.Catalog, scope *store.RunFilter) ([]reckon.RunType, error) {
	present, err := tx.RunTypes(ctx, scope)
	if err != nil {
		return nil, err
	}
	types := cat.Keys()
	for _, t := range present {
		if _, ok := cat.Lookup(t); !ok {
			types = append(types, t)
		}
	}
	return types, nil
}
