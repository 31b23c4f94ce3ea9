package report

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/internal/web"
)

// csvColumns are the findings CSV's columns, in order. Values are codes
// (fail, high), not words, so that a spreadsheet reads the same in every
// language.
var csvColumns = []string{"control_id", "product", "group", "title", "severity", "status", "detail",
	"annotation", "comment", "remediation_date", "incorrect_result", "original_status"}

// findingsCSV writes every finding of the review's evidence, one row each,
// most severe first, then by control id. annotation is the kind of the
// operator's note (annotationKind), as the review counts failing controls.
// Every cell passes web.CSVCell: the evidence comes from outside.
func findingsCSV(d *Data) ([]byte, error) {
	findings := slices.Clone(d.Snapshot.Findings)
	slices.SortStableFunc(findings, func(a, b reckon.Finding) int {
		if r := a.Severity.Rank() - b.Severity.Rank(); r != 0 {
			return r
		}
		return strings.Compare(a.ControlID, b.ControlID)
	})
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(csvColumns); err != nil {
		return nil, err
	}
	for _, f := range findings {
		a := f.Annotation
		incorrect := ""
		if a.IncorrectResult {
			incorrect = "true"
		}
		row := []string{f.ControlID, f.Product, f.Group, f.Title, string(f.Severity), string(f.Status), f.Detail,
			annotationKind(a, f.Status == reckon.FindingFail), a.Comment, a.RemediationDate, incorrect, string(a.OriginalStatus)}
		for i := range row {
			row[i] = web.CSVCell(row[i])
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}
