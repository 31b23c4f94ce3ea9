package scubagear_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/scubagear"
)

const (
	testTenant = "ca08493a-c9c8-4db0-a9e8-d3b4bafac269"
	testUUID   = "dfd70a15-3042-4bc9-8e02-61d4f868be10"
)

// ctl is one control of a test report.
type ctl struct{ ID, Requirement, Result, Criticality, Details string }

func (c ctl) json() string {
	b, err := json.Marshal(map[string]string{"Control ID": c.ID, "Requirement": c.Requirement,
		"Result": c.Result, "Criticality": c.Criticality, "Details": c.Details})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func pass(id string) ctl {
	return ctl{ID: id, Requirement: "Requirement of " + id + " SHALL be met.", Result: "Pass", Criticality: "Shall", Details: "Requirement met"}
}

// metaJSON is a MetaData section in ScubaGear's shape.
func metaJSON(uuid string) string {
	m := map[string]any{"TenantId": testTenant, "DisplayName": "tqhjy", "DomainName": "tqhjy.onmicrosoft.com",
		"ProductSuite": "Microsoft 365", "Tool": "ScubaGear", "ToolVersion": "1.7.0",
		"TimestampZulu": "2025-10-06T22:30:54.153Z"}
	if uuid != "" {
		m["ReportUUID"] = uuid
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// reportJSON builds a report with one group per product, in the order given
// as alternating product name and controls.
func reportJSON(meta string, products ...any) string {
	var res []string
	for i := 0; i+1 < len(products); i += 2 {
		var cs []string
		for _, c := range products[i+1].([]ctl) {
			cs = append(cs, c.json())
		}
		res = append(res, fmt.Sprintf(`%q: [{"GroupName": "Group of %s", "GroupNumber": "1", "GroupReferenceURL": "https://example.test", "Controls": [%s]}]`,
			products[i], products[i], strings.Join(cs, ",")))
	}
	return `{"MetaData": ` + meta + `, "Summary": {}, "Results": {` + strings.Join(res, ", ") + `}, "Raw": {"tenant": [1, 2, {"x": null}]}}`
}

func decodeString(s string) (reckon.SnapshotInput, error) {
	return scubagear.Decode(strings.NewReader(s))
}

// codedErr asserts err is a *reckon.Error with code whose message keys (the
// main one and every field's) exist in every language.
func codedErr(t *testing.T, err error, code reckon.ErrorCode) *reckon.Error {
	t.Helper()
	var e *reckon.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a coded error", err, err)
	}
	if e.Code != code {
		t.Fatalf("code %s, want %s: %v", e.Code, code, err)
	}
	cat := locale.Default()
	msgs := []reckon.Message{e.Message}
	for _, m := range e.Fields {
		msgs = append(msgs, m)
	}
	for _, m := range msgs {
		for _, lang := range locale.Languages {
			if !cat.Has(lang, m.Key) {
				t.Errorf("message key %q is missing in %s", m.Key, lang)
			}
		}
	}
	return e
}

func english(e *reckon.Error) string { return locale.Default().Message("en", e.Message) }

func TestDecodeMapsEveryResultAndCriticality(t *testing.T) {
	t.Parallel()
	results := map[string]reckon.FindingStatus{
		"Pass": reckon.FindingPass, "Fail": reckon.FindingFail, "Warning": reckon.FindingWarning,
		"N/A": reckon.FindingNotApplicable, "Omitted": reckon.FindingNotApplicable,
		"Incorrect result": reckon.FindingWarning, "Error": reckon.FindingError,
		"Error - Test results missing": reckon.FindingError,
		// Case and spacing do not matter.
		" pass ": reckon.FindingPass, "n/a": reckon.FindingNotApplicable, "INCORRECT  RESULT": reckon.FindingWarning,
	}
	criticalities := map[string]reckon.Severity{
		"Shall": reckon.SeverityHigh, "Should": reckon.SeverityMedium,
		"Shall/Not-Implemented": reckon.SeverityLow, "Shall/3rd Party": reckon.SeverityLow,
		"Should/Not-Implemented": reckon.SeverityInfo, "Should/3rd Party": reckon.SeverityInfo,
		"-": reckon.SeverityInfo, "shall/3rd party": reckon.SeverityLow, " SHOULD ": reckon.SeverityMedium,
	}
	var controls []ctl
	want := map[string]reckon.Finding{}
	i := 0
	for result, status := range results {
		for crit, sev := range criticalities {
			i++
			id := fmt.Sprintf("MS.TEST.%dv1", i)
			controls = append(controls, ctl{ID: id, Requirement: "R", Result: result, Criticality: crit})
			want[id] = reckon.Finding{ControlID: id, Title: "R", Status: status, Severity: sev, Product: "AAD", Group: "Group of AAD",
				// The result itself says the operator marked it incorrect.
				Annotation: reckon.Annotation{IncorrectResult: strings.EqualFold(strings.Join(strings.Fields(result), " "), "incorrect result")}}
		}
	}
	in, err := decodeString(reportJSON(metaJSON(testUUID), "AAD", controls))
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Findings) != len(want) {
		t.Fatalf("%d findings, want %d", len(in.Findings), len(want))
	}
	for i, f := range in.Findings {
		if f.ControlID != controls[i].ID {
			t.Fatalf("finding %d is %s, want %s: findings keep the file's order", i, f.ControlID, controls[i].ID)
		}
		if f != want[f.ControlID] {
			t.Errorf("%s (%q, %q): got %+v, want %+v", f.ControlID, controls[i].Result, controls[i].Criticality, f, want[f.ControlID])
		}
	}
}

func TestDecodeMetaData(t *testing.T) {
	t.Parallel()
	in, err := decodeString(reportJSON(metaJSON(testUUID), "AAD", []ctl{pass("MS.AAD.1.1v1")}, "EXO", []ctl{pass("MS.EXO.1.1v1")}))
	if err != nil {
		t.Fatal(err)
	}
	want := reckon.SnapshotSource{Format: reckon.SnapshotFormatScubaGear, ExternalID: testUUID, TenantID: testTenant, ToolVersion: "1.7.0"}
	if in.Source != want {
		t.Errorf("source %+v, want %+v", in.Source, want)
	}
	if at := time.Date(2025, 10, 6, 22, 30, 54, 153e6, time.UTC); !in.CapturedAt.Equal(at) || in.CapturedAt.Location() != time.UTC {
		t.Errorf("captured at %v, want %v", in.CapturedAt, at)
	}
	if len(in.Findings) != 2 || in.Findings[0].Product != "AAD" || in.Findings[1].Product != "EXO" {
		t.Errorf("findings %+v", in.Findings)
	}

	// ScubaGear before 1.5 writes no ReportUUID: the tenant and the time
	// identify the report.
	in, err = decodeString(reportJSON(metaJSON(""), "AAD", []ctl{pass("MS.AAD.1.1v1")}))
	if err != nil {
		t.Fatal(err)
	}
	if want := testTenant + "@2025-10-06T22:30:54.153Z"; in.Source.ExternalID != want {
		t.Errorf("external id without ReportUUID = %q, want %q", in.Source.ExternalID, want)
	}
}

func TestDecodeCleansText(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("ä", scubagear.MaxDetailRunes+10)
	in, err := decodeString(reportJSON(metaJSON(testUUID), "AAD", []ctl{
		{ID: " MS.AAD.1.1v1 ", Result: "Pass", Criticality: "Shall",
			Requirement: "At a minimum, the following alerts SHALL be enabled:\na. <b>Suspicious email sending patterns detected.</b>\nb. <b>Suspicious Connector Activity.</b>\n<!--Policy: MS.EXO.16.1v1; Criticality: SHALL -->",
			Details:     "1 conditional access policy(s) found that meet(s) all requirements:<br/>MS.AAD.1.1v1 Legacy authentication SHALL be blocked. <a href='#caps'>View all CA policies</a>.  "},
		{ID: "MS.AAD.2.2v1", Result: "N/A", Criticality: "Shall/Not-Implemented", Requirement: "A &amp; B &lt; C",
			Details: `This product does not currently have the capability to check compliance for this policy. See <a href="https://github.com/cisagov/ScubaGear/blob/v1.4.0/PowerShell/ScubaGear/baselines/aad.md#msaad22v1" target="_blank">Secure Configuration Baseline policy</a> for instructions on manual check`},
		{ID: "MS.AAD.3.1v1", Result: "Fail", Criticality: "Shall", Requirement: strings.Repeat("x ", scubagear.MaxTitleRunes), Details: long},
		{ID: "MS.AAD.3.2v1", Result: "Fail", Criticality: "Shall", Requirement: "if a < b then <unclosed", Details: ""},
	}))
	if err != nil {
		t.Fatal(err)
	}
	f := in.Findings
	if f[0].ControlID != "MS.AAD.1.1v1" {
		t.Errorf("control id %q is not trimmed", f[0].ControlID)
	}
	if want := "At a minimum, the following alerts SHALL be enabled:\na. Suspicious email sending patterns detected.\nb. Suspicious Connector Activity."; f[0].Title != want {
		t.Errorf("title %q, want %q", f[0].Title, want)
	}
	if want := "1 conditional access policy(s) found that meet(s) all requirements:\nMS.AAD.1.1v1 Legacy authentication SHALL be blocked. View all CA policies."; f[0].Detail != want {
		t.Errorf("detail %q, want %q", f[0].Detail, want)
	}
	if want := "A & B < C"; f[1].Title != want {
		t.Errorf("title %q, want %q", f[1].Title, want)
	}
	if want := "This product does not currently have the capability to check compliance for this policy. See Secure Configuration Baseline policy for instructions on manual check"; f[1].Detail != want {
		t.Errorf("detail %q, want %q", f[1].Detail, want)
	}
	if n := utf8.RuneCountInString(f[2].Title); n != scubagear.MaxTitleRunes || !strings.HasSuffix(f[2].Title, "…") {
		t.Errorf("long title: %d runes, ends %q", n, f[2].Title[len(f[2].Title)-8:])
	}
	if n := utf8.RuneCountInString(f[2].Detail); n != scubagear.MaxDetailRunes || !strings.HasSuffix(f[2].Detail, "ä…") {
		t.Errorf("long detail: %d runes", n)
	}
	if want := "if a < b then <unclosed"; f[3].Title != want || f[3].Detail != "" {
		t.Errorf("title %q, want %q; detail %q", f[3].Title, want, f[3].Detail)
	}
}

func TestDecodeByteOrderMark(t *testing.T) {
	t.Parallel()
	body := reportJSON(metaJSON(testUUID), "AAD", []ctl{pass("MS.AAD.1.1v1")})
	plain, err := decodeString(body)
	if err != nil {
		t.Fatal(err)
	}
	withBOM, err := decodeString("\xEF\xBB\xBF" + body)
	if err != nil {
		t.Fatal(err)
	}
	// One byte at a time: the mark may arrive in pieces.
	slow, err := scubagear.Decode(iotest.OneByteReader(strings.NewReader("\xEF\xBB\xBF" + body)))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(plain) != fmt.Sprint(withBOM) || fmt.Sprint(plain) != fmt.Sprint(slow) {
		t.Errorf("a byte-order mark changes the result:\n%+v\n%+v\n%+v", plain, withBOM, slow)
	}
	// Only one mark: a second one is content, and not JSON.
	_, err = decodeString("\xEF\xBB\xBF\xEF\xBB\xBF" + body)
	e := codedErr(t, err, reckon.CodeMalformed)
	if got := english(e); got != "The ScubaGear report is not valid JSON: unexpected character '\\ufeff' at line 1, column 1 (byte 3)." {
		t.Errorf("message %q", got)
	}
	for _, utf16 := range []string{"\xFF\xFE{\x00", "\xFE\xFF\x00{"} {
		_, err := decodeString(utf16)
		if e := codedErr(t, err, reckon.CodeMalformed); e.Message.Key != "scubagear.utf16" {
			t.Errorf("UTF-16 body: %v", err)
		}
	}
}

// TestDecodeSkipsRaw shows that the Raw section streams past: decoding a
// report with an 8 MiB Raw allocates a small fraction of it.
// Not parallel: it counts the process's allocations.
func TestDecodeSkipsRaw(t *testing.T) {
	var raw strings.Builder
	raw.WriteString(`{"MetaData": ` + metaJSON(testUUID) + `, "Raw": {"conditional_access_policies": [`)
	for raw.Len() < 8<<20 {
		raw.WriteString(`{"DisplayName": "Block legacy authentication", "State": "enabled", "Conditions": {"Users": ["All"], "Apps": [1, 2.5, true, null]}},` + "\n")
	}
	raw.WriteString(`{}]}, "Results": {"AAD": [{"GroupName": "G", "Controls": [` + pass("MS.AAD.1.1v1").json() + `]}]}}`)
	body := []byte(raw.String())

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	in, err := scubagear.Decode(bytes.NewReader(body))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Findings) != 1 {
		t.Fatalf("findings %+v", in.Findings)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d bytes of report, %d bytes allocated", len(body), alloc)
	if alloc > 2<<20 {
		t.Errorf("decoding a report with %d bytes of Raw allocated %d bytes: Raw is held, not streamed", len(body), alloc)
	}
}

func TestDecodeBodyLimit(t *testing.T) {
	t.Parallel()
	body := reportJSON(metaJSON(testUUID), "AAD", []ctl{pass("MS.AAD.1.1v1")})
	// Exactly the limit (white space after the report) is fine.
	atLimit := body + strings.Repeat(" ", scubagear.MaxBodyBytes-len(body))
	if _, err := decodeString(atLimit); err != nil {
		t.Fatalf("a body of exactly MaxBodyBytes: %v", err)
	}
	for name, over := range map[string]string{
		"white space":     atLimit + " ",
		"endless raw":     `{"Raw": "` + strings.Repeat("a", scubagear.MaxBodyBytes) + `"}`,
		"endless nesting": strings.Repeat("[", scubagear.MaxBodyBytes+1),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decodeString(over)
			if name == "endless nesting" {
				// The decoder gives up on the depth long before the limit.
				codedErr(t, err, reckon.CodeMalformed)
				return
			}
			e := codedErr(t, err, reckon.CodeTooLarge)
			if got := english(e); got != "The ScubaGear report is larger than the limit of 16,777,216 bytes." {
				t.Errorf("message %q", got)
			}
		})
	}

	// A transport limit below ours (http.MaxBytesReader) is too large too.
	rec := httptest.NewRecorder()
	_, err := scubagear.Decode(http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(body)), 100))
	codedErr(t, err, reckon.CodeTooLarge)
}

