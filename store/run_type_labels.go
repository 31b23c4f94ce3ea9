package store

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/reckonhq/reckon"
)

// PublishRunTypeLabels records a run type's labels by language, replacing
// those published before: a language no longer labelled loses its row.
// Concurrent publishers of the same labels agree (an upsert per language).
func (tx *Tx) PublishRunTypeLabels(ctx context.Context, typ reckon.RunType, labels map[string]string) error {
	langs := slices.Sorted(maps.Keys(labels))
	for _, lang := range langs {
		if _, err := tx.exec(ctx, `INSERT INTO run_type_labels (type, lang, label, published_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (type, lang) DO UPDATE SET label = excluded.label, published_at = excluded.published_at`,
			string(typ), lang, labels[lang], tx.now); err != nil {
			return fmt.Errorf("store: publish the labels of %s: %w", typ, err)
		}
	}
	r, err := tx.query(ctx, `SELECT lang FROM run_type_labels WHERE type = $1`, string(typ))
	if err != nil {
		return fmt.Errorf("store: publish the labels of %s: %w", typ, err)
	}
	published, err := collect(r, scanValue[string])
	if err != nil {
		return fmt.Errorf("store: publish the labels of %s: %w", typ, err)
	}
	for _, lang := range published {
		if _, ok := labels[lang]; ok {
			continue
		}
		if _, err := tx.exec(ctx, `DELETE FROM run_type_labels WHERE type = $1 AND lang = $2`, string(typ), lang); err != nil {
			return fmt.Errorf("store: publish the labels of %s: %w", typ, err)
		}
	}
	return nil
}

// RunTypeLabels returns every published label, by run type and language.
func (tx *Tx) RunTypeLabels(ctx context.Context) (map[reckon.RunType]map[string]string, error) {
	r, err := tx.query(ctx, `SELECT type, lang, label FROM run_type_labels`)
	if err != nil {
		return nil, fmt.Errorf("store: run type labels: %w", err)
	}
	type row struct {
		typ         reckon.RunType
		lang, label string
	}
	all, err := collect(r, func(r rows) (row, error) {
		var x row
		err := r.Scan(&x.typ, &x.lang, &x.label)
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: run type labels: %w", err)
	}
	labels := map[reckon.RunType]map[string]string{}
	for _, x := range all {
		if labels[x.typ] == nil {
			labels[x.typ] = map[string]string{}
		}
		labels[x.typ][x.lang] = x.label
	}
	return labels, nil
}
