package scubagear_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/scubagear"
)

// The documented mapping, as the tests state it.
var (
	wantStatus = map[string]reckon.FindingStatus{
		"Pass": reckon.FindingPass, "Fail": reckon.FindingFail, "Warning": reckon.FindingWarning,
		"N/A": reckon.FindingNotApplicable, "Omitted": reckon.FindingNotApplicable,
		"Incorrect result": reckon.FindingWarning,
		"Error":            reckon.FindingError, "Error - Test results missing": reckon.FindingError,
	}
	wantSeverity = map[string]reckon.Severity{
		"Shall": reckon.SeverityHigh, "Should": reckon.SeverityMedium,
		"Shall/Not-Implemented": reckon.SeverityLow, "Shall/3rd Party": reckon.SeverityLow,
		"Should/Not-Implemented": reckon.SeverityInfo, "Should/3rd Party": reckon.SeverityInfo,
		"-": reckon.SeverityInfo,
	}
)

var htmlTag = regexp.MustCompile(`<[a-zA-Z/!]`)

func decodeFile(t testing.TB, path string) reckon.SnapshotInput {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := scubagear.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	return in
}

// TestDecodeRealReports decodes every real report and checks it against the
// file's own Summary block and against the tests' independent reading.
//
// ScubaGear's Summary counts, per product, each control once by its Result:
// Passes (Pass), Failures (Fail), Warnings (Warning), Manual (N/A: the
// controls it cannot check, whose Criticality ends in /Not-Implemented or
// /3rd Party), Errors (Error, "Error - Test results missing"), Omits
// (Omitted) and, from 1.6, IncorrectResults ("Incorrect result").
func TestDecodeRealReports(t *testing.T) {
	t.Parallel()
	for _, path := range dataFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			raw := parseRaw(t, path)
			in := decodeFile(t, path)

			// Metadata and source.
			stamp, err := time.Parse(time.RFC3339Nano, raw.Timestamp)
			if err != nil {
				t.Fatal(err)
			}
			if !in.CapturedAt.Equal(stamp) || in.CapturedAt.Location() != time.UTC {
				t.Errorf("captured_at = %v, want %v (UTC)", in.CapturedAt, stamp)
			}
			wantID := raw.ReportUUID
			if wantID == "" {
				wantID = raw.TenantID + "@" + stamp.UTC().Format(time.RFC3339Nano)
			}
			want := reckon.SnapshotSource{Format: "scubagear", ExternalID: wantID, TenantID: raw.TenantID, ToolVersion: raw.ToolVersion}
			if in.Source != want {
				t.Errorf("source = %+v, want %+v", in.Source, want)
			}

			// One finding per control, in file order, with product and group.
			if len(in.Findings) != len(raw.Controls) || len(in.Findings) == 0 {
				t.Fatalf("%d findings, the file has %d controls", len(in.Findings), len(raw.Controls))
			}
			byID := map[string]reckon.Finding{}
			for _, f := range in.Findings {
				byID[f.ControlID] = f
			}
			statusTotal := map[reckon.FindingStatus]int{}
			severityTotal := map[reckon.Severity]int{}
			for _, c := range raw.Controls {
				f, ok := byID[c.ID]
				if !ok {
					t.Fatalf("control %s is missing", c.ID)
				}
				if f.Product != c.Product || f.Group != c.Group {
					t.Errorf("%s: product/group = %q/%q, want %q/%q", c.ID, f.Product, f.Group, c.Product, c.Group)
				}
				if f.Status != wantStatus[c.Result] || f.Severity != wantSeverity[c.Criticality] {
					t.Errorf("%s: %s/%s from Result %q, Criticality %q", c.ID, f.Status, f.Severity, c.Result, c.Criticality)
				}
				if f.Title == "" || htmlTag.MatchString(f.Title) || htmlTag.MatchString(f.Detail) {
					t.Errorf("%s: title or detail is empty or holds HTML: %q / %q", c.ID, f.Title, f.Detail)
				}
				statusTotal[wantStatus[c.Result]]++
				severityTotal[wantSeverity[c.Criticality]]++
			}
			gotStatus := map[reckon.FindingStatus]int{}
			gotSeverity := map[reckon.Severity]int{}
			for _, f := range in.Findings {
				gotStatus[f.Status]++
				gotSeverity[f.Severity]++
			}
			for _, s := range reckon.FindingStatuses {
				if gotStatus[s] != statusTotal[s] {
					t.Errorf("%s: %d findings, the raw results say %d", s, gotStatus[s], statusTotal[s])
				}
			}
			for _, s := range reckon.Severities {
				if gotSeverity[s] != severityTotal[s] {
					t.Errorf("%s: %d findings, the raw criticalities say %d", s, gotSeverity[s], severityTotal[s])
				}
			}

			// Against the Summary block, product by product.
			if len(raw.Summary) == 0 {
				t.Fatal("the file has no Summary")
			}
			type counts struct {
				status   map[reckon.FindingStatus]int
				manualSv int // findings ranked low or info
				total    int
			}
			per := map[string]*counts{}
			for _, f := range in.Findings {
				c := per[f.Product]
				if c == nil {
					c = &counts{status: map[reckon.FindingStatus]int{}}
					per[f.Product] = c
				}
				c.status[f.Status]++
				c.total++
				if f.Severity == reckon.SeverityLow || f.Severity == reckon.SeverityInfo {
					c.manualSv++
				}
			}
			for product, s := range raw.Summary {
				c := per[product]
				if c == nil {
					t.Errorf("%s: in Summary, but no finding has this product", product)
					continue
				}
				check := func(what string, got, want int) {
					t.Helper()
					if got != want {
						t.Errorf("%s %s: %d findings, Summary says %d", product, what, got, want)
					}
				}
				check("pass", c.status[reckon.FindingPass], s["Passes"])
				check("fail", c.status[reckon.FindingFail], s["Failures"])
				check("warning", c.status[reckon.FindingWarning], s["Warnings"]+s["IncorrectResults"])
				check("not_applicable", c.status[reckon.FindingNotApplicable], s["Manual"]+s["Omits"])
				check("error", c.status[reckon.FindingError], s["Errors"])
				check("controls", c.total, s["Passes"]+s["Failures"]+s["Warnings"]+s["Manual"]+s["Errors"]+s["Omits"]+s["IncorrectResults"])
				// ScubaGear reports N/A (Manual) exactly for the controls it
				// cannot check, which rank low or info. An omitted control
				// keeps its criticality, so this holds when nothing is omitted.
				if s["Omits"] == 0 {
					check("low+info", c.manualSv, s["Manual"])
				}
			}
			for product := range per {
				if _, ok := raw.Summary[product]; !ok {
					t.Errorf("%s: findings of a product that Summary does not count", product)
				}
			}
		})
	}
}