func TestDecodeMalformedSaysWhere(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, key string
		want            string // English message
	}{
		{"bad value", "{\n  \"MetaData\": {\n    \"TenantId\": x\n  }\n}", "scubagear.malformed",
			"The ScubaGear report is not valid JSON: unexpected character 'x' at line 3, column 17 (byte 34)."},
		{"bad value after a mark", "\xEF\xBB\xBF{\"Raw\": [1, 2,, 3]}", "scubagear.malformed",
			"The ScubaGear report is not valid JSON: unexpected character ',' at line 1, column 15 (byte 17)."},
		{"cut off", "\xEF\xBB\xBF{\n    \"MetaData\":  {\n                     \"TenantId\":  \"ca08", "scubagear.malformed_end",
			"The ScubaGear report is not valid JSON: it ends too early, at line 3, column 40 (byte 63); the file may have been cut off."},
		{"duplicate name", `{"MetaData": {}, "MetaData": {}}`, "scubagear.duplicate_name",
			`The ScubaGear report is not valid JSON: the name "MetaData" appears twice in one object, at line 1, column 18 (byte 17).`},
		{"trailing", reportJSON(metaJSON(testUUID), "AAD", []ctl{pass("MS.AAD.1.1v1")}) + "\n{}", "scubagear.trailing", ""},
		{"empty", "", "scubagear.empty", "The ScubaGear report is empty."},
		{"blank", "\xEF\xBB\xBF \r\n\t", "scubagear.empty", "The ScubaGear report is empty."},
		{"html", "<!DOCTYPE html><html>", "scubagear.malformed",
			"The ScubaGear report is not valid JSON: unexpected character '<' at line 1, column 1 (byte 0)."},
		{"control character", "{\"a\": \"\x01\"}", "scubagear.malformed", ""},
		{"not UTF-8 outside a string", "{\xff}", "scubagear.malformed",
			"The ScubaGear report is not valid JSON: unexpected character '\\xff' at line 1, column 2 (byte 1)."},
		{"deep nesting", `{"Raw": ` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "}", "scubagear.malformed", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeString(c.body)
			e := codedErr(t, err, reckon.CodeMalformed)
			if e.Message.Key != c.key {
				t.Fatalf("key %s, want %s: %v", e.Message.Key, c.key, err)
			}
			if c.want != "" && english(e) != c.want {
				t.Errorf("message\n got %q\nwant %q", english(e), c.want)
			}
		})
	}
}

