package review_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/scubagear"
	"github.com/reckonhq/reckon/store"
)

// rawDoc is a ScubaGear report as the test reads it itself, with
// encoding/json and nothing of the decoder.
type rawDoc struct {
	MetaData                map[string]any            `json:"MetaData"`
	AnnotatedFailedPolicies map[string]map[string]any `json:"AnnotatedFailedPolicies,omitempty"`
	Results                 map[string][]struct {
		GroupName string           `json:"GroupName"`
		Controls  []map[string]any `json:"Controls"`
	} `json:"Results"`
}

func readRawDoc(t *testing.T, path string) *rawDoc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d rawDoc
	if err := json.Unmarshal(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")), &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

// results maps control id → Result.
func (d *rawDoc) results() map[string]string {
	out := map[string]string{}
	for _, groups := range d.Results {
		for _, g := range groups {
			for _, c := range g.Controls {
				out[c["Control ID"].(string)] = c["Result"].(string)
			}
		}
	}
	return out
}

func (d *rawDoc) control(id string) map[string]any {
	for _, groups := range d.Results {
		for _, g := range groups {
			for _, c := range g.Controls {
				if c["Control ID"] == id {
					return c
				}
			}
		}
	}
	return nil
}

// rawAnnotations counts, from the raw document, the failing controls with
// a remediation date, with only a comment, with neither, and the controls
// marked incorrect.
func (d *rawDoc) rawAnnotations() review.AnnotationCounts {
	var n review.AnnotationCounts
	for _, groups := range d.Results {
		for _, g := range groups {
			for _, c := range g.Controls {
				id, result := c["Control ID"].(string), c["Result"].(string)
				afp := d.AnnotatedFailedPolicies[id]
				date, _ := afp["RemediationDate"].(string)
				if r, _ := c["ResolutionDate"].(string); date == "" && r != "N/A" {
					date = r
				}
				comment, _ := afp["Comment"].(string)
				if cs, _ := c["Comments"].([]any); len(cs) > 0 {
					comment = "yes"
				}
				if result == "Incorrect result" || afp["IncorrectResult"] == true {
					n.IncorrectResult++
				}
				switch {
				case result != "Fail":
				case date != "":
					n.Accepted++
				case comment != "":
					n.Commented++
				default:
					n.Unexplained++
				}
			}
		}
	}
	return n
}

// rawDiff is what changed between two raw reports: ids matched first as
// they are, then on the id without its version suffix.
type rawDiff struct {
	VersionChanged, Added, Removed, NewlyFailing, Resolved []string
}

func diffRaw(before, after map[string]string) rawDiff {
	var d rawDiff
	gone := map[string]string{} // base → old id
	for id := range before {
		if _, ok := after[id]; !ok {
			gone[versionSuffix.ReplaceAllString(id, "")] = id
		}
	}
	matched := map[string]bool{}
	for id, res := range after {
		was, ok := before[id]
		if !ok {
			if old, moved := gone[versionSuffix.ReplaceAllString(id, "")]; moved {
				was, ok = before[old], true
				matched[old] = true
				d.VersionChanged = append(d.VersionChanged, id)
			}
		}
		switch {
		case !ok:
			d.Added = append(d.Added, id)
		case res == "Fail" && was != "Fail":
			d.NewlyFailing = append(d.NewlyFailing, id)
		case was == "Fail" && res != "Fail" && res != "Error" && res != "Error - Test results missing":
			d.Resolved = append(d.Resolved, id)
		}
	}
	for id := range before {
		if _, ok := after[id]; !ok && !matched[id] {
			d.Removed = append(d.Removed, id)
		}
	}
	for _, l := range [][]string{d.VersionChanged, d.Added, d.Removed, d.NewlyFailing, d.Resolved} {
		slices.Sort(l)
	}
	return d
}

// TestRealSeriesVersionsAndAnnotations composes tenant ca08493a's four real
// reports in order — the last one a copy into which the test writes
// annotations — and checks the changes and annotation counts of every
// review against counts computed from the raw files.
func TestRealSeriesVersionsAndAnnotations(t *testing.T) {
	t.Parallel()
	files := realReports(t)
	docs := make([]*rawDoc, len(files))
	for i, f := range files {
		docs[i] = readRawDoc(t, f)
	}
	// Annotate the 1.7 copy: the first failing controls, in id order.
	last := docs[len(docs)-1]
	var failing []string
	for id, res := range last.results() {
		if res == "Fail" {
			failing = append(failing, id)
		}
	}
	slices.Sort(failing)
	if len(failing) < 4 {
		t.Fatalf("want 4 failing controls in %s, have %v", files[len(files)-1], failing)
	}
	last.control(failing[0])["ResolutionDate"] = "2026-03-31"
	last.control(failing[0])["Comments"] = []any{"Licences ordered"}
	last.control(failing[1])["ResolutionDate"] = "2026-06-30"
	last.control(failing[2])["Comments"] = []any{"Covered by the third-party gateway"}
	c := last.control(failing[3])
	c["Result"], c["OriginalResult"] = "Incorrect result", "Fail"
	annotated, err := json.Marshal(last)
	if err != nil {
		t.Fatal(err)
	}

	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		b := setup(t, db, nil)
		scope := b.fx.Scope()
		var totalVersion, totalMoved int
		for i, file := range files {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if i == len(files)-1 {
				body = annotated
			}
			in, err := scubagear.Decode(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if _, _, err := b.ev.Import(ctx, scope, in); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			res := b.compose(t, scope)
			if err := deliver(b.worker, res.Run.ID, 1); err != nil {
				t.Fatal(err)
			}
			v, err := b.svc.LatestReview(ctx, scope)
			if err != nil || v.Status != reckon.ReviewReady {
				t.Fatalf("%s: %+v %v", file, v, err)
			}
			var content review.Content
			if err := json.Unmarshal(v.Content, &content); err != nil {
				t.Fatal(err)
			}
			doc := docs[i]
			if i == len(files)-1 {
				doc = last
			}
			if got, want := content.Annotations, doc.rawAnnotations(); got != want {
				t.Errorf("%s: annotations %+v, want %+v", file, got, want)
			}
			t.Logf("%s: annotations %+v", file, content.Annotations)
			if i == 0 {
				continue
			}
			want := diffRaw(docs[i-1].results(), doc.results())
			ch := content.Changes
			for _, l := range []struct {
				name      string
				got, want []string
			}{
				{"version changed", sortedIDs(ch.VersionChanged), want.VersionChanged},
				{"added", sortedIDs(ch.Added), want.Added},
				{"removed", sortedIDs(ch.Removed), want.Removed},
				{"newly failing", sortedIDs(ch.NewlyFailing), want.NewlyFailing},
				{"resolved", sortedIDs(ch.Resolved), want.Resolved},
			} {
				if !slices.Equal(l.got, l.want) && (len(l.got) > 0 || len(l.want) > 0) {
					t.Errorf("%s: %s %v, want %v", file, l.name, l.got, l.want)
				}
			}
			for _, s := range ch.VersionChanged {
				if s.PreviousID == "" || versionSuffix.ReplaceAllString(s.PreviousID, "") != versionSuffix.ReplaceAllString(s.ControlID, "") {
					t.Errorf("%s: %s changed version from %q", file, s.ControlID, s.PreviousID)
				}
			}
			totalVersion += len(ch.VersionChanged)
			totalMoved += len(ch.Moved)
			t.Logf("%s: %d version changed, %d moved, %d added, %d removed, %d newly failing, %d resolved", file,
				len(ch.VersionChanged), len(ch.Moved), len(ch.Added), len(ch.Removed), len(ch.NewlyFailing), len(ch.Resolved))
		}
		// The count: between 1.4.0 and 1.7.0, eleven controls
		// changed only their version suffix; none of the samples has a
		// Security Suite id yet.
		if totalVersion != 11 || totalMoved != 0 {
			t.Errorf("%d version changes and %d moves over the series, want 11 and 0", totalVersion, totalMoved)
		}
	})
}
