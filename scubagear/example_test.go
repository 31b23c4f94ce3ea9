package scubagear_test

import (
	"fmt"
	"strings"

	"github.com/reckonhq/reckon/scubagear"
)

func ExampleDecode() {
	report := "\xEF\xBB\xBF" + `{
    "MetaData": {"TenantId": "ca08493a-c9c8-4db0-a9e8-d3b4bafac269", "ToolVersion": "1.7.0",
                 "TimestampZulu": "2025-10-06T22:30:54.153Z", "ReportUUID": "dfd70a15-3042-4bc9-8e02-61d4f868be10"},
    "Summary": {"AAD": {"Passes": 1, "Failures": 1, "Manual": 1}},
    "Results": {"AAD": [{"GroupName": "Legacy Authentication", "Controls": [
        {"Control ID": "MS.AAD.1.1v1", "Requirement": "Legacy authentication SHALL be blocked.",
         "Result": "Pass", "Criticality": "Shall", "Details": "1 policy found:<br/>MS.AAD.1.1v1 <a href='#caps'>View all CA policies</a>."},
        {"Control ID": "MS.AAD.3.3v1", "Requirement": "If phishing-resistant MFA has not been enforced, Microsoft Authenticator SHALL be configured to show login context information.",
         "Result": "Fail", "Criticality": "Shall", "Details": "Not configured"},
        {"Control ID": "MS.AAD.2.2v1", "Requirement": "A notification SHOULD inform an administrator when a high-risk user is detected.",
         "Result": "N/A", "Criticality": "Should/Not-Implemented", "Details": "Check by hand"}]}]},
    "Raw": {"the tenant's configuration export": "skipped, never stored"}
}`
	in, err := scubagear.Decode(strings.NewReader(report))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(in.CapturedAt, in.Source.Format, in.Source.ExternalID, in.Source.TenantID)
	for _, f := range in.Findings {
		fmt.Printf("%s/%s %s: %s %s %q\n", f.Product, f.Group, f.ControlID, f.Status, f.Severity, f.Detail)
	}
	// Output:
	// 2025-10-06 22:30:54.153 +0000 UTC scubagear dfd70a15-3042-4bc9-8e02-61d4f868be10 ca08493a-c9c8-4db0-a9e8-d3b4bafac269
	// AAD/Legacy Authentication MS.AAD.1.1v1: pass high "1 policy found:\nMS.AAD.1.1v1 View all CA policies."
	// AAD/Legacy Authentication MS.AAD.3.3v1: fail high "Not configured"
	// AAD/Legacy Authentication MS.AAD.2.2v1: not_applicable info "Check by hand"
}
