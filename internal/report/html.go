package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/review"
)

var (
	//go:embed report.html
	pageSource string
	//go:embed report.css
	styleSheet string
)

// page is parsed once; each render binds its language to a clone.
var page = template.Must(template.New("report").Funcs(funcs(tr{})).Option("missingkey=error").Parse(pageSource))

func funcs(t tr) template.FuncMap { return template.FuncMap{"t": t.T} }

// tr translates for one document: its language and its reader's zone.
type tr struct {
	text locale.Catalog
	lang string
	zone *time.Location // nil for UTC
}

// T translates a key with arguments given as alternating name, value pairs.
func (t tr) T(key string, args ...any) string {
	return t.text.Message(t.lang, reckon.Msg(key, args...))
}

func (t tr) num(n int) string { return locale.FormatInt(t.lang, int64(n)) }

// time writes a time out in the reader's zone.
func (t tr) time(at time.Time) string { return locale.FormatTimeIn(t.lang, at, t.zone) }

// half writes a number of half points: 83 or 41.5 (41,5 in German).
func (t tr) half(n2 int) string {
	s := t.num(n2 / 2)
	if n2%2 != 0 {
		sep := "."
		if t.lang == "de" {
			sep = ","
		}
		s += sep + "5"
	}
	return s
}

// label names a value in the document's language (locale.Label).
func label[K ~string](t tr, keys map[K]string, v K) string {
	return locale.Label(t.text, t.lang, keys, v)
}

// view is the document's data, every text in its language.
type view struct {
	Lang        string
	Title       string
	Policy      string
	Style       template.CSS
	Environment string
	Subtitle    string
	Facts       []fact
	Composed    bool
	Score       string
	Calculation string
	Severities  []severityRow
	Statuses    []countRow
	Annotations []noteCount
	Legend      []note
	// FailingCount is how many controls fail.
	FailingCount   string
	Products       []product
	Incorrect      []control
	IncorrectCount string
	Changes        *changes
	NoChanges      string
}

type fact struct {
	Label, Value, Note string
	Code               bool
}

type severityRow struct {
	Key, Label                string
	Weight, Controls, Failing string
}

type countRow struct{ Label, Count string }

type noteCount struct{ Kind, Label, Count string }

type product struct {
	ID, Name, Count string
	Controls        []control
	// Large: the product has ownPage failing controls or more; it starts a
	// printed page of its own (NewPage) unless it comes first, and breaks
	// between rows. A smaller product is kept on one page where it fits.
	Large, NewPage bool
}

// ownPage is how many failing controls give a product a printed page of its
// own: fewer share a page with their neighbours.
const ownPage = 6

type control struct {
	ID, PreviousID, Title, Group, Detail string
	SeverityKey, Severity                string
	Status, Previous                     string
	Notes                                []note
}

// note is an annotation as a row shows it; Kind is its CSS modifier.
type note struct{ Kind, Label, Comment string }

type changes struct {
	Baseline string
	Sections []changeSection
}

type changeSection struct {
	ID, Title, Count string
	Controls         []control
}

// document is a rendered report and the hash of its stylesheet, which its
// policy allows and nothing else.
type document struct {
	html      []byte
	styleHash string
}

// policy is the document's Content-Security-Policy. The header adds
// frame-ancestors, which a <meta> policy may not carry.
func (d *document) policy(header bool) string {
	p := "default-src 'none'; style-src '" + d.styleHash + "'; base-uri 'none'; form-action 'none'"
	if header {
		p += "; frame-ancestors 'none'"
	}
	return p
}

// render builds the document of d in lang, its times in zone (nil: UTC).
func render(text locale.Catalog, d *Data, lang string, zone *time.Location) (*document, error) {
	t := tr{text: text, lang: lang, zone: zone}
	v := describe(t, d)
	style := styleSheet + pageRules(t, d)
	sum := sha256.Sum256([]byte(style))
	doc := &document{styleHash: "sha256-" + base64.StdEncoding.EncodeToString(sum[:])}
	v.Style, v.Policy = template.CSS(style), doc.policy(false)
	p, err := page.Clone()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := p.Funcs(funcs(t)).Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("report: render review %d: %w", d.Review.ID, err)
	}
	doc.html = buf.Bytes()
	return doc, nil
}