// TestRealReportChanges checks that the tenant series holds real changes of
// every kind, counted by the tests' own reading of the files; the review
// composer is checked against the same counts in TestComposeRealSeries.
func TestRealReportChanges(t *testing.T) {
	t.Parallel()
	series := tenantSeries(t, dataFiles(t))
	var total rawChanges
	for i := 1; i < len(series); i++ {
		ch := changesBetween(series[i-1], series[i])
		t.Logf("%s → %s: newly failing %v, resolved %v, added %d, removed %d, version changed %v", filepath.Base(series[i-1].Path),
			filepath.Base(series[i].Path), ch.NewlyFailing, ch.Resolved, len(ch.Added), len(ch.Removed), ch.VersionChanged)
		total.NewlyFailing = append(total.NewlyFailing, ch.NewlyFailing...)
		total.Resolved = append(total.Resolved, ch.Resolved...)
		total.Added = append(total.Added, ch.Added...)
		total.Removed = append(total.Removed, ch.Removed...)
		total.VersionChanged = append(total.VersionChanged, ch.VersionChanged...)
	}
	// Eleven controls of the series change only their version suffix
	// (MS.TEAMS.1.2v1 → v2, MS.AAD.3.3v1 → v2, …).
	if len(total.VersionChanged) != 11 {
		t.Errorf("%d controls changed their version, want 11: %v", len(total.VersionChanged), total.VersionChanged)
	}
	if len(total.NewlyFailing) == 0 || len(total.Resolved) == 0 || len(total.Added) == 0 || len(total.Removed) == 0 {
		t.Fatalf("the series should hold every kind of change: %+v", total)
	}
}
