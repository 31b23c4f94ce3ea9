package evidence_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/reckontest"
)

func codedErr(t *testing.T, err error) *reckon.Error {
	t.Helper()
	var e *reckon.Error
	if !errors.As(err, &e) {
		t.Fatalf("want a coded error, got %v", err)
	}
	return e
}

func TestDecodeSnapshotValid(t *testing.T) {
	t.Parallel()
	body := "\xEF\xBB\xBF" + `{"captured_at": "2026-11-28T10:00:00+01:00", "findings": [
		{"control_id": "B.1", "title": "Second", "severity": "high", "status": "fail", "detail": "why"},
		{"control_id": "A.1", "title": "First", "severity": "info", "status": "warning", "product": "aad", "group": "1"}]}`
	in, err := evidence.DecodeNative(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if !in.CapturedAt.Equal(time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)) || in.CapturedAt.Location() != time.UTC {
		t.Errorf("captured_at = %v", in.CapturedAt)
	}
	if in.Source.Format != reckon.SnapshotFormatNative || len(in.Findings) != 2 || in.Findings[0].Detail != "why" ||
		in.Findings[1].Product != "aad" || in.Findings[1].Status != reckon.FindingWarning {
		t.Errorf("decoded %+v", in)
	}
}

func TestDecodeSnapshotMalformed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body      string
		line, col int
	}{
		{"{\"captured_at\": \"2026-11-28T10:00:00Z\",\n  \"findings\": [}", 2, 16},
		{"{\"captured_at\":\n", 2, 1},
		{`{"captured_at": `, 1, 17},
		{``, 1, 1},
	} {
		_, err := evidence.DecodeNative(strings.NewReader(tc.body))
		e := codedErr(t, err)
		if e.Code != reckon.CodeMalformed || e.Message.Key != "snapshot.error.malformed" {
			t.Fatalf("%q: got %v", tc.body, err)
		}
		if e.Message.Args["line"] != tc.line || e.Message.Args["column"] != tc.col {
			t.Errorf("%q: position %v:%v, want %d:%d", tc.body, e.Message.Args["line"], e.Message.Args["column"], tc.line, tc.col)
		}
	}
}

func TestDecodeSnapshotLimits(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte(" "), evidence.MaxNativeBytes+1)
	_, err := evidence.DecodeNative(bytes.NewReader(big))
	if e := codedErr(t, err); e.Code != reckon.CodeTooLarge {
		t.Errorf("oversized body: %v", err)
	}
	var b strings.Builder
	b.WriteString(`{"captured_at": "2026-11-28T10:00:00Z", "findings": [`)
	for i := range evidence.MaxFindings + 1 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"control_id":"C.%d","title":"t","severity":"low","status":"pass"}`, i)
	}
	b.WriteString("]}")
	_, err = evidence.DecodeNative(strings.NewReader(b.String()))
	if e := codedErr(t, err); e.Code != reckon.CodeTooLarge || e.Message.Key != "snapshot.error.too_many_findings" {
		t.Errorf("too many findings: %v", err)
	}
}

func TestDecodeSnapshotFieldErrors(t *testing.T) {
	t.Parallel()
	body := `{"captured_at": "yesterday", "findings": [
		{"control_id": "A.1", "title": "ok", "severity": "high", "status": "pass"},
		{"control_id": "", "title": "ok", "severity": "high", "status": "pass"},
		{"control_id": "A.3", "severity": "high", "status": "passed"},
		{"control_id": "A.4", "title": "ok", "severity": "urgent", "status": "fail"},
		{"control_id": "A.1", "title": "again", "severity": "low", "status": "fail"},
		{"control_id": 7, "title": "ok", "severity": "low", "status": "fail"}]}`
	_, err := evidence.DecodeNative(strings.NewReader(body))
	e := codedErr(t, err)
	if e.Code != reckon.CodeValidation {
		t.Fatalf("got %v", err)
	}
	want := map[string]string{
		"captured_at":            "review.field.invalid_time",
		"findings[1].control_id": "review.field.required",
		"findings[2].title":      "review.field.required",
		"findings[2].status":     "review.field.invalid_choice",
		"findings[3].severity":   "review.field.invalid_choice",
		"findings[4].control_id": "snapshot.error.duplicate_control_id",
		"findings[5].control_id": "review.field.wrong_type",
	}
	for field, key := range want {
		if got := e.Fields[field].Key; got != key {
			t.Errorf("%s: %q, want %q", field, got, key)
		}
	}
	if len(e.Fields) != len(want) {
		t.Errorf("fields %v, want exactly %v", e.Fields, want)
	}
	for _, body := range []string{`{"findings": []}`, `[]`, `{"captured_at": "2026-11-28T10:00:00Z", "findings": "none"}`, `{"captured_at": "2026-11-28T10:00:00Z", "findings": [3]}`} {
		_, err := evidence.DecodeNative(strings.NewReader(body))
		if e := codedErr(t, err); e.Code != reckon.CodeValidation || len(e.Fields) == 0 {
			t.Errorf("%s: got %v", body, err)
		}
	}
}

func TestContentHash(t *testing.T) {
	t.Parallel()
	f := reckontest.Findings()
	reversed := make([]reckon.Finding, len(f))
	for i := range f {
		reversed[len(f)-1-i] = f[i]
	}
	h := evidence.ContentHash(f)
	if h != evidence.ContentHash(reversed) {
		t.Error("the same findings in another order hash differently")
	}
	// Golden: the documented canonical encoding, written out, and its
	// hash. A change of either must be deliberate.
	canonical := `[{"control_id":"AAD.1","title":"Control AAD.1","severity":"critical","status":"fail"},` +
		`{"control_id":"AAD.2","title":"Control AAD.2","severity":"high","status":"pass"},` +
		`{"control_id":"AAD.3","title":"Control AAD.3","severity":"medium","status":"warning"},` +
		`{"control_id":"EXO.1","title":"Control EXO.1","severity":"low","status":"not_applicable"},` +
		`{"control_id":"EXO.2","title":"Control EXO.2","severity":"info","status":"error"},` +
		`{"control_id":"EXO.3","title":"Control EXO.3","severity":"high","status":"fail"}]`
	sum := sha256.Sum256([]byte(canonical))
	if want := "sha256:" + hex.EncodeToString(sum[:]); h != want {
		t.Errorf("content hash %s, want %s (the hash of the canonical encoding)", h, want)
	}
	if want := "sha256:abd49a4eb13da3648f776d9dcf4d15d5d274fcbf23aa67359a7b68f8a80c1d20"; h != want {
		t.Errorf("content hash %s, want %s", h, want)
	}
	changed := append([]reckon.Finding(nil), f...)
	changed[0].Status = reckon.FindingPass
	if evidence.ContentHash(changed) == h {
		t.Error("a changed status kept the hash")
	}
}