// describe lays the review out for reading.
func describe(t tr, d *Data) *view {
	rv := d.Review
	title := t.T("report.title", "id", strconv.FormatInt(rv.ID, 10))
	snap := d.Snapshot
	v := &view{Lang: t.lang, Title: title + " · " + d.Environment.Name, Environment: d.Environment.Name,
		Subtitle: title + " · " + d.Workspace.Name}
	add := func(f fact) { v.Facts = append(v.Facts, f) }
	add(fact{Label: t.T("report.fact.environment"), Value: d.Environment.Name})
	if d.Environment.TenantID != "" {
		add(fact{Label: t.T("report.fact.tenant"), Value: d.Environment.TenantID, Code: true})
	} else {
		add(fact{Label: t.T("report.fact.tenant"), Value: t.T("report.fact.tenant_unknown")})
	}
	add(fact{Label: t.T("report.fact.workspace"), Value: d.Workspace.Name})
	add(fact{Label: t.T("report.fact.captured"), Value: t.time(snap.CapturedAt)})
	source := snap.Source.Format
	if snap.Source.ToolVersion != "" {
		source += " " + snap.Source.ToolVersion
	}
	add(fact{Label: t.T("report.fact.snapshot"), Value: "#" + strconv.FormatInt(snap.ID, 10),
		Note: t.T("report.fact.findings", "n", snap.FindingCount, "source", source)})
	add(fact{Label: t.T("report.fact.status"), Value: label(t, locale.ReviewStatusKeys, rv.Status)})
	composed := t.T("report.fact.not_composed")
	if rv.ComposedAt != nil {
		composed = t.time(*rv.ComposedAt)
	}
	add(fact{Label: t.T("report.fact.composed"), Value: composed})
	if rv.PublishedAt != nil {
		add(fact{Label: t.T("report.fact.published"), Value: t.time(*rv.PublishedAt)})
	}
	c := d.Content
	if c != nil {
		add(fact{Label: t.T("report.fact.composer"), Value: c.ComposerVersion})
	}
	add(fact{Label: t.T("report.fact.fingerprint"), Value: rv.Fingerprint, Code: true, Note: t.T("report.fact.fingerprint_note")})
	if c == nil {
		return v
	}
	v.Composed = true
	describeScore(t, v, c, snap)
	details := make(map[string]string, len(snap.Findings))
	for _, f := range snap.Findings {
		details[f.ControlID] = f.Detail
	}
	row := func(cs review.ControlSummary, failing bool) control {
		r := control{ID: cs.ControlID, PreviousID: cs.PreviousID, Title: cs.Title, Group: cs.Group, Detail: details[cs.ControlID],
			SeverityKey: string(cs.Severity), Severity: label(t, locale.SeverityKeys, cs.Severity), Status: label(t, locale.FindingKeys, cs.Status),
			Notes: notes(t, cs.Annotation, failing)}
		if cs.Previous != "" {
			r.Previous = label(t, locale.FindingKeys, cs.Previous)
		}
		return r
	}
	v.FailingCount = t.num(len(c.Failing))
	for i, g := range review.ByProduct(c.Failing) {
		// The first product follows its heading on the part's first page.
		p := product{ID: "product-" + strconv.Itoa(i+1), Name: g.Product, Count: t.num(len(g.Controls)),
			Large: len(g.Controls) >= ownPage}
		p.NewPage = p.Large && i > 0
		if p.Name == "" {
			p.Name = t.T("report.other_controls")
		}
		for _, cs := range g.Controls {
			p.Controls = append(p.Controls, row(cs, true))
		}
		v.Products = append(v.Products, p)
	}
	for _, cs := range c.IncorrectResults {
		v.Incorrect = append(v.Incorrect, row(cs, cs.Status == reckon.FindingFail))
	}
	v.IncorrectCount = t.num(len(c.IncorrectResults))
	a := c.Annotations
	for _, n := range []struct {
		kind, key, explain string
		n                  int
	}{
		{noteAccepted, "report.note.accepted", "report.note.accepted_explain", a.Accepted},
		{noteCommented, "report.note.commented", "report.note.commented_explain", a.Commented},
		{noteUnexplained, "report.note.unexplained", "report.note.unexplained_explain", a.Unexplained},
		{noteIncorrect, "report.note.incorrect", "report.note.incorrect_explain", a.IncorrectResult},
	} {
		v.Annotations = append(v.Annotations, noteCount{Kind: n.kind, Label: t.T(n.key), Count: t.num(n.n)})
		v.Legend = append(v.Legend, note{Kind: n.kind, Label: t.T(n.key), Comment: t.T(n.explain)})
	}
	if ch := c.Changes; ch != nil {
		v.Changes = &changes{Baseline: t.T("report.changes.baseline", "captured", t.time(ch.Baseline.CapturedAt))}
		for _, s := range []struct {
			id, key string
			list    []review.ControlSummary
		}{
			{"newly-failing", "report.changes.newly_failing", ch.NewlyFailing},
			{"resolved", "report.changes.resolved", ch.Resolved},
			{"added", "report.changes.added", ch.Added},
			{"removed", "report.changes.removed", ch.Removed},
			{"version-changed", "report.changes.version_changed", ch.VersionChanged},
			{"moved", "report.changes.moved", ch.Moved},
		} {
			sec := changeSection{ID: s.id, Title: t.T(s.key), Count: t.num(len(s.list))}
			for _, cs := range s.list {
				sec.Controls = append(sec.Controls, row(cs, cs.Status == reckon.FindingFail))
			}
			v.Changes.Sections = append(v.Changes.Sections, sec)
		}
	} else {
		v.NoChanges = t.T("report.changes.none")
	}
	return v
}

