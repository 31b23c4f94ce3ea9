package review

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/scubagear"
)

// Content is a composed review. It is a pure function of the snapshot, the
// baseline snapshot and ComposerVersion, holds no row ids and encodes to
// the same bytes for the same inputs.
type Content struct {
	ComposerVersion string          `json:"composer_version"`
	Evidence        EvidenceSummary `json:"evidence"`
	// Score is 0–100, or null when no control carries weight (see Score).
	Score      *int             `json:"score"`
	Controls   int              `json:"controls"`
	BySeverity SeverityCounts   `json:"by_severity"`
	ByStatus   StatusCounts     `json:"by_status"`
	Failing    []ControlSummary `json:"failing"`
	// Annotations counts what the operator said about the results.
	Annotations AnnotationCounts `json:"annotations"`
	// IncorrectResults lists the controls whose result the operator marked
	// wrong, whatever their status.
	IncorrectResults []ControlSummary `json:"incorrect_results"`
	// Changes is null when the environment had no earlier review.
	Changes *Changes `json:"changes"`
}

// EvidenceSummary describes a snapshot without its row id.
type EvidenceSummary struct {
	CapturedAt  time.Time `json:"captured_at"`
	ContentHash string    `json:"content_hash"`
	Format      string    `json:"format"`
	ToolVersion string    `json:"tool_version,omitempty"`
}

// SeverityCounts counts controls by severity, most severe first.
type SeverityCounts struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
}

// StatusCounts counts controls by status.
type StatusCounts struct {
	Pass          int `json:"pass"`
	Fail          int `json:"fail"`
	Warning       int `json:"warning"`
	NotApplicable int `json:"not_applicable"`
	Error         int `json:"error"`
}

// AnnotationCounts counts the operator's annotations (see
// reckon.Annotation). Every failing control is in exactly one of Accepted,
// Commented and Unexplained; IncorrectResult counts the controls whose
// result the operator marked wrong, whatever their status.
type AnnotationCounts struct {
	// Accepted: failing with a remediation date — a known gap with a plan.
	Accepted int `json:"accepted"`
	// Commented: failing with a comment and no date.
	Commented int `json:"commented"`
	// Unexplained: failing with neither.
	Unexplained     int `json:"unexplained"`
	IncorrectResult int `json:"incorrect_result"`
}

func (c *AnnotationCounts) add(f reckon.Finding) {
	if f.Annotation.IncorrectResult {
		c.IncorrectResult++
	}
	if f.Status != reckon.FindingFail {
		return
	}
	switch {
	case f.Annotation.RemediationDate != "":
		c.Accepted++
	case f.Annotation.Comment != "":
		c.Commented++
	default:
		c.Unexplained++
	}
}

// ControlSummary is one control in a list. Product and group are kept so
// that a reader can group the list by product.
type ControlSummary struct {
	ControlID string               `json:"control_id"`
	Title     string               `json:"title"`
	Severity  reckon.Severity      `json:"severity"`
	Status    reckon.FindingStatus `json:"status"`
	Product   string               `json:"product,omitempty"`
	Group     string               `json:"group,omitempty"`
	// Previous is the control's status in the baseline, for changes.
	Previous reckon.FindingStatus `json:"previous_status,omitempty"`
	// PreviousID is the control's id in the baseline when it differs: a
	// new version suffix, or a policy moved to another id.
	PreviousID string `json:"previous_control_id,omitempty"`
	// Annotation is the operator's note on the result.
	Annotation reckon.Annotation `json:"annotation,omitzero"`
}

// Changes compares the snapshot with the baseline snapshot control by
// control. Controls are matched by id; a control of a ScubaGear snapshot
// whose id is not in the baseline is matched on its identity
// (scubagear.Identity: the id without its version suffix, moved policies
// under their new id), so that a new version or a move is not counted as
// one control removed and another added. Assessment tools add and retire
// controls between versions, so controls that appear or disappear are lists
// of their own, not failures or fixes.
type Changes struct {
	Baseline EvidenceSummary `json:"baseline"`
	// NewlyFailing: failing now, present and not failing in the baseline.
	NewlyFailing []ControlSummary `json:"newly_failing"`
	// Resolved: failing in the baseline, present and passing (pass, warning
	// or not_applicable) now. A control that went from fail to error was not
	// assessed and is not counted as resolved.
	Resolved []ControlSummary `json:"resolved"`
	// Added: present now, absent from the baseline (whatever their status).
	Added []ControlSummary `json:"added"`
	// Removed: present in the baseline, absent now (with their old status).
	Removed []ControlSummary `json:"removed"`
	// VersionChanged: the same control under a new version suffix
	// (MS.TEAMS.1.2v1 → MS.TEAMS.1.2v2), with previous_control_id.
	VersionChanged []ControlSummary `json:"version_changed"`
	// Moved: a policy the tool moved to another id (MS.EXO.12.1v1 →
	// MS.SECURITYSUITE.8.1v1), with previous_control_id. Version-changed
	// and moved controls are compared like any other: a change of status
	// also lists them as newly failing or resolved.
	Moved []ControlSummary `json:"moved"`
}

