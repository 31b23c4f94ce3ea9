package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/internal/validate"
)

// Limits of an evidence snapshot. A body over MaxNativeBytes or with more
// than MaxFindings findings is refused with reckon.CodeTooLarge.
const (
	// MaxNativeBytes bounds the native JSON body of a snapshot (4 MiB).
	MaxNativeBytes = 4 << 20
	// MaxFindings bounds the findings of one snapshot.
	MaxFindings = 5000
)

// nativeBody is the snapshot body of docs/api.md. Findings stay raw so that each
// one decodes on its own and a type error names its index.
type nativeBody struct {
	CapturedAt *string           `json:"captured_at"`
	Findings   []json.RawMessage `json:"findings"`
}

type nativeFinding struct {
	ControlID *string `json:"control_id"`
	Title     *string `json:"title"`
	Severity  *string `json:"severity"`
	Status    *string `json:"status"`
	Detail    *string `json:"detail"`
	Product   *string `json:"product"`
	Group     *string `json:"group"`
	// Annotation is optional: the operator's note on the result.
	Annotation *nativeAnnotation `json:"annotation"`
}

type nativeAnnotation struct {
	Comment         *string `json:"comment"`
	RemediationDate *string `json:"remediation_date"`
	IncorrectResult *bool   `json:"incorrect_result"`
	OriginalStatus  *string `json:"original_status"`
	OriginalDetail  *string `json:"original_detail"`
}

func (a *nativeAnnotation) annotation() reckon.Annotation {
	if a == nil {
		return reckon.Annotation{}
	}
	return reckon.Annotation{Comment: deref(a.Comment), RemediationDate: deref(a.RemediationDate),
		IncorrectResult: a.IncorrectResult != nil && *a.IncorrectResult,
		OriginalStatus:  reckon.FindingStatus(deref(a.OriginalStatus)), OriginalDetail: deref(a.OriginalDetail)}
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// DecodeNative reads and validates a native snapshot body (docs/api.md):
// {"captured_at": RFC 3339, "findings": [{"control_id", "title", "severity",
// "status", "detail"?, "product"?, "group"?, "annotation"?}]}, where an
// annotation is {"comment"?, "remediation_date"? (YYYY-MM-DD),
// "incorrect_result"?, "original_status"?, "original_detail"?}. Unknown
// fields, repeated names and values neither engine can store are validation
// errors, as on every other JSON body.
//
// Errors: reckon.CodeTooLarge over MaxNativeBytes or MaxFindings;
// reckon.CodeMalformed for JSON that does not parse (the message names the
// line and column); reckon.CodeValidation with one message per invalid field
// ("captured_at", "findings[3].severity").
func DecodeNative(r io.Reader) (reckon.SnapshotInput, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxNativeBytes+1))
	if err != nil {
		return reckon.SnapshotInput{}, fmt.Errorf("evidence: read snapshot: %w", err)
	}
	if len(b) > MaxNativeBytes {
		return reckon.SnapshotInput{}, reckon.Errorf(reckon.CodeTooLarge, "snapshot.error.too_large", "limit", MaxNativeBytes)
	}
	// PowerShell and some editors write a byte-order mark.
	b = bytes.TrimPrefix(b, utf8BOM)
	var body nativeBody
	if err := strictUnmarshal(b, &body); err != nil {
		return reckon.SnapshotInput{}, jsonError(b, err)
	}
	if err := validate.Document(b); err != nil {
		return reckon.SnapshotInput{}, err
	}
	if len(body.Findings) > MaxFindings {
		return reckon.SnapshotInput{}, reckon.Errorf(reckon.CodeTooLarge, "snapshot.error.too_many_findings", "limit", MaxFindings)
	}
	in := reckon.SnapshotInput{Source: reckon.SnapshotSource{Format: reckon.SnapshotFormatNative}}
	verr := reckon.ValidationErrors{}
	switch {
	case body.CapturedAt == nil || strings.TrimSpace(*body.CapturedAt) == "":
		verr.Add("captured_at", "review.field.required")
	default:
		t, err := time.Parse(time.RFC3339Nano, *body.CapturedAt)
		if err != nil {
			verr.Add("captured_at", "review.field.invalid_time")
		} else if !validate.Time(t) {
			verr.Add("captured_at", "input.time_range")
		} else {
			in.CapturedAt = t.UTC().Truncate(time.Microsecond)
		}
	}
	if body.Findings == nil {
		verr.Add("findings", "review.field.required")
	}
	in.Findings = make([]reckon.Finding, 0, len(body.Findings))
	// A type error leaves the rest of the finding decoded; it replaces
	// whatever validation says about the same field.
	typeErrs := reckon.ValidationErrors{}
	for i, raw := range body.Findings {
		var nf nativeFinding
		if err := strictUnmarshal(raw, &nf); err != nil {
			field := fmt.Sprintf("findings[%d]", i)
			var te *json.UnmarshalTypeError
			if name, unknown := validate.UnknownField(err); unknown {
				typeErrs.Add(field+"."+name, "input.unknown_field")
				continue
			}
			if errors.As(err, &te) && te.Field != "" {
				field += "." + te.Field
			}
			typeErrs.Add(field, "review.field.wrong_type")
		}
		in.Findings = append(in.Findings, reckon.Finding{
			ControlID: deref(nf.ControlID), Title: deref(nf.Title),
			Severity: reckon.Severity(deref(nf.Severity)), Status: reckon.FindingStatus(deref(nf.Status)),
			Detail: deref(nf.Detail), Product: deref(nf.Product), Group: deref(nf.Group),
			Annotation: nf.Annotation.annotation(),
		})
	}
	validateFindings(in.Findings, verr)
	for field, m := range typeErrs {
		if !strings.Contains(field, ".") {
			// The finding is not an object: its fields say nothing more.
			for k := range verr {
				if strings.HasPrefix(k, field+".") {
					delete(verr, k)
				}
			}
		}
		verr[field] = m
	}
	if err := verr.Err(); err != nil {
		return reckon.SnapshotInput{}, err
	}
	return in, nil
}

