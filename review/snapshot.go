package review

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reckonhq/reckon"
)

// Limits of an evidence snapshot. A body over MaxSnapshotBytes or with more
// than MaxFindings findings is refused with reckon.CodeTooLarge.
const (
	// MaxSnapshotBytes bounds the native JSON body of a snapshot (4 MiB).
	MaxSnapshotBytes = 4 << 20
	// MaxFindings bounds the findings of one snapshot.
	MaxFindings = 5000
)

// Field limits, in characters.
const (
	maxControlIDLen = 128
	maxTitleLen     = 512
	maxDetailLen    = 8192
	maxLabelLen     = 128 // product, group
	maxSourceLen    = 256 // external id, tenant id, tool version
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
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// DecodeSnapshot reads and validates a native snapshot body (docs/api.md):
// {"captured_at": RFC 3339, "findings": [{"control_id", "title", "severity",
// "status", "detail"?, "product"?, "group"?}]}. Unknown fields are ignored.
//
// Errors: reckon.CodeTooLarge over MaxSnapshotBytes or MaxFindings;
// reckon.CodeMalformed for JSON that does not parse (the message names the
// line and column); reckon.CodeValidation with one message per invalid field
// ("captured_at", "findings[3].severity").
func DecodeSnapshot(r io.Reader) (reckon.SnapshotInput, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxSnapshotBytes+1))
	if err != nil {
		return reckon.SnapshotInput{}, fmt.Errorf("review: read snapshot: %w", err)
	}
	if len(b) > MaxSnapshotBytes {
		return reckon.SnapshotInput{}, reckon.Errorf(reckon.CodeTooLarge, "snapshot.error.too_large", "limit", MaxSnapshotBytes)
	}
	// PowerShell and some editors write a byte-order mark.
	b = bytes.TrimPrefix(b, utf8BOM)
	var body nativeBody
	if err := json.Unmarshal(b, &body); err != nil {
		return reckon.SnapshotInput{}, jsonError(b, err)
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
		if err := json.Unmarshal(raw, &nf); err != nil {
			field := fmt.Sprintf("findings[%d]", i)
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				field += "." + te.Field
			}
			typeErrs.Add(field, "review.field.wrong_type")
		}
		in.Findings = append(in.Findings, reckon.Finding{
			ControlID: deref(nf.ControlID), Title: deref(nf.Title),
			Severity: reckon.Severity(deref(nf.Severity)), Status: reckon.FindingStatus(deref(nf.Status)),
			Detail: deref(nf.Detail), Product: deref(nf.Product), Group: deref(nf.Group),
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

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// jsonError turns a decoding error into a coded one: a syntax error is
// malformed (with its line and column), a type error is a field error.
func jsonError(b []byte, err error) error {
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

// ValidateSnapshot checks a snapshot input from any decoder: the capture
// time, the source and every finding. It returns a reckon.CodeValidation
// error with field-level messages, or reckon.CodeTooLarge.
func ValidateSnapshot(in *reckon.SnapshotInput) error {
	if len(in.Findings) > MaxFindings {
		return reckon.Errorf(reckon.CodeTooLarge, "snapshot.error.too_many_findings", "limit", MaxFindings)
	}
	verr := reckon.ValidationErrors{}
	if in.CapturedAt.IsZero() {
		verr.Add("captured_at", "review.field.required")
	}
	switch in.Source.Format {
	case reckon.SnapshotFormatNative, reckon.SnapshotFormatScubaGear:
	default:
		verr.Add("source.format", "review.field.invalid_choice", "choices", reckon.SnapshotFormatNative+", "+reckon.SnapshotFormatScubaGear)
	}
	for name, v := range map[string]string{"source.external_id": in.Source.ExternalID,
		"source.tenant_id": in.Source.TenantID, "source.tool_version": in.Source.ToolVersion} {
		checkText(verr, name, v, false, maxSourceLen)
	}
	if in.Findings == nil {
		verr.Add("findings", "review.field.required")
	}
	validateFindings(in.Findings, verr)
	return verr.Err()
}

func validateFindings(findings []reckon.Finding, verr reckon.ValidationErrors) {
	if findings != nil && len(findings) == 0 {
		verr.Add("findings", "snapshot.error.no_findings")
	}
	first := make(map[string]int, len(findings))
	for i, f := range findings {
		p := fmt.Sprintf("findings[%d].", i)
		if checkText(verr, p+"control_id", f.ControlID, true, maxControlIDLen) {
			if j, dup := first[f.ControlID]; dup {
				verr.Add(p+"control_id", "snapshot.error.duplicate_control_id", "control_id", f.ControlID, "index", j)
			} else {
				first[f.ControlID] = i
			}
		}
		checkText(verr, p+"title", f.Title, true, maxTitleLen)
		if f.Severity == "" {
			verr.Add(p+"severity", "review.field.required")
		} else if !f.Severity.Valid() {
			verr.Add(p+"severity", "review.field.invalid_choice", "choices", joinChoices(reckon.Severities))
		}
		if f.Status == "" {
			verr.Add(p+"status", "review.field.required")
		} else if !f.Status.Valid() {
			verr.Add(p+"status", "review.field.invalid_choice", "choices", joinChoices(reckon.FindingStatuses))
		}
		checkText(verr, p+"detail", f.Detail, false, maxDetailLen)
		checkText(verr, p+"product", f.Product, false, maxLabelLen)
		checkText(verr, p+"group", f.Group, false, maxLabelLen)
	}
}

// checkText validates one text field and reports whether it is acceptable.
func checkText(verr reckon.ValidationErrors, field, v string, required bool, max int) bool {
	switch {
	case strings.TrimSpace(v) == "":
		if required {
			verr.Add(field, "review.field.required")
			return false
		}
	case !utf8.ValidString(v), strings.ContainsRune(v, 0): // PostgreSQL text cannot hold NUL
		verr.Add(field, "review.field.invalid_text")
		return false
	case utf8.RuneCountInString(v) > max:
		verr.Add(field, "review.field.too_long", "max", max)
		return false
	}
	return true
}

func joinChoices[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// canonicalFindings returns the findings ordered by control id, the order in
// which they are hashed and stored.
func canonicalFindings(findings []reckon.Finding) []reckon.Finding {
	out := slices.Clone(findings)
	slices.SortFunc(out, func(a, b reckon.Finding) int { return strings.Compare(a.ControlID, b.ControlID) })
	return out
}

// ContentHash is the canonical hash of a snapshot's findings: "sha256:" and
// the hex SHA-256 of the JSON array of the findings ordered by control_id,
// each an object with the keys control_id, title, severity, status and —
// when not empty — detail, product, group, in that order, as Go's
// encoding/json writes it (no spaces; <, > and & escaped). The same findings
// in any order hash alike; the capture time and source are metadata and are
// not hashed.
func ContentHash(findings []reckon.Finding) string {
	b, err := json.Marshal(canonicalFindings(findings))
	if err != nil {
		// A slice of structs of strings always encodes.
		panic(err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