// Score weights: a control's severity sets how much it counts.
var severityWeight = map[reckon.Severity]int{
	reckon.SeverityCritical: 10,
	reckon.SeverityHigh:     5,
	reckon.SeverityMedium:   3,
	reckon.SeverityLow:      1,
	reckon.SeverityInfo:     0,
}

// Weight is how much a control of severity s counts towards the score.
func Weight(s reckon.Severity) int { return severityWeight[s] }

// Points are the sums a score is computed from, in half points so that a
// warning's half weight is exact.
type Points struct {
	Earned2, Possible2 int
}

// ScorePoints sums what the findings earn of what they could (see Score).
func ScorePoints(findings []reckon.Finding) Points {
	var p Points
	for _, f := range findings {
		w := severityWeight[f.Severity]
		switch f.Status {
		case reckon.FindingPass:
			p.Earned2 += 2 * w
		case reckon.FindingWarning:
			p.Earned2 += w
		case reckon.FindingFail:
		default:
			continue
		}
		p.Possible2 += 2 * w
	}
	return p
}

// Score is the score of the points, nil when nothing carries weight.
func (p Points) Score() *int {
	if p.Possible2 == 0 {
		return nil
	}
	score := (200*p.Earned2 + p.Possible2) / (2 * p.Possible2)
	return &score
}

// Score is the review's score, 0–100:
//
//	score = round(100 × Σ earned / Σ possible)
//
// over the controls with status pass, fail or warning, each weighted by its
// severity (critical 10, high 5, medium 3, low 1, info 0). A pass earns its
// full weight, a warning half of it, a fail nothing. Controls that are
// not_applicable or in error (not assessed) do not count. Rounding is half
// up, in integers. nil when nothing carries weight.
func Score(findings []reckon.Finding) *int { return ScorePoints(findings).Score() }

// Compose builds a review's content from a snapshot and, when the
// environment had an earlier review, that review's snapshot (nil for none).
func Compose(snap, baseline *reckon.Snapshot) *Content {
	c := &Content{
		ComposerVersion:  ComposerVersion,
		Evidence:         summarize(snap),
		Score:            Score(snap.Findings),
		Controls:         len(snap.Findings),
		Failing:          []ControlSummary{},
		IncorrectResults: []ControlSummary{},
	}
	for _, f := range snap.Findings {
		c.BySeverity.add(f.Severity)
		c.ByStatus.add(f.Status)
		c.Annotations.add(f)
		if f.Status == reckon.FindingFail {
			c.Failing = append(c.Failing, controlSummary(f, ""))
		}
		if f.Annotation.IncorrectResult {
			c.IncorrectResults = append(c.IncorrectResults, controlSummary(f, ""))
		}
	}
	sortControls(c.Failing)
	sortControls(c.IncorrectResults)
	if baseline != nil {
		c.Changes = changes(snap, baseline)
	}
	return c
}

// Marshal encodes content canonically: the same content, the same bytes.
func (c *Content) Marshal() (json.RawMessage, error) { return json.Marshal(c) }

// ContentOf decodes a review's content; nil until the review is composed.
func ContentOf(v *reckon.Review) (*Content, error) {
	if len(v.Content) == 0 {
		return nil, nil
	}
	var c Content
	if err := json.Unmarshal(v.Content, &c); err != nil {
		return nil, fmt.Errorf("review: content of review %d: %w", v.ID, err)
	}
	return &c, nil
}

func summarize(s *reckon.Snapshot) EvidenceSummary {
	return EvidenceSummary{CapturedAt: s.CapturedAt.UTC(), ContentHash: s.ContentHash,
		Format: s.Source.Format, ToolVersion: s.Source.ToolVersion}
}

