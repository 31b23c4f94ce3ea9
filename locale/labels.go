package locale

import "github.com/reckonhq/reckon"

// The names of the review domain's values, the same wherever they are shown
// (the console's pages, the review report): a catalog key per value. Each
// key is written out, so that the catalog tests see it is used.
var (
	SeverityKeys = map[reckon.Severity]string{
		reckon.SeverityCritical: "console.severity.critical",
		reckon.SeverityHigh:     "console.severity.high",
		reckon.SeverityMedium:   "console.severity.medium",
		reckon.SeverityLow:      "console.severity.low",
		reckon.SeverityInfo:     "console.severity.info",
	}
	FindingKeys = map[reckon.FindingStatus]string{
		reckon.FindingPass:          "console.finding.pass",
		reckon.FindingFail:          "console.finding.fail",
		reckon.FindingWarning:       "console.finding.warning",
		reckon.FindingNotApplicable: "console.finding.not_applicable",
		reckon.FindingError:         "console.finding.error",
	}
	// The review statuses are the review domain's own words.
	ReviewStatusKeys = map[reckon.ReviewStatus]string{
		reckon.ReviewDraft:      "review.status.draft",
		reckon.ReviewReady:      "review.status.ready",
		reckon.ReviewPublished:  "review.status.published",
		reckon.ReviewArchived:   "review.status.archived",
		reckon.ReviewFailed:     "review.status.failed",
		reckon.ReviewSuperseded: "review.status.superseded",
	}
)

// Label is the name of v in lang through its key table; a value without a
// key shows as it is, which the page scans catch.
func Label[K ~string](c Catalog, lang string, keys map[K]string, v K) string {
	if key, ok := keys[v]; ok {
		return c.Translate(lang, key, nil)
	}
	return string(v)
}
