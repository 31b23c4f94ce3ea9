package scubagear_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/scubagear"
)

// realDoc reads one of the real reports as a generic document that a test
// may write annotations into.
func realDoc(t *testing.T, pattern string) map[string]any {
	t.Helper()
	files := reckontest.ScubaGearReports(t, pattern)
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// controlOf returns the control of a document with the given id.
func controlOf(t *testing.T, doc map[string]any, id string) map[string]any {
	t.Helper()
	for _, groups := range doc["Results"].(map[string]any) {
		for _, g := range groups.([]any) {
			for _, c := range g.(map[string]any)["Controls"].([]any) {
				if c := c.(map[string]any); c["Control ID"] == id {
					return c
				}
			}
		}
	}
	t.Fatalf("no control %s", id)
	return nil
}

// failingIDs lists a document's failing controls, in document order of products
// sorted by name.
func failingIDs(doc map[string]any) []string {
	var ids []string
	for _, groups := range doc["Results"].(map[string]any) {
		for _, g := range groups.([]any) {
			for _, c := range g.(map[string]any)["Controls"].([]any) {
				if c := c.(map[string]any); c["Result"] == "Fail" {
					ids = append(ids, c["Control ID"].(string))
				}
			}
		}
	}
	return ids
}

func decodeDoc(t *testing.T, doc map[string]any) (reckon.SnapshotInput, error) {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return scubagear.Decode(bytes.NewReader(b))
}

func findingOf(t *testing.T, in reckon.SnapshotInput, id string) reckon.Finding {
	t.Helper()
	for _, f := range in.Findings {
		if f.ControlID == id {
			return f
		}
	}
	t.Fatalf("no finding %s", id)
	return reckon.Finding{}
}

// The real reports carry the annotation fields, all empty: no finding of
// any of them has an annotation.
func TestRealReportsHaveNoAnnotations(t *testing.T) {
	t.Parallel()
	for _, file := range dataFiles(t) {
		for _, f := range decodeFile(t, file).Findings {
			if !f.Annotation.IsZero() {
				t.Errorf("%s: %s has annotation %+v", file, f.ControlID, f.Annotation)
			}
		}
	}
}

// A 1.6 report's AnnotatedFailedPolicies, written into a copy of the real
// one, is carried into the findings.
func TestDecodeAnnotatedFailedPolicies(t *testing.T) {
	t.Parallel()
	doc := realDoc(t, "ScubaResults_ca08493a_*_v1.6.0.json")
	afp := doc["AnnotatedFailedPolicies"].(map[string]any)
	accepted, disputed := "MS.AAD.5.3v1", "MS.AAD.7.5v1"
	afp[accepted] = map[string]any{"Comment": "Waiting for <b>P2</b> licences", "RemediationDate": "2026-03-31", "IncorrectResult": false}
	afp[disputed] = map[string]any{"Comment": nil, "RemediationDate": nil, "IncorrectResult": true}
	controlOf(t, doc, disputed)["Result"] = "Incorrect result"
	in, err := decodeDoc(t, doc)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := findingOf(t, in, accepted).Annotation, (reckon.Annotation{Comment: "Waiting for P2 licences", RemediationDate: "2026-03-31"}); got != want {
		t.Errorf("%s: %+v, want %+v", accepted, got, want)
	}
	f := findingOf(t, in, disputed)
	if got, want := f.Annotation, (reckon.Annotation{IncorrectResult: true}); got != want || f.Status != reckon.FindingWarning {
		t.Errorf("%s: %s %+v, want warning %+v", disputed, f.Status, got, want)
	}
	annotated := 0
	for _, f := range in.Findings {
		if !f.Annotation.IsZero() {
			annotated++
		}
	}
	if annotated != 2 {
		t.Errorf("%d annotated findings, want 2", annotated)
	}
}

// A 1.7 report's per-control Comments, ResolutionDate, OriginalResult and
// OriginalDetails, written into a copy of the real one.
func TestDecodeControlAnnotations(t *testing.T) {
	t.Parallel()
	doc := realDoc(t, "ScubaResults_ca08493a_*_v1.7.0.json")
	failing := failingIDs(doc)
	if len(failing) < 3 {
		t.Fatalf("want 3 failing controls, have %v", failing)
	}
	accepted, disputed, commented := failing[0], failing[1], failing[2]
	c := controlOf(t, doc, accepted)
	c["Comments"] = []any{"Break-glass account", "", "Reviewed by <i>J. Doe</i>"}
	c["ResolutionDate"] = "2026-06-30"
	c = controlOf(t, doc, disputed)
	c["Result"], c["OriginalResult"], c["Details"] = "Incorrect result", "Fail", "Marked incorrect"
	original := c["OriginalDetails"].(string)
	controlOf(t, doc, commented)["Comments"] = []any{"Third-party MFA covers this"}

	in, err := decodeDoc(t, doc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]reckon.Annotation{
		accepted:  {Comment: "Break-glass account\nReviewed by J. Doe", RemediationDate: "2026-06-30"},
		disputed:  {IncorrectResult: true, OriginalStatus: reckon.FindingFail},
		commented: {Comment: "Third-party MFA covers this"},
	}
	for _, f := range in.Findings {
		w := want[f.ControlID]
		got := f.Annotation
		if f.ControlID == disputed {
			if got.OriginalDetail == "" || strings.Contains(got.OriginalDetail, "<") || !strings.HasPrefix(original, got.OriginalDetail[:10]) {
				t.Errorf("%s: original detail %q from %q", disputed, got.OriginalDetail, original)
			}
			got.OriginalDetail = ""
		}
		if got != w {
			t.Errorf("%s: %+v, want %+v", f.ControlID, got, w)
		}
	}
}

// A report of a newer tool version imports as long as its shape is known:
// new sections and new control fields are skipped.
func TestDecodeNewerToolVersion(t *testing.T) {
	t.Parallel()
	doc := realDoc(t, "ScubaResults_ca08493a_*_v1.7.0.json")
	doc["MetaData"].(map[string]any)["ToolVersion"] = "1.9.0"
	doc["Trends"] = map[string]any{"Since": "2025-01-01"}
	controlOf(t, doc, "MS.AAD.1.1v1")["Evidence"] = []any{map[string]any{"Kind": "policy"}}
	in, err := decodeDoc(t, doc)
	if err != nil {
		t.Fatal(err)
	}
	if in.Source.ToolVersion != "1.9.0" || len(in.Findings) != 125 {
		t.Errorf("tool %q, %d findings", in.Source.ToolVersion, len(in.Findings))
	}
}

// An unknown top-level shape or a field of another type is an error that
// names it.
func TestDecodeUnknownShapeNamesIt(t *testing.T) {
	t.Parallel()
	doc := realDoc(t, "ScubaResults_ca08493a_*_v1.7.0.json")
	doc["MetaData"].(map[string]any)["ToolVersion"] = "2.0.0"
	doc["ResultsByBaseline"] = doc["Results"]
	delete(doc, "Results")
	_, err := decodeDoc(t, doc)
	e := codedErr(t, err, reckon.CodeValidation)
	if msg := english(e); e.Message.Key != "scubagear.unknown_sections" ||
		!strings.Contains(msg, "ResultsByBaseline") || !strings.Contains(msg, "2.0.0") || !strings.Contains(msg, "/Results") {
		t.Errorf("got %s: %s", e.Message.Key, msg)
	}

	for _, tc := range []struct {
		edit  func(doc map[string]any)
		field string
		found string
	}{
		{func(doc map[string]any) { controlOf(t, doc, "MS.AAD.1.1v1")["Comments"] = "one comment" },
			"/Results/AAD/0/Controls/0/Comments", "string"},
		{func(doc map[string]any) { controlOf(t, doc, "MS.AAD.1.1v1")["ResolutionDate"] = 20260630 },
			"/Results/AAD/0/Controls/0/ResolutionDate", "number"},
		{func(doc map[string]any) {
			doc["AnnotatedFailedPolicies"].(map[string]any)["MS.AAD.5.3v1"].(map[string]any)["IncorrectResult"] = "yes"
		}, "/AnnotatedFailedPolicies/MS.AAD.5.3v1/IncorrectResult", "string"},
		{func(doc map[string]any) { doc["AnnotatedFailedPolicies"] = []any{} }, "/AnnotatedFailedPolicies", "array"},
	} {
		doc := realDoc(t, "ScubaResults_ca08493a_*_v1.7.0.json")
		tc.edit(doc)
		_, err := decodeDoc(t, doc)
		e := codedErr(t, err, reckon.CodeValidation)
		m, ok := e.Fields[tc.field]
		if !ok || m.Key != "scubagear.wrong_type" || m.Args["found"] != tc.found {
			t.Errorf("%s: got %v", tc.field, e.Fields)
			continue
		}
		if msg := english(e); !strings.Contains(msg, tc.field) {
			t.Errorf("%s: message %q does not name it", tc.field, msg)
		}
	}

	doc = realDoc(t, "ScubaResults_ca08493a_*_v1.7.0.json")
	controlOf(t, doc, "MS.AAD.1.1v1")["ResolutionDate"] = "next spring"
	_, err = decodeDoc(t, doc)
	e = codedErr(t, err, reckon.CodeValidation)
	if m := e.Fields["/Results/AAD/0/Controls/0/ResolutionDate"]; m.Key != "scubagear.bad_date" {
		t.Errorf("bad date: %v", e.Fields)
	}
}
