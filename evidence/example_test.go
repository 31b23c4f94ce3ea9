package evidence_test

import (
	"fmt"
	"strings"

	"github.com/reckonhq/reckon/evidence"
)

// The API's ?format= and the CLI's --format choose a decoder the same way.
func ExampleDecoder() {
	body := `{"captured_at": "2026-11-01T08:00:00Z", "findings": [
		{"control_id": "AAD.1", "title": "MFA for admins", "severity": "critical", "status": "fail"},
		{"control_id": "AAD.2", "title": "Legacy authentication blocked", "severity": "high", "status": "pass"}]}`
	decode, ok := evidence.Decoder("native")
	if !ok {
		return
	}
	in, err := decode(strings.NewReader(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(in.CapturedAt, in.Source.Format, len(in.Findings), evidence.ContentHash(in.Findings)[:15])
	if _, ok := evidence.Decoder("csv"); !ok {
		fmt.Println("csv: not a format; use", evidence.Formats)
	}
	// Output:
	// 2026-11-01 08:00:00 +0000 UTC native 2 sha256:09750823
	// csv: not a format; use native, scubagear
}