// describeScore states the score and how it was computed from the review's
// evidence, with the composer's weights.
func describeScore(t tr, v *view, c *review.Content, snap *reckon.Snapshot) {
	failing := c.FailingBySeverity()
	for _, s := range reckon.Severities {
		v.Severities = append(v.Severities, severityRow{Key: string(s), Label: label(t, locale.SeverityKeys, s),
			Weight: t.num(review.Weight(s)), Controls: t.num(c.BySeverity.Of(s)), Failing: t.num(failing.Of(s))})
	}
	for _, s := range reckon.FindingStatuses {
		v.Statuses = append(v.Statuses, countRow{Label: label(t, locale.FindingKeys, s), Count: t.num(c.ByStatus.Of(s))})
	}
	v.Score = "—"
	if c.Score != nil {
		v.Score = t.num(*c.Score)
	}
	// The points are summed again from the evidence; they are shown only
	// when they give the review's own score (a review of an older composer
	// keeps the score it was given).
	p := review.ScorePoints(snap.Findings)
	switch got := p.Score(); {
	case c.Score == nil:
		v.Calculation = t.T("report.score.none")
	case got != nil && *got == *c.Score:
		v.Calculation = t.T("report.score.calculation", "earned", t.half(p.Earned2), "possible", t.half(p.Possible2), "score", v.Score)
	default:
		v.Calculation = t.T("report.score.stored", "version", c.ComposerVersion)
	}
}

// Kinds of notes: the CSS modifiers of report.css.
const (
	noteAccepted    = "accepted"
	noteCommented   = "commented"
	noteUnexplained = "unexplained"
	noteIncorrect   = "incorrect"
)

// annotationKind is what an operator's note makes of a control: accepted
// (a remediation date), commented (a comment without one), unexplained (a
// failing control with neither, as the review counts it), or "".
func annotationKind(a reckon.Annotation, failing bool) string {
	switch {
	case a.RemediationDate != "":
		return noteAccepted
	case a.Comment != "":
		return noteCommented
	case failing:
		return noteUnexplained
	}
	return ""
}

// notes are what a control's row says of its annotation: its kind with the
// comment, and a mark that its result is incorrect.
func notes(t tr, a reckon.Annotation, failing bool) []note {
	var out []note
	switch kind := annotationKind(a, failing); kind {
	case noteAccepted:
		out = append(out, note{Kind: kind, Label: t.T("report.note.accepted_until", "date", a.RemediationDate), Comment: a.Comment})
	case noteCommented:
		out = append(out, note{Kind: kind, Label: t.T("report.note.commented"), Comment: a.Comment})
	case noteUnexplained:
		out = append(out, note{Kind: kind, Label: t.T("report.note.unexplained")})
	}
	if a.IncorrectResult {
		n := note{Kind: noteIncorrect, Label: t.T("report.note.incorrect")}
		if a.OriginalStatus != "" {
			n.Comment = t.T("report.note.original", "status", label(t, locale.FindingKeys, a.OriginalStatus))
		}
		out = append(out, n)
	}
	return out
}

// pageRules are the printed page's size and running header and footer:
// the environment and review on top, the evidence and the page number
// below. Their words are CSS strings, escaped by cssString.
func pageRules(t tr, d *Data) string {
	box := func(where, content string) string {
		return "  @" + where + " { content: " + content + "; font-size: 8pt; color: #57606a; }\n"
	}
	return "\n@page {\n  size: A4;\n  margin: 18mm 15mm 18mm 15mm;\n" +
		box("top-left", cssString(d.Environment.Name+" · "+d.Workspace.Name)) +
		box("top-right", cssString(t.T("report.title", "id", strconv.FormatInt(d.Review.ID, 10)))) +
		box("bottom-left", cssString(t.T("report.print.evidence", "captured", t.time(d.Snapshot.CapturedAt)))) +
		box("bottom-right", pageCounter(t.T("report.print.page"))) + "}\n"
}

// pageCounter turns a text with {page} and {pages} into a CSS content value
// with the page counters in their places.
func pageCounter(text string) string {
	var parts []string
	for text != "" {
		i := strings.IndexByte(text, '{')
		j := strings.IndexByte(text[max(i, 0):], '}')
		if i < 0 || j < 0 {
			parts = append(parts, cssString(text))
			break
		}
		name := text[i+1 : i+j]
		counter := map[string]string{"page": "counter(page)", "pages": "counter(pages)"}[name]
		if counter == "" {
			parts = append(parts, cssString(text[:i+j+1]))
		} else {
			if i > 0 {
				parts = append(parts, cssString(text[:i]))
			}
			parts = append(parts, counter)
		}
		text = text[i+j+1:]
	}
	return strings.Join(parts, " ")
}

// cssString quotes text as a CSS string. Everything but letters, digits and
// a few harmless marks is a hex escape, so that nothing in it can end the
// string, the rule or the <style> element.
func cssString(text string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range text {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" .,:#-_()", r)) {
			b.WriteRune(r)
			continue
		}
		// A hex escape ends at the space after it, which CSS drops.
		fmt.Fprintf(&b, "\\%x ", r)
	}
	b.WriteByte('"')
	return b.String()
}
