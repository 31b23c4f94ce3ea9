package review_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
)

func TestFingerprintGolden(t *testing.T) {
	t.Parallel()
	in := review.FingerprintInputs{WorkspaceID: 1, EnvironmentID: 2, SnapshotID: 3,
		SnapshotContentHash: "sha256:abd49a4eb13da3648f776d9dcf4d15d5d274fcbf23aa67359a7b68f8a80c1d20",
		ComposerVersion:     "1", Options: review.Options{BaselineSnapshotID: 4}}
	got := review.Fingerprint(in)
	// The documented preimage, written out.
	preimage := "reckon.review.fingerprint.v1\nworkspace_id=1\nenvironment_id=2\nsnapshot_id=3\n" +
		"snapshot_content_hash=sha256:abd49a4eb13da3648f776d9dcf4d15d5d274fcbf23aa67359a7b68f8a80c1d20\n" +
		"composer_version=1\noption.baseline_snapshot_id=4\n"
	sum := sha256.Sum256([]byte(preimage))
	if want := "sha256:" + hex.EncodeToString(sum[:]); got != want {
		t.Errorf("fingerprint %s, want %s (the hash of the documented inputs)", got, want)
	}
	if want := "sha256:3a4bbf9541611e55c07b6a5465e98b5562334e4d7849ca3282d548186e90a410"; got != want {
		t.Errorf("fingerprint %s, want %s", got, want)
	}
	// Every input counts.
	for name, change := range map[string]func(*review.FingerprintInputs){
		"workspace":   func(i *review.FingerprintInputs) { i.WorkspaceID++ },
		"environment": func(i *review.FingerprintInputs) { i.EnvironmentID++ },
		"snapshot":    func(i *review.FingerprintInputs) { i.SnapshotID++ },
		"hash":        func(i *review.FingerprintInputs) { i.SnapshotContentHash += "0" },
		"composer":    func(i *review.FingerprintInputs) { i.ComposerVersion = "2" },
		"baseline":    func(i *review.FingerprintInputs) { i.Options.BaselineSnapshotID = 0 },
	} {
		other := in
		change(&other)
		if review.Fingerprint(other) == got {
			t.Errorf("changing the %s kept the fingerprint", name)
		}
	}
}

func snapshotOf(id int64, at time.Time, findings []reckon.Finding) *reckon.Snapshot {
	return &reckon.Snapshot{ID: id, WorkspaceID: 1, EnvironmentID: 2, CapturedAt: at, Findings: findings,
		FindingCount: len(findings), ContentHash: evidence.ContentHash(findings),
		Source: reckon.SnapshotSource{Format: reckon.SnapshotFormatScubaGear, ToolVersion: "1.5.0"}}
}

// goldenPair is a snapshot and its baseline with one of every change.
func goldenPair() (snap, baseline *reckon.Snapshot) {
	now := reckontest.Findings()
	now[0].Product, now[0].Group = "aad", "1"
	now = append(now, reckontest.Finding("DEF.9", reckon.SeverityCritical, reckon.FindingFail))
	before := []reckon.Finding{
		reckontest.Finding("AAD.1", reckon.SeverityCritical, reckon.FindingFail),  // still failing
		reckontest.Finding("AAD.2", reckon.SeverityHigh, reckon.FindingFail),      // resolved
		reckontest.Finding("EXO.1", reckon.SeverityLow, reckon.FindingPass),       // unchanged in effect
		reckontest.Finding("EXO.2", reckon.SeverityInfo, reckon.FindingFail),      // fail → error: not resolved
		reckontest.Finding("EXO.3", reckon.SeverityHigh, reckon.FindingPass),      // newly failing
		reckontest.Finding("OLD.1", reckon.SeverityMedium, reckon.FindingWarning), // removed
		reckontest.Finding("DEF.9", reckon.SeverityCritical, reckon.FindingPass),  // newly failing
	}
	// AAD.3 is added.
	return snapshotOf(11, time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC), now),
		snapshotOf(10, time.Date(2026, 10, 1, 9, 30, 0, 0, time.UTC), before)
}

func TestComposerGolden(t *testing.T) {
	t.Parallel()
	snap, baseline := goldenPair()
	got, err := review.Compose(snap, baseline).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "composer_golden.json")
	if os.Getenv("RECKON_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, bytes.TrimSpace(want)) {
		t.Errorf("composer output changed (bump ComposerVersion if on purpose):\n got %s\nwant %s", got, want)
	}

	// Same inputs, in any order, give byte-identical content.
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		s2, b2 := goldenPair()
		rng.Shuffle(len(s2.Findings), func(i, j int) { s2.Findings[i], s2.Findings[j] = s2.Findings[j], s2.Findings[i] })
		rng.Shuffle(len(b2.Findings), func(i, j int) { b2.Findings[i], b2.Findings[j] = b2.Findings[j], b2.Findings[i] })
		again, err := review.Compose(s2, b2).Marshal()
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("reordered inputs changed the content: %s", again)
		}
	}
}

func TestComposerContent(t *testing.T) {
	t.Parallel()
	snap, baseline := goldenPair()
	c := review.Compose(snap, baseline)
	// weights: AAD.1 crit fail 0/10, AAD.2 high pass 5/5, AAD.3 medium warning 1.5/3,
	// EXO.3 high fail 0/5, DEF.9 crit fail 0/10; n/a, error and info do not count.
	// 6.5 / 33 = 19.7 % → 20.
	if c.Score == nil || *c.Score != 20 {
		t.Errorf("score %v, want 20", c.Score)
	}
	if c.Controls != 7 || c.BySeverity != (review.SeverityCounts{Critical: 2, High: 2, Medium: 1, Low: 1, Info: 1}) ||
		c.ByStatus != (review.StatusCounts{Pass: 1, Fail: 3, Warning: 1, NotApplicable: 1, Error: 1}) {
		t.Errorf("counts %d %+v %+v", c.Controls, c.BySeverity, c.ByStatus)
	}
	ids := func(l []review.ControlSummary) []string {
		out := []string{}
		for _, x := range l {
			out = append(out, x.ControlID)
		}
		return out
	}
	check := func(name string, got []review.ControlSummary, want ...string) {
		t.Helper()
		if g := ids(got); len(g) != len(want) || (len(want) > 0 && !equal(g, want)) {
			t.Errorf("%s = %v, want %v", name, g, want)
		}
	}
	check("failing", c.Failing, "AAD.1", "DEF.9", "EXO.3")
	if c.Failing[0].Product != "aad" || c.Failing[0].Group != "1" {
		t.Errorf("failing controls lost their product: %+v", c.Failing[0])
	}
	check("newly failing", c.Changes.NewlyFailing, "DEF.9", "EXO.3")
	check("resolved", c.Changes.Resolved, "AAD.2")
	check("added", c.Changes.Added, "AAD.3")
	check("removed", c.Changes.Removed, "OLD.1")
	if c.Changes.Resolved[0].Previous != reckon.FindingFail {
		t.Errorf("resolved control's previous status %q", c.Changes.Resolved[0].Previous)
	}

	first := review.Compose(snap, nil)
	if first.Changes != nil {
		t.Error("a first review has changes")
	}
	if review.Score([]reckon.Finding{reckontest.Finding("I", reckon.SeverityInfo, reckon.FindingFail)}) != nil {
		t.Error("a snapshot with nothing weighted has a score")
	}
	if s := review.Score([]reckon.Finding{reckontest.Finding("L", reckon.SeverityLow, reckon.FindingWarning)}); s == nil || *s != 50 {
		t.Errorf("a single warning scores %v, want 50", s)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
