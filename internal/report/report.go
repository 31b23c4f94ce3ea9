// Package report renders a review for the customer whose environment it
// reviews: one self-contained HTML document (inline CSS, no script, nothing
// fetched, a print stylesheet for A4) in English or German, or the review's
// findings as CSV. The JSON API and the console serve the same document
// through Write, each behind its own access checks.
package report

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// Format is what a report is written as.
type Format string

// Formats.
const (
	HTML Format = "html"
	CSV  Format = "csv"
)

// ParseFormat reads a format parameter; "" is HTML.
func ParseFormat(s string) (Format, bool) {
	switch Format(s) {
	case "", HTML:
		return HTML, true
	case CSV:
		return CSV, true
	}
	return "", false
}

// Data is what a report shows: the review with its environment and the
// evidence it was composed from.
type Data struct {
	Workspace   *reckon.Workspace
	Environment *reckon.Environment
	Review      *reckon.Review
	Snapshot    *reckon.Snapshot
	// Content is nil until the review is composed.
	Content *review.Content
}

// Load reads what the report of a review shows. The review was loaded
// through the caller's grant; its environment and snapshot are read in its
// workspace.
func Load(ctx context.Context, db *store.DB, ws *reckon.Workspace, v *reckon.Review) (*Data, error) {
	d := &Data{Workspace: ws, Review: v}
	err := db.InTx(ctx, func(tx *store.Tx) (err error) {
		if d.Environment, err = tx.Environment(ctx, ws.ID, v.EnvironmentID); err != nil {
			return err
		}
		d.Snapshot, err = tx.Snapshot(ctx, ws.ID, v.EvidenceSnapshotID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if d.Content, err = review.ContentOf(v); err != nil {
		return nil, err
	}
	return d, nil
}

// Write answers the report of d in format, in language lang with its times
// in the reader's zone (nil: UTC). The document is built before anything is
// written, so that an error still answers an error. Its headers allow
// exactly what it holds: its own inline stylesheet, and nothing to run,
// fetch, frame or submit.
func Write(w http.ResponseWriter, text locale.Catalog, d *Data, format Format, lang string, zone *time.Location) error {
	var (
		body        []byte
		contentType string
		policy      = strictPolicy
		disposition = "inline"
		ext         = "html"
		err         error
	)
	if format == CSV {
		body, err = findingsCSV(d)
		contentType, disposition, ext = "text/csv; charset=utf-8", "attachment", "csv"
	} else {
		var doc *document
		doc, err = render(text, d, lang, zone)
		if doc != nil {
			body, contentType, policy = doc.html, "text/html; charset=utf-8", doc.policy(true)
		}
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", disposition+`; filename="`+fileName(d)+"."+ext+`"`)
	h.Set("Content-Language", lang)
	h.Set("Content-Security-Policy", policy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// A report is one customer's evidence: no shared cache keeps it.
	h.Set("Cache-Control", "private, no-store")
	h.Add("Vary", "Accept-Language")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

// strictPolicy is the CSV answer's policy: it is data, nothing in it runs.
const strictPolicy = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// fileName names a report after its review and environment, in characters
// every file system and header takes.
func fileName(d *Data) string {
	slug := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return '-'
	}, d.Environment.Slug)
	return "reckon-review-" + strconv.FormatInt(d.Review.ID, 10) + "-" + slug
}
