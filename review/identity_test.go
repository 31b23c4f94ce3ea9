package review_test

import (
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
)

// A control under a new version suffix, or a policy moved by the mapping
// table, is one control that changed — and still counts as newly failing
// or resolved when its status changed.
func TestChangesMatchVersionsAndMoves(t *testing.T) {
	t.Parallel()
	before := []reckon.Finding{
		reckontest.Finding("MS.TEAMS.1.2v1", reckon.SeverityHigh, reckon.FindingPass),
		reckontest.Finding("MS.AAD.3.3v1", reckon.SeverityHigh, reckon.FindingFail),
		reckontest.Finding("MS.EXO.12.1v1", reckon.SeverityMedium, reckon.FindingPass),
		reckontest.Finding("MS.EXO.9.1v1", reckon.SeverityHigh, reckon.FindingPass), // merged into SECURITYSUITE.1.1: not moved
		reckontest.Finding("MS.AAD.1.1v1", reckon.SeverityHigh, reckon.FindingPass),
	}
	now := []reckon.Finding{
		reckontest.Finding("MS.TEAMS.1.2v2", reckon.SeverityHigh, reckon.FindingPass),
		reckontest.Finding("MS.AAD.3.3v2", reckon.SeverityHigh, reckon.FindingPass),
		reckontest.Finding("MS.SECURITYSUITE.8.1v1", reckon.SeverityMedium, reckon.FindingFail),
		reckontest.Finding("MS.SECURITYSUITE.1.1v1", reckon.SeverityHigh, reckon.FindingPass),
		reckontest.Finding("MS.AAD.1.1v1", reckon.SeverityHigh, reckon.FindingPass),
	}
	at := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	ch := review.Compose(snapshotOf(2, at, now), snapshotOf(1, at.AddDate(0, -1, 0), before)).Changes
	check := func(name string, got []review.ControlSummary, want ...string) {
		t.Helper()
		if ids := sortedIDs(got); len(ids) != len(want)/2 {
			t.Errorf("%s: %v, want %v", name, ids, want)
			return
		}
		for i, s := range got {
			if s.ControlID != want[2*i] || s.PreviousID != want[2*i+1] {
				t.Errorf("%s[%d]: %s from %q, want %s from %q", name, i, s.ControlID, s.PreviousID, want[2*i], want[2*i+1])
			}
		}
	}
	check("version changed", ch.VersionChanged, "MS.AAD.3.3v2", "MS.AAD.3.3v1", "MS.TEAMS.1.2v2", "MS.TEAMS.1.2v1")
	check("moved", ch.Moved, "MS.SECURITYSUITE.8.1v1", "MS.EXO.12.1v1")
	check("resolved", ch.Resolved, "MS.AAD.3.3v2", "MS.AAD.3.3v1")
	check("newly failing", ch.NewlyFailing, "MS.SECURITYSUITE.8.1v1", "MS.EXO.12.1v1")
	check("added", ch.Added, "MS.SECURITYSUITE.1.1v1", "")
	check("removed", ch.Removed, "MS.EXO.9.1v1", "")

	// Native snapshots match on the id alone.
	native := func(s *reckon.Snapshot) *reckon.Snapshot { s.Source.Format = reckon.SnapshotFormatNative; return s }
	ch = review.Compose(native(snapshotOf(2, at, now)), native(snapshotOf(1, at, before))).Changes
	if len(ch.VersionChanged)+len(ch.Moved) != 0 || len(ch.Added) != 4 || len(ch.Removed) != 4 {
		t.Errorf("native: %d version changed, %d moved, %d added, %d removed", len(ch.VersionChanged), len(ch.Moved), len(ch.Added), len(ch.Removed))
	}
}

// Failing controls carry their annotation, and the content counts accepted,
// commented and unexplained failures and incorrect-result marks apart.
func TestComposeCountsAnnotations(t *testing.T) {
	t.Parallel()
	f := []reckon.Finding{
		reckontest.Finding("A.1", reckon.SeverityHigh, reckon.FindingFail),
		reckontest.Finding("A.2", reckon.SeverityHigh, reckon.FindingFail),
		reckontest.Finding("A.3", reckon.SeverityHigh, reckon.FindingFail),
		reckontest.Finding("A.4", reckon.SeverityHigh, reckon.FindingWarning),
		reckontest.Finding("A.5", reckon.SeverityHigh, reckon.FindingFail),
	}
	f[0].Annotation = reckon.Annotation{Comment: "ordered", RemediationDate: "2027-01-31"}
	f[1].Annotation = reckon.Annotation{Comment: "third-party control"}
	f[3].Annotation = reckon.Annotation{IncorrectResult: true, OriginalStatus: reckon.FindingFail}
	f[4].Annotation = reckon.Annotation{RemediationDate: "2027-02-28", IncorrectResult: true}
	c := review.Compose(snapshotOf(1, time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC), f), nil)
	if want := (review.AnnotationCounts{Accepted: 2, Commented: 1, Unexplained: 1, IncorrectResult: 2}); c.Annotations != want {
		t.Errorf("annotations %+v, want %+v", c.Annotations, want)
	}
	if ids := sortedIDs(c.IncorrectResults); len(ids) != 2 || ids[0] != "A.4" || ids[1] != "A.5" {
		t.Errorf("incorrect results %v, want A.4 and A.5", ids)
	}
	for _, s := range c.Failing {
		var want reckon.Annotation
		for _, x := range f {
			if x.ControlID == s.ControlID {
				want = x.Annotation
			}
		}
		if s.Annotation != want {
			t.Errorf("%s: annotation %+v, want %+v", s.ControlID, s.Annotation, want)
		}
	}
}
