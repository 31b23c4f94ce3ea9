package review_test

import (
	"fmt"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/review"
)

func TestByProductKeepsTheListsOrder(t *testing.T) {
	t.Parallel()
	list := []review.ControlSummary{{ControlID: "a", Product: "EXO"}, {ControlID: "b"}, {ControlID: "c", Product: "AAD"},
		{ControlID: "d", Product: "EXO"}, {ControlID: "e"}}
	var got []string
	for _, g := range review.ByProduct(list) {
		ids := ""
		for _, c := range g.Controls {
			ids += c.ControlID
		}
		got = append(got, g.Product+":"+ids)
	}
	if fmt.Sprint(got) != "[EXO:ad AAD:c :be]" {
		t.Fatalf("groups %v", got)
	}
	if review.ByProduct(nil) != nil {
		t.Fatal("an empty list has groups")
	}
}

// The points a score is computed from: a pass earns its weight, a warning
// half of it, a fail nothing; what was not assessed does not count.
func TestScorePoints(t *testing.T) {
	t.Parallel()
	f := func(sev reckon.Severity, st reckon.FindingStatus) reckon.Finding {
		return reckon.Finding{Severity: sev, Status: st}
	}
	p := review.ScorePoints([]reckon.Finding{f(reckon.SeverityCritical, reckon.FindingPass), f(reckon.SeverityHigh, reckon.FindingWarning),
		f(reckon.SeverityMedium, reckon.FindingFail), f(reckon.SeverityCritical, reckon.FindingNotApplicable),
		f(reckon.SeverityHigh, reckon.FindingError), f(reckon.SeverityInfo, reckon.FindingPass)})
	if p != (review.Points{Earned2: 25, Possible2: 36}) || *p.Score() != 69 {
		t.Fatalf("points %+v, score %d", p, *p.Score())
	}
	if (review.Points{}).Score() != nil {
		t.Fatal("nothing to weigh has a score")
	}
	if review.Weight(reckon.SeverityLow) != 1 || review.Weight("unknown") != 0 {
		t.Fatal("weights")
	}
}

// The counts of a review read by severity and status.
func TestCountsBySeverityAndStatus(t *testing.T) {
	t.Parallel()
	f := func(id string, sev reckon.Severity, st reckon.FindingStatus) reckon.Finding {
		return reckon.Finding{ControlID: id, Title: id, Severity: sev, Status: st}
	}
	c := review.Compose(&reckon.Snapshot{Findings: []reckon.Finding{f("a", reckon.SeverityHigh, reckon.FindingFail),
		f("b", reckon.SeverityHigh, reckon.FindingPass), f("c", reckon.SeverityInfo, reckon.FindingFail),
		f("d", reckon.SeverityLow, reckon.FindingNotApplicable)}}, nil)
	failing := c.FailingBySeverity()
	var got []int
	for _, s := range reckon.Severities {
		got = append(got, c.BySeverity.Of(s), failing.Of(s))
	}
	for _, s := range reckon.FindingStatuses {
		got = append(got, c.ByStatus.Of(s))
	}
	if fmt.Sprint(got) != "[0 0 2 1 0 0 1 0 1 1 1 2 0 1 0]" || c.BySeverity.Of("unknown") != 0 || c.ByStatus.Of("unknown") != 0 {
		t.Fatalf("counts %v", got)
	}
}
