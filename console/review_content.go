package console

import (
	"github.com/reckonhq/reckon/review"
)

// annotationNote is the operator's annotation of one control, as a row of
// the review page shows it: an accepted failure reads differently from an
// unexplained one, and an incorrect-result mark stands out.
type annotationNote struct {
	Kind     string // accepted, commented or incorrect: the CSS modifier
	Label    string
	Comment  string
	Original string // what the tool found before the operator's configuration changed it
}

// noteOf returns a control's annotation note, nil when it has none.
func noteOf(t tr, c review.ControlSummary) *annotationNote {
	a := c.Annotation
	if a.IsZero() {
		return nil
	}
	n := &annotationNote{Comment: a.Comment}
	switch {
	case a.IncorrectResult:
		n.Kind, n.Label = "incorrect", t.T("console.annotation.incorrect")
	case a.RemediationDate != "":
		n.Kind, n.Label = "accepted", t.T("console.annotation.accepted_until", "date", a.RemediationDate)
	default:
		n.Kind, n.Label = "commented", t.T("console.annotation.commented")
	}
	if a.OriginalStatus != "" {
		n.Original = t.T("console.annotation.original", "status", label(t, findingKeys, a.OriginalStatus))
	}
	return n
}

// annotationCounts lays out the review's annotation counts.
func annotationCounts(t tr, c review.AnnotationCounts) []countItem {
	return []countItem{
		{Label: t.T("console.annotation.count_accepted"), Count: t.Num(int64(c.Accepted))},
		{Label: t.T("console.annotation.count_commented"), Count: t.Num(int64(c.Commented))},
		{Label: t.T("console.annotation.count_unexplained"), Count: t.Num(int64(c.Unexplained))},
		{Label: t.T("console.annotation.count_incorrect"), Count: t.Num(int64(c.IncorrectResult))},
	}
}

// versionSections are the change lists of controls that changed identity
// (a new version suffix, a moved policy), after the review page's others.
func versionSections(ch *review.Changes) []struct {
	id, title, empty string
	list             []review.ControlSummary
} {
	return []struct {
		id, title, empty string
		list             []review.ControlSummary
	}{
		{"version-changed", "console.annotation.version_changed", "console.annotation.none_version_changed", ch.VersionChanged},
		{"moved", "console.annotation.moved", "console.annotation.none_moved", ch.Moved},
	}
}
