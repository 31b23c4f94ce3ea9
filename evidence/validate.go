package evidence

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/internal/validate"
)

// Field limits, in characters.
const (
	maxControlIDLen = 128
	maxTitleLen     = 512
	maxDetailLen    = 8192
	maxLabelLen     = 128 // product, group
	maxSourceLen    = 256 // external id, tenant id, tool version
)

// Validate checks a snapshot input from any decoder: the capture
// time, the source and every finding. It returns a reckon.CodeValidation
// error with field-level messages, or reckon.CodeTooLarge.
func Validate(in *reckon.SnapshotInput) error {
	if len(in.Findings) > MaxFindings {
		return reckon.Errorf(reckon.CodeTooLarge, "snapshot.error.too_many_findings", "limit", MaxFindings)
	}
	verr := reckon.ValidationErrors{}
	if in.CapturedAt.IsZero() {
		verr.Add("captured_at", "review.field.required")
	} else if !validate.Time(in.CapturedAt) {
		verr.Add("captured_at", "input.time_range")
	}
	switch in.Source.Format {
	case reckon.SnapshotFormatNative, reckon.SnapshotFormatScubaGear:
	default:
		verr.Add("source.format", "review.field.invalid_choice", "choices", Formats)
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
		validateAnnotation(f.Annotation, p+"annotation.", verr)
	}
}

// validateAnnotation checks a finding's optional annotation; prefix is the
// finding's field path.
func validateAnnotation(a reckon.Annotation, prefix string, verr reckon.ValidationErrors) {
	checkText(verr, prefix+"comment", a.Comment, false, maxDetailLen)
	checkText(verr, prefix+"original_detail", a.OriginalDetail, false, maxDetailLen)
	if a.RemediationDate != "" {
		if _, err := time.Parse(time.DateOnly, a.RemediationDate); err != nil {
			verr.Add(prefix+"remediation_date", "snapshot.error.bad_date")
		}
	}
	if a.OriginalStatus != "" && !a.OriginalStatus.Valid() {
		verr.Add(prefix+"original_status", "review.field.invalid_choice", "choices", joinChoices(reckon.FindingStatuses))
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
	case !validate.Text(v):
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