// strictUnmarshal decodes one JSON value into v, refusing fields v does
// not have. json.Unmarshal goes first for its errors: the positions of
// syntax errors (a Decoder reports a truncated body without one).
func strictUnmarshal(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// jsonError turns a decoding error into a coded one: a syntax error is
// malformed (with its line and column), a type error is a field error.
func jsonError(b []byte, err error) error {
	if name, ok := validate.UnknownField(err); ok {
		v := reckon.ValidationErrors{}
		v.Add(name, "input.unknown_field")
		return v.Err()
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "body"
		}
		v := reckon.ValidationErrors{}
		v.Add(field, "review.field.wrong_type")
		return v.Err()
	}
	offset, ended := int64(0), false
	var se *json.SyntaxError
	if errors.As(err, &se) {
		offset = se.Offset
		ended = strings.HasPrefix(se.Error(), "unexpected end")
	}
	line, col := position(b, offset)
	if ended {
		col++ // the input stopped early: point just past its end
	}
	col = max(col, 1)
	return &reckon.Error{Code: reckon.CodeMalformed,
		Message: reckon.Msg("snapshot.error.malformed", "line", line, "column", col), Err: err}
}

// position converts a byte offset into a 1-based line and the number of
// characters before the offset on that line: the column of the character
// just read.
func position(b []byte, offset int64) (line, col int) {
	if offset > int64(len(b)) {
		offset = int64(len(b))
	}
	head := b[:offset]
	line = bytes.Count(head, []byte{'\n'}) + 1
	lastNL := bytes.LastIndexByte(head, '\n')
	return line, utf8.RuneCount(head[lastNL+1:])
}