// TestDecodeMalformedDeepInFile places an error far into a large file: the
// position is still exact.
func TestDecodeMalformedDeepInFile(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("\xEF\xBB\xBF{\n  \"Raw\": [\n")
	lines := 3
	for b.Len() < 3<<20 {
		b.WriteString(`    {"Name": "a policy with a long name", "Values": [1, 2, 3, "x"]},` + "\n")
		lines++
	}
	b.WriteString("    {\"Name\": ?}\n  ]\n}\n")
	body := b.String()
	offset := strings.Index(body, "?")
	_, err := decodeString(body)
	e := codedErr(t, err, reckon.CodeMalformed)
	args := e.Message.Args
	if args["offset"] != int64(offset) || args["line"] != lines || args["column"] != 14 || args["found"] != "'?'" {
		t.Errorf("position %v, want offset %d, line %d, column 14, found '?'", args, offset, lines)
	}
}

func TestDecodeValidationNamesValueAndControl(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		body  string
		field string
		want  string // English message of the first problem
	}{
		{"unknown result", reportJSON(metaJSON(testUUID), "AAD", []ctl{pass("MS.AAD.1.1v1"), {ID: "MS.AAD.1.2v1", Requirement: "R", Result: "Conditional", Criticality: "Shall"}}),
			"/Results/AAD/0/Controls/1/Result",
			`Control MS.AAD.1.2v1 has the Result "Conditional", which reckon does not know (Pass, Fail, Warning, N/A, Omitted, Incorrect result, Error).`},
		{"unknown criticality", reportJSON(metaJSON(testUUID), "EXO", []ctl{{ID: "MS.EXO.1.1v1", Requirement: "R", Result: "Pass", Criticality: "Shall/Conditional"}}),
			"/Results/EXO/0/Controls/0/Criticality",
			`Control MS.EXO.1.1v1 has the Criticality "Shall/Conditional", which reckon does not know (Shall or Should, alone or with /Not-Implemented or /3rd Party, or -).`},
		{"duplicate control", reportJSON(metaJSON(testUUID), "AAD", []ctl{pass("MS.AAD.1.1v1")}, "EXO", []ctl{pass("MS.AAD.1.1v1")}),
			"/Results/EXO/0/Controls/0/Control ID",
			"Control MS.AAD.1.1v1 appears twice; it first appears at /Results/AAD/0/Controls/0."},
		{"no requirement", reportJSON(metaJSON(testUUID), "AAD", []ctl{{ID: "MS.AAD.1.1v1", Requirement: "<b> </b>", Result: "Pass", Criticality: "Shall"}}),
			"/Results/AAD/0/Controls/0/Requirement", "Control MS.AAD.1.1v1 has no Requirement text."},
		{"no control id", reportJSON(metaJSON(testUUID), "AAD", []ctl{{ID: " ", Requirement: "R", Result: "Pass", Criticality: "Shall"}}),
			"/Results/AAD/0/Controls/0/Control ID", "/Results/AAD/0/Controls/0/Control ID is missing."},
		{"long control id", reportJSON(metaJSON(testUUID), "AAD", []ctl{{ID: strings.Repeat("M", scubagear.MaxControlIDRunes+1), Requirement: "R", Result: "Pass", Criticality: "Shall"}}),
			"/Results/AAD/0/Controls/0/Control ID", "/Results/AAD/0/Controls/0/Control ID is longer than 128 characters."},
		{"no metadata", `{"Results": {"AAD": [{"Controls": [` + pass("MS.AAD.1.1v1").json() + `]}]}}`, "/MetaData", "/MetaData is missing."},
		{"no results", `{"MetaData": ` + metaJSON(testUUID) + `}`, "/Results", "/Results is missing."},
		{"no controls", `{"MetaData": ` + metaJSON(testUUID) + `, "Results": {"AAD": []}}`, "/Results", "The ScubaGear report holds no control results."},
		{"no tenant", reportJSON(`{"TimestampZulu": "2025-10-06T22:30:54.153Z"}`, "AAD", []ctl{pass("MS.AAD.1.1v1")}), "/MetaData/TenantId", "/MetaData/TenantId is missing."},
		{"no time", reportJSON(`{"TenantId": "t"}`, "AAD", []ctl{pass("MS.AAD.1.1v1")}), "/MetaData/TimestampZulu", "/MetaData/TimestampZulu is missing."},
		{"bad time", reportJSON(`{"TenantId": "t", "TimestampZulu": "10/06/2025 22:30"}`, "AAD", []ctl{pass("MS.AAD.1.1v1")}), "/MetaData/TimestampZulu",
			"MetaData.TimestampZulu 10/06/2025 22:30 is not a time such as 2025-10-06T22:30:54.153Z."},
		{"zero time", reportJSON(`{"TenantId": "t", "TimestampZulu": "0001-01-01T00:00:00Z"}`, "AAD", []ctl{pass("MS.AAD.1.1v1")}), "/MetaData/TimestampZulu", ""},
		{"results not an object", `{"MetaData": ` + metaJSON(testUUID) + `, "Results": [1]}`, "/Results", "/Results does not have the shape of a ScubaGear report."},
		{"details a number", `{"MetaData": ` + metaJSON(testUUID) + `, "Results": {"AAD": [{"Controls": [{"Control ID": "MS.AAD.1.1v1", "Requirement": "R", "Result": "Pass", "Criticality": "Shall", "Details": 5}]}]}}`,
			"/Results/AAD/0/Controls/0/Details", "/Results/AAD/0/Controls/0/Details is a JSON number, but a ScubaGear report has a JSON string there."},
		{"metadata a string", `{"MetaData": "x", "Results": {"AAD": [{"Controls": [` + pass("MS.AAD.1.1v1").json() + `]}]}}`, "/MetaData", ""},
		{"product with a slash", `{"MetaData": ` + metaJSON(testUUID) + `, "Results": {"A/B~": 7}}`, "/Results/A~1B~0", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeString(c.body)
			e := codedErr(t, err, reckon.CodeValidation)
			if _, ok := e.Fields[c.field]; !ok {
				t.Fatalf("no problem at %s: %v", c.field, e.Fields)
			}
			if c.want != "" && english(e) != c.want {
				t.Errorf("message\n got %q\nwant %q", english(e), c.want)
			}
		})
	}

	// Not a report at all.
	for _, body := range []string{`[1, 2]`, `"ScubaResults"`, `42`, `null`} {
		_, err := decodeString(body)
		if e := codedErr(t, err, reckon.CodeValidation); e.Message.Key != "scubagear.not_a_report" {
			t.Errorf("%s: %v", body, err)
		}
	}
	// A syntax error after a shape problem wins: the rest cannot be trusted.
	_, err := decodeString(`[1, 2`)
	codedErr(t, err, reckon.CodeMalformed)
}

func TestDecodeListsProblemsInOrder(t *testing.T) {
	t.Parallel()
	var controls []ctl
	for i := range 50 {
		controls = append(controls, ctl{ID: fmt.Sprintf("MS.AAD.%dv1", i), Requirement: "R", Result: "Maybe", Criticality: "Shall"})
	}
	_, err := decodeString(reportJSON(metaJSON(testUUID), "AAD", controls))
	e := codedErr(t, err, reckon.CodeValidation)
	if len(e.Fields) != 20 {
		t.Errorf("%d problems listed, want the first 20", len(e.Fields))
	}
	if e.Message.Args["control"] != "MS.AAD.0v1" {
		t.Errorf("the message names %v, want the first control", e.Message.Args["control"])
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestDecodeReadErrorIsNotTheReportsFault(t *testing.T) {
	t.Parallel()
	r := io.MultiReader(strings.NewReader(`{"MetaData": {`), failingReader{})
	_, err := scubagear.Decode(r)
	if err == nil || reckon.ErrorCodeOf(err) != reckon.CodeInternal || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("a failing reader gives %v, want an uncoded read error", err)
	}
}
