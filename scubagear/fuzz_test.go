package scubagear_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/scubagear"
)

// FuzzDecode feeds the decoder any bytes: it never panics, every error is a
// coded error a transport answers with a 4xx (too large, malformed,
// validation) with a message in every language, and every report it accepts
// is a snapshot the review service accepts.
func FuzzDecode(f *testing.F) {
	good := reportJSON(metaJSON(testUUID), "AAD", []ctl{pass("MS.AAD.1.1v1"),
		{ID: "MS.AAD.2.2v1", Requirement: "R <b>x</b>", Result: "N/A", Criticality: "Shall/Not-Implemented", Details: "See <a href='#x'>here</a>"}},
		"EXO", []ctl{{ID: "MS.EXO.1.1v2", Requirement: "R", Result: "Fail", Criticality: "Shall", Details: "d"}})
	// A header in ScubaGear's own layout (PowerShell's indentation, a mark).
	header := "\xEF\xBB\xBF{\r\n    \"MetaData\":  {\r\n                     \"TenantId\":  \"" + testTenant + "\",\r\n" +
		"                     \"ToolVersion\":  \"1.4.0\",\r\n                     \"TimestampZulu\":  \"2024-08-02T19:25:11.166Z\"\r\n                 },\r\n" +
		"    \"Summary\":  {\r\n                    \"AAD\":  {\r\n                                \"Failures\":  12,\r\n"
	seeds := []string{
		good,
		"\xEF\xBB\xBF" + good,
		"\xEF\xBB\xBF\xEF\xBB\xBF" + good,
		"\xEF\xBB",
		"\xFF\xFE{\x00}\x00",
		"\xFE\xFF\x00{\x00}",
		header,
		header + "}}, \"Results\": {}}",
		good[:len(good)/2],
		good + "{}",
		"",
		"   ",
		"null",
		`[]`,
		`{"MetaData": {}, "MetaData": {}}`,
		`{"Raw": ` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
		`{"Raw": ` + strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat("}", 5000) + `}`,
		strings.Repeat("[", 100000),
		`{"MetaData": {"TenantId": 1}, "Results": {"AAD": [{"Controls": [{"Control ID": ["x"]}]}]}}`,
		`{"MetaData": {"TenantId": "t", "TimestampZulu": "2025-10-06T22:30:54Z"}, "Results": {"AAD": [{"Controls": [{"Control ID": "\ud800", "Requirement": "\xff\xfe", "Result": "Pass", "Criticality": "Shall"}]}]}}`,
		strings.Replace(good, `"Pass"`, `"Maybe"`, 1),
		strings.Replace(good, `"Shall"`, `"Must"`, 1),
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	// Real reports cut short.
	for _, path := range reckontest.ScubaGearReports(f, "") {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:4096])
		f.Add(b[:bytes.Index(b, []byte(`"Raw"`))])
	}
	cat := locale.Default()
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := scubagear.Decode(bytes.NewReader(body))
		if err == nil {
			if err := evidence.Validate(&in); err != nil && reckon.ErrorCodeOf(err) != reckon.CodeTooLarge {
				t.Fatalf("accepted a report the review service refuses: %v\n%+v", err, in)
			}
			return
		}
		var e *reckon.Error
		if !errors.As(err, &e) {
			t.Fatalf("uncoded error %T: %v", err, err)
		}
		switch e.Code {
		case reckon.CodeTooLarge, reckon.CodeMalformed, reckon.CodeValidation:
		default:
			t.Fatalf("code %s: %v", e.Code, err)
		}
		for _, lang := range locale.Languages {
			if !cat.Has(lang, e.Message.Key) {
				t.Fatalf("message key %q is missing in %s", e.Message.Key, lang)
			}
		}
	})
}
