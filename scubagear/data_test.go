package scubagear_test

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/reckonhq/reckon/reckontest"
)

// dataFiles returns every real ScubaGear report of the repository's
// testdata (or of RECKON_SCUBAGEAR_DATA), sorted by name.
func dataFiles(t testing.TB) []string {
	t.Helper()
	return reckontest.ScubaGearReports(t, "")
}

// rawReport is a report read by the tests' own small parser, straight from
// the file with encoding/json and nothing of the package under test, so that
// the decoder is checked against an independent reading.
type rawReport struct {
	Path        string
	TenantID    string
	ReportUUID  string
	ToolVersion string
	Timestamp   string
	// Summary is the file's own count per product: Passes, Failures,
	// Warnings, Manual, Errors, Omits and (from 1.6) IncorrectResults.
	Summary  map[string]map[string]int
	Controls []rawControl
}

type rawControl struct {
	Product, Group                       string
	ID, Requirement, Result, Criticality string
}

func parseRaw(t testing.TB, path string) *rawReport {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	var doc struct {
		MetaData map[string]any
		Summary  map[string]map[string]int
		Results  map[string][]struct {
			GroupName string
			Controls  []map[string]any
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	r := &rawReport{Path: path, Summary: doc.Summary,
		TenantID: str(doc.MetaData, "TenantId"), ReportUUID: str(doc.MetaData, "ReportUUID"),
		ToolVersion: str(doc.MetaData, "ToolVersion"), Timestamp: str(doc.MetaData, "TimestampZulu")}
	for product, groups := range doc.Results {
		for _, g := range groups {
			for _, c := range g.Controls {
				r.Controls = append(r.Controls, rawControl{Product: product, Group: g.GroupName,
					ID: str(c, "Control ID"), Requirement: str(c, "Requirement"),
					Result: str(c, "Result"), Criticality: str(c, "Criticality")})
			}
		}
	}
	return r
}

// rawChanges are the changes between two assessments, counted from the raw
// results. Controls are matched by id, then a new id with an old one that
// is gone on the id without its version suffix (version changed). Newly
// failing: Fail now, present and not Fail before; resolved: Fail before,
// present now and neither Fail nor an error; added and removed: the ids
// left unmatched.
type rawChanges struct{ NewlyFailing, Resolved, Added, Removed, VersionChanged []string }

// rawVersion is a control id's version suffix, as in MS.AAD.3.3v1.
var rawVersion = regexp.MustCompile(`v[0-9]+$`)

func changesBetween(before, after *rawReport) rawChanges {
	old := map[string]string{}
	for _, c := range before.Controls {
		old[c.ID] = c.Result
	}
	now := map[string]bool{}
	for _, c := range after.Controls {
		now[c.ID] = true
	}
	gone := map[string]string{} // base id → old id no longer present
	for _, c := range before.Controls {
		if !now[c.ID] {
			gone[rawVersion.ReplaceAllString(c.ID, "")] = c.ID
		}
	}
	matched := map[string]bool{}
	var ch rawChanges
	for _, c := range after.Controls {
		was, ok := old[c.ID]
		if prev, found := gone[rawVersion.ReplaceAllString(c.ID, "")]; !ok && found {
			was, ok = old[prev], true
			matched[prev] = true
			ch.VersionChanged = append(ch.VersionChanged, c.ID)
		}
		switch {
		case !ok:
			ch.Added = append(ch.Added, c.ID)
		case c.Result == "Fail" && was != "Fail":
			ch.NewlyFailing = append(ch.NewlyFailing, c.ID)
		case was == "Fail" && c.Result != "Fail" && !strings.HasPrefix(c.Result, "Error"):
			ch.Resolved = append(ch.Resolved, c.ID)
		}
	}
	for _, c := range before.Controls {
		if !now[c.ID] && !matched[c.ID] {
			ch.Removed = append(ch.Removed, c.ID)
		}
	}
	for _, l := range [][]string{ch.NewlyFailing, ch.Resolved, ch.Added, ch.Removed, ch.VersionChanged} {
		sort.Strings(l)
	}
	return ch
}

// tenantSeries returns the reports of the tenant with the most assessments,
// oldest first by MetaData.TimestampZulu: the ca08493a series.
func tenantSeries(t testing.TB, files []string) []*rawReport {
	t.Helper()
	by := map[string][]*rawReport{}
	for _, f := range files {
		r := parseRaw(t, f)
		by[r.TenantID] = append(by[r.TenantID], r)
	}
	var series []*rawReport
	for _, rs := range by {
		if len(rs) > len(series) {
			series = rs
		}
	}
	sort.Slice(series, func(i, j int) bool { return series[i].Timestamp < series[j].Timestamp })
	if len(series) < 2 {
		t.Fatalf("no tenant has two assessments in %s", reckontest.ScubaGearDir())
	}
	return series
}