func changes(snap, baseline *reckon.Snapshot) *Changes {
	ch := &Changes{Baseline: summarize(baseline), NewlyFailing: []ControlSummary{}, Resolved: []ControlSummary{},
		Added: []ControlSummary{}, Removed: []ControlSummary{}, VersionChanged: []ControlSummary{}, Moved: []ControlSummary{}}
	identity := func(id string) string { return id }
	if snap.Source.Format == reckon.SnapshotFormatScubaGear && baseline.Source.Format == reckon.SnapshotFormatScubaGear {
		identity = scubagear.Identity
	}
	now := make(map[string]bool, len(snap.Findings))
	for _, f := range snap.Findings {
		now[f.ControlID] = true
	}
	before := make(map[string]reckon.Finding, len(baseline.Findings))
	// Baseline controls whose id is gone, by identity, in id order, to be
	// matched with controls whose id is new.
	gone := map[string][]reckon.Finding{}
	for _, f := range baseline.Findings {
		before[f.ControlID] = f
		if !now[f.ControlID] {
			gone[identity(f.ControlID)] = append(gone[identity(f.ControlID)], f)
		}
	}
	for k := range gone {
		slices.SortFunc(gone[k], func(a, b reckon.Finding) int { return strings.Compare(a.ControlID, b.ControlID) })
	}
	matched := map[string]bool{} // baseline ids matched by identity
	// In id order, so that the matching does not depend on the input order.
	current := slices.Clone(snap.Findings)
	slices.SortFunc(current, func(a, b reckon.Finding) int { return strings.Compare(a.ControlID, b.ControlID) })
	for _, f := range current {
		old, ok := before[f.ControlID]
		previousID := ""
		if key := identity(f.ControlID); !ok && len(gone[key]) > 0 {
			old, ok, previousID = gone[key][0], true, gone[key][0].ControlID
			gone[key] = gone[key][1:]
			matched[previousID] = true
		}
		if !ok {
			ch.Added = append(ch.Added, controlSummary(f, ""))
			continue
		}
		s := controlSummary(f, old.Status)
		s.PreviousID = previousID
		switch {
		case previousID == "":
		case scubagear.BaseID(previousID) == scubagear.BaseID(f.ControlID):
			ch.VersionChanged = append(ch.VersionChanged, s)
		default:
			ch.Moved = append(ch.Moved, s)
		}
		switch {
		case f.Status == reckon.FindingFail && old.Status != reckon.FindingFail:
			ch.NewlyFailing = append(ch.NewlyFailing, s)
		case old.Status == reckon.FindingFail && f.Status != reckon.FindingFail && f.Status != reckon.FindingError:
			ch.Resolved = append(ch.Resolved, s)
		}
	}
	for _, f := range baseline.Findings {
		if !now[f.ControlID] && !matched[f.ControlID] {
			ch.Removed = append(ch.Removed, controlSummary(f, ""))
		}
	}
	for _, l := range [][]ControlSummary{ch.NewlyFailing, ch.Resolved, ch.Added, ch.Removed, ch.VersionChanged, ch.Moved} {
		sortControls(l)
	}
	return ch
}

func controlSummary(f reckon.Finding, previous reckon.FindingStatus) ControlSummary {
	return ControlSummary{ControlID: f.ControlID, Title: f.Title, Severity: f.Severity, Status: f.Status,
		Product: f.Product, Group: f.Group, Previous: previous, Annotation: f.Annotation}
}

// sortControls orders controls by severity, most severe first, then by
// control id.
func sortControls(l []ControlSummary) {
	slices.SortFunc(l, func(a, b ControlSummary) int {
		if d := a.Severity.Rank() - b.Severity.Rank(); d != 0 {
			return d
		}
		return strings.Compare(a.ControlID, b.ControlID)
	})
}

// Of returns the count of severity s.
func (c SeverityCounts) Of(s reckon.Severity) int {
	if n := c.count(s); n != nil {
		return *n
	}
	return 0
}

// FailingBySeverity counts the failing controls by severity.
func (c *Content) FailingBySeverity() SeverityCounts {
	var n SeverityCounts
	for _, f := range c.Failing {
		n.add(f.Severity)
	}
	return n
}

func (c *SeverityCounts) add(s reckon.Severity) {
	if n := c.count(s); n != nil {
		*n++
	}
}

// count is the counter of severity s; nil for an unknown severity.
func (c *SeverityCounts) count(s reckon.Severity) *int {
	switch s {
	case reckon.SeverityCritical:
		return &c.Critical
	case reckon.SeverityHigh:
		return &c.High
	case reckon.SeverityMedium:
		return &c.Medium
	case reckon.SeverityLow:
		return &c.Low
	case reckon.SeverityInfo:
		return &c.Info
	}
	return nil
}

// Of returns the count of status s.
func (c StatusCounts) Of(s reckon.FindingStatus) int {
	if n := c.count(s); n != nil {
		return *n
	}
	return 0
}

func (c *StatusCounts) add(s reckon.FindingStatus) {
	if n := c.count(s); n != nil {
		*n++
	}
}

// count is the counter of status s; nil for an unknown status.
func (c *StatusCounts) count(s reckon.FindingStatus) *int {
	switch s {
	case reckon.FindingPass:
		return &c.Pass
	case reckon.FindingFail:
		return &c.Fail
	case reckon.FindingWarning:
		return &c.Warning
	case reckon.FindingNotApplicable:
		return &c.NotApplicable
	case reckon.FindingError:
		return &c.Error
	}
	return nil
}
