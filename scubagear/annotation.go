package scubagear

import (
	"strings"
	"time"

	"github.com/reckonhq/reckon"
)

// MaxCommentRunes bounds an annotation's comment, in characters; a longer
// one is cut with "…".
const MaxCommentRunes = 2000

// annotate carries the operator's annotation of a control into its finding
// (the mapping is documented in the package). ap is the control's entry in
// AnnotatedFailedPolicies, zero when it has none; at is the control's JSON
// pointer.
func (c *control) annotate(f *reckon.Finding, ap annotatedPolicy, at string, probs *problems) {
	var a reckon.Annotation
	var comments []string
	for _, s := range c.Comments {
		if t := plainText(s, MaxCommentRunes); t != "" {
			comments = append(comments, t)
		}
	}
	if len(comments) == 0 && ap.Comment != nil {
		if t := plainText(*ap.Comment, MaxCommentRunes); t != "" {
			comments = append(comments, t)
		}
	}
	a.Comment = clip(strings.Join(comments, "\n"), MaxCommentRunes)

	afp := pointerAnnotated.AppendToken(f.ControlID)
	date, field := "", ""
	if ap.RemediationDate != nil {
		date, field = strings.TrimSpace(*ap.RemediationDate), string(afp)+"/RemediationDate"
	}
	if date == "" && c.ResolutionDate != nil {
		// 1.7 writes "N/A" for a control without one.
		if d := strings.TrimSpace(*c.ResolutionDate); normalize(d) != "n/a" {
			date, field = d, at+"/ResolutionDate"
		}
	}
	if date != "" {
		if d, err := time.Parse(time.DateOnly, date); err != nil {
			probs.add(field, "scubagear.bad_date", "field", field, "value", clip(date, 64), "control", f.ControlID)
		} else {
			a.RemediationDate = d.Format(time.DateOnly)
		}
	}

	a.IncorrectResult = (ap.IncorrectResult != nil && *ap.IncorrectResult) || normalize(c.Result) == "incorrect result"
	if c.OriginalResult != nil {
		if st, known := statuses[normalize(*c.OriginalResult)]; !known {
			probs.add(at+"/OriginalResult", "scubagear.unknown_result", "value", clip(*c.OriginalResult, 64), "control", f.ControlID)
		} else if st != f.Status {
			a.OriginalStatus = st
			if c.OriginalDetails != nil {
				a.OriginalDetail = plainText(*c.OriginalDetails, MaxDetailRunes)
			}
		}
	}
	f.Annotation = a
}
