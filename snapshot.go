package reckon

import "time"

// Severity of a finding.
type Severity string

// Severities, most severe first.
const (
	SeverityCritical Severity = "critical"
	SeverityHigh     Severity = "high"
	SeverityMedium   Severity = "medium"
	SeverityLow      Severity = "low"
	SeverityInfo     Severity = "info"
)

// Severities lists every severity, most severe first.
var Severities = []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityInfo}

// Rank orders severities: 0 is the most severe; unknown severities rank last.
func (s Severity) Rank() int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return len(Severities)
}

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool { return s.Rank() < len(Severities) }

// FindingStatus is the result of one control.
type FindingStatus string

// Finding statuses.
const (
	FindingPass          FindingStatus = "pass"
	FindingFail          FindingStatus = "fail"
	FindingWarning       FindingStatus = "warning"
	FindingNotApplicable FindingStatus = "not_applicable"
	FindingError         FindingStatus = "error"
)

// FindingStatuses lists every finding status.
var FindingStatuses = []FindingStatus{FindingPass, FindingFail, FindingWarning, FindingNotApplicable, FindingError}

// Valid reports whether s is a known finding status.
func (s FindingStatus) Valid() bool {
	for _, v := range FindingStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// Finding is one control's result in an evidence snapshot.
type Finding struct {
	ControlID string        `json:"control_id"`
	Title     string        `json:"title"`
	Severity  Severity      `json:"severity"`
	Status    FindingStatus `json:"status"`
	Detail    string        `json:"detail,omitempty"`
	// Product and Group are kept from assessment tools that organise
	// controls by product (ScubaGear); empty for native snapshots.
	Product string `json:"product,omitempty"`
	Group   string `json:"group,omitempty"`
	// Annotation is what the operator said about the result, when the
	// assessment tool carries it (ScubaGear 1.6+); zero for none.
	Annotation Annotation `json:"annotation,omitzero"`
}

// Annotation is an operator's note on one control's result: why a failure
// stands, until when it is accepted, or that the tool got it wrong.
type Annotation struct {
	Comment string `json:"comment,omitempty"`
	// RemediationDate is the date (YYYY-MM-DD) by which the operator plans
	// to fix a failure; a failure with one is accepted for now.
	RemediationDate string `json:"remediation_date,omitempty"`
	// IncorrectResult marks the tool's result as wrong.
	IncorrectResult bool `json:"incorrect_result,omitempty"`
	// OriginalStatus and OriginalDetail are what the tool found before the
	// operator's configuration changed the result (omitted, incorrect);
	// empty when the result stands as found.
	OriginalStatus FindingStatus `json:"original_status,omitempty"`
	OriginalDetail string        `json:"original_detail,omitempty"`
}

// IsZero reports whether the annotation says nothing.
func (a Annotation) IsZero() bool { return a == Annotation{} }

// Explained reports whether the operator gave a reason or a date.
func (a Annotation) Explained() bool { return a.Comment != "" || a.RemediationDate != "" }

// Snapshot formats: the native body of the API, and CISA ScubaGear reports.
const (
	SnapshotFormatNative    = "native"
	SnapshotFormatScubaGear = "scubagear"
)

// SnapshotSource describes where an imported snapshot came from.
type SnapshotSource struct {
	Format      string `json:"format"`                 // "native" or "scubagear"
	ExternalID  string `json:"external_id,omitempty"`  // e.g. ScubaGear ReportUUID
	TenantID    string `json:"tenant_id,omitempty"`    // external tenant the evidence is about
	ToolVersion string `json:"tool_version,omitempty"` // assessment tool version
}

// SnapshotInput is a validated evidence snapshot before it is stored.
type SnapshotInput struct {
	CapturedAt time.Time
	Findings   []Finding
	Source     SnapshotSource
}

// Snapshot is a captured, immutable set of findings about one environment.
type Snapshot struct {
	ID            int64
	WorkspaceID   int64
	EnvironmentID int64
	CapturedAt    time.Time
	ContentHash   string
	FindingCount  int
	Findings      []Finding // nil when a list read left them out
	Source        SnapshotSource
	CreatedAt     time.Time
}
