package review_test

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/scubagear"
	"github.com/reckonhq/reckon/store"
)

// realReports returns tenant ca08493a's four real ScubaGear reports, oldest
// first (the names sort by assessment date).
func realReports(t *testing.T) []string {
	t.Helper()
	files := reckontest.ScubaGearReports(t, "ScubaResults_ca08493a_*.json")
	if len(files) != 4 {
		t.Fatalf("want tenant ca08493a's 4 reports, found %d in %s", len(files), reckontest.ScubaGearDir())
	}
	return files
}

// TestRealReportSeries composes a review of each of one tenant's real
// assessments in turn: each review compares with the one before, across
// tool versions that add and retire controls, and supersedes it.
func TestRealReportSeries(t *testing.T) {
	t.Parallel()
	files := realReports(t)
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := setup(t, db, nil)
		scope := b.fx.Scope()
		var previous *reckon.Snapshot
		var reviews []*reckon.Review
		changed := 0
		for i, file := range files {
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			in, err := scubagear.Decode(f)
			f.Close()
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			snap, _, err := b.ev.Import(ctx, scope, in)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			res := b.compose(t, scope)
			if res.Result != review.ResultQueued {
				t.Fatalf("%s: %s", file, res.Result)
			}
			if err := deliver(b.worker, res.Run.ID, 1); err != nil {
				t.Fatal(err)
			}
			v, err := b.svc.LatestReview(ctx, scope)
			if err != nil || v.Status != reckon.ReviewReady || v.EvidenceSnapshotID != snap.ID {
				t.Fatalf("%s: %+v %v", file, v, err)
			}
			var c review.Content
			if err := json.Unmarshal(v.Content, &c); err != nil {
				t.Fatal(err)
			}
			full, err := b.ev.Snapshot(ctx, scope.WorkspaceID, snap.ID)
			if err != nil {
				t.Fatal(err)
			}
			if c.Controls != len(full.Findings) || c.ByStatus.Fail != len(c.Failing) {
				t.Errorf("%s: %d controls, %d failing of %d", file, c.Controls, len(c.Failing), c.ByStatus.Fail)
			}
			if i == 0 {
				if c.Changes != nil {
					t.Errorf("%s: the first review has changes", file)
				}
			} else {
				// Added and removed, read straight from the two snapshots: a
				// new id whose id without the version suffix was in the
				// baseline is the same control in a new version.
				before, now := controlIDs(previous), controlIDs(full)
				goneBase := map[string]bool{}
				for id := range before {
					if !now[id] {
						goneBase[versionSuffix.ReplaceAllString(id, "")] = true
					}
				}
				newBase := map[string]bool{}
				var added, removed, versioned []string
				for id := range now {
					if before[id] {
						continue
					}
					base := versionSuffix.ReplaceAllString(id, "")
					newBase[base] = true
					if goneBase[base] {
						versioned = append(versioned, id)
					} else {
						added = append(added, id)
					}
				}
				for id := range before {
					if !now[id] && !newBase[versionSuffix.ReplaceAllString(id, "")] {
						removed = append(removed, id)
					}
				}
				slices.Sort(added)
				slices.Sort(removed)
				slices.Sort(versioned)
				if got := sortedIDs(c.Changes.VersionChanged); !slices.Equal(got, versioned) {
					t.Errorf("%s: version changed %v, want %v", file, got, versioned)
				}
				if got := sortedIDs(c.Changes.Added); !slices.Equal(got, added) {
					t.Errorf("%s: added %v, want %v", file, got, added)
				}
				if got := sortedIDs(c.Changes.Removed); !slices.Equal(got, removed) || len(removed) == 0 {
					t.Errorf("%s: removed %v, want %v", file, got, removed)
				}
				changed += len(c.Changes.NewlyFailing) + len(c.Changes.Resolved)
			}
			previous = full
			reviews = append(reviews, v)
		}
		if changed == 0 {
			t.Error("no control newly failed or was resolved across four real assessments")
		}
		for _, v := range reviews[:len(reviews)-1] {
			got, _ := b.svc.Review(ctx, scope.WorkspaceID, v.ID)
			if got.Status != reckon.ReviewSuperseded {
				t.Errorf("older review %s", describe(got))
			}
		}
	})
}

// versionSuffix is a ScubaGear control id's version: MS.AAD.3.3v1.
var versionSuffix = regexp.MustCompile(`v[0-9]+$`)

func controlIDs(s *reckon.Snapshot) map[string]bool {
	out := make(map[string]bool, len(s.Findings))
	for _, f := range s.Findings {
		out[f.ControlID] = true
	}
	return out
}

func sortedIDs(l []review.ControlSummary) []string {
	out := []string{}
	for _, x := range l {
		out = append(out, x.ControlID)
	}
	slices.Sort(out)
	return out
}
