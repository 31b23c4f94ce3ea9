package evidence_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
)

func TestDecodeNativeAnnotation(t *testing.T) {
	t.Parallel()
	body := `{"captured_at": "2026-11-28T10:00:00Z", "findings": [
		{"control_id": "A.1", "title": "Accepted", "severity": "high", "status": "fail",
		 "annotation": {"comment": "Licence arrives in Q1", "remediation_date": "2027-03-31"}},
		{"control_id": "A.2", "title": "Disputed", "severity": "high", "status": "warning",
		 "annotation": {"incorrect_result": true, "original_status": "fail", "original_detail": "0 policies"}},
		{"control_id": "A.3", "title": "Plain", "severity": "low", "status": "pass"}]}`
	in, err := evidence.DecodeNative(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []reckon.Annotation{
		{Comment: "Licence arrives in Q1", RemediationDate: "2027-03-31"},
		{IncorrectResult: true, OriginalStatus: reckon.FindingFail, OriginalDetail: "0 policies"},
		{},
	}
	for i, f := range in.Findings {
		if f.Annotation != want[i] {
			t.Errorf("finding %d: annotation %+v, want %+v", i, f.Annotation, want[i])
		}
	}
	if err := evidence.Validate(&in); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeNativeAnnotationErrors(t *testing.T) {
	t.Parallel()
	body := `{"captured_at": "2026-11-28T10:00:00Z", "findings": [
		{"control_id": "A.1", "title": "t", "severity": "high", "status": "fail", "annotation": {"remediation_date": "31.03.2027"}},
		{"control_id": "A.2", "title": "t", "severity": "high", "status": "fail", "annotation": {"original_status": "broken"}},
		{"control_id": "A.3", "title": "t", "severity": "high", "status": "fail", "annotation": {"incorrect_result": "yes"}}]}`
	_, err := evidence.DecodeNative(strings.NewReader(body))
	e := codedErr(t, err)
	want := map[string]string{
		"findings[0].annotation.remediation_date": "snapshot.error.bad_date",
		"findings[1].annotation.original_status":  "review.field.invalid_choice",
		"findings[2].annotation.incorrect_result": "review.field.wrong_type",
	}
	for field, key := range want {
		if got := e.Fields[field].Key; got != key {
			t.Errorf("%s: %q, want %q (all: %v)", field, got, key, e.Fields)
		}
	}
	if len(e.Fields) != len(want) {
		t.Errorf("fields %v, want exactly %v", e.Fields, want)
	}
}

// An annotation is part of the content: it changes the hash, in the
// documented encoding, while findings without one hash as before.
func TestContentHashAnnotation(t *testing.T) {
	t.Parallel()
	f := []reckon.Finding{{ControlID: "A.1", Title: "T", Severity: reckon.SeverityHigh, Status: reckon.FindingFail,
		Annotation: reckon.Annotation{Comment: "why", RemediationDate: "2027-03-31", IncorrectResult: true}}}
	canonical := `[{"control_id":"A.1","title":"T","severity":"high","status":"fail",` +
		`"annotation":{"comment":"why","remediation_date":"2027-03-31","incorrect_result":true}}]`
	sum := sha256.Sum256([]byte(canonical))
	if got, want := evidence.ContentHash(f), "sha256:"+hex.EncodeToString(sum[:]); got != want {
		t.Errorf("content hash %s, want %s", got, want)
	}
}
