package web

import (
	"context"
	"log/slog"
	"sync"
	"time"

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

// How often RunTypeLabels reads the published labels again: every
// labelsRefresh, and at most every labelsRetry while a page names a type
// that no read has labelled.
const (
	labelsRefresh = time.Minute
	labelsRetry   = time.Second
)

// RunTypeLabels names run types for people, in the console and the API: the
// catalog's types as the catalog does, and the types it does not hold — a
// service's — by the labels the service's process published
// (catalog.Catalog.Publish), falling back to English and then to the key.
//
// The published labels are read when it is made and afterwards in the
// background, never while a request waits or holds a transaction (on
// SQLite a second transaction would wait for the request's own): a minute
// after the last read, and within a second when a page names a type that no
// read has labelled yet, so that a service started later is named by the
// next page or so.
type RunTypeLabels struct {
	db  *store.DB
	cat *catalog.Catalog
	log *slog.Logger

	mu        sync.Mutex
	published map[reckon.RunType]map[string]string
	readAt    time.Time // when the last read started
	reading   bool
}

// NewRunTypeLabels names the types of cat, and those published in db.
func NewRunTypeLabels(db *store.DB, cat *catalog.Catalog, log *slog.Logger) *RunTypeLabels {
	l := &RunTypeLabels{db: db, cat: cat, log: log, reading: true, readAt: time.Now()}
	l.read()
	return l
}

// Label is typ's label in lang.
func (l *RunTypeLabels) Label(typ reckon.RunType, lang string) string {
	if t, ok := l.cat.Lookup(typ); ok {
		return t.Label(lang)
	}
	l.mu.Lock()
	labels, known := l.published[typ]
	if since := time.Since(l.readAt); !l.reading && (since >= labelsRefresh || !known && since >= labelsRetry) {
		l.reading, l.readAt = true, time.Now()
		go l.read()
	}
	l.mu.Unlock()
	return (&catalog.RunType{Key: typ, Labels: labels}).Label(lang)
}

// read reads the published labels; on failure it keeps those it has, and
// the next page to name a type tries again.
func (l *RunTypeLabels) read() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var published map[reckon.RunType]map[string]string
	err := l.db.InStatement(ctx, func(tx *store.Tx) (err error) {
		published, err = tx.RunTypeLabels(ctx)
		return err
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reading = false
	if err != nil {
		l.log.Warn("reading the published labels of run types failed", "error", err)
		return
	}
	l.published = published
}
