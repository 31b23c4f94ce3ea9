package api_test

import (
	"net/http"
	"testing"

	"github.com/reckonhq/reckon/reckontest"
)

// fuzzWorlds opens one world per engine for a fuzz target; every input goes
// to each.
func fuzzWorlds(f *testing.F) []*world {
	var out []*world
	for _, engine := range reckontest.Engines(f) {
		out = append(out, newWorld(f, reckontest.Open(f, engine, nil)))
	}
	return out
}

// FuzzSnapshotBody sends arbitrary bodies to the snapshot import, native and
// ScubaGear: never a panic, never a 5xx, never a leak (the client scans).
func FuzzSnapshotBody(f *testing.F) {
	for _, seed := range []string{
		snapshotV1,
		"",
		"{",
		"null",
		"[]",
		`{"captured_at": 5, "findings": {}}`,
		`{"captured_at": "2026-11-27T09:00:00Z", "findings": [{"control_id": 1}]}`,
		`{"captured_at": "2026-13-45T99:00:00Z", "findings": []}`,
		`{"captured_at": "2026-11-27T09:00:00Z", "findings": [{"control_id": "a", "title": "t", "severity": "extreme", "status": "fail"},
			{"control_id": "a", "title": "t", "severity": "high", "status": "fail"}]}`,
		"\xef\xbb\xbf" + snapshotV2,
		`{"captured_at": "2026-11-27T09:00:00Z", "findings": [{"control_id": "\u0000", "title": "\ud800", "severity": "low", "status": "pass"}]}`,
		`{"Results": {"AAD": [{"GroupName": "g", "Controls": [{"Control ID": "MS.AAD.1.1v1", "Result": "Fail", "Criticality": "Shall"}]}]}, "MetaData": {"ReportUUID": "u"}}`,
		`{"captured_at": "2026-11-27T09:00:00Z"} trailing`,
		`{"a":` + string(make([]byte, 64)) + `}`,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	worlds := fuzzWorlds(f)
	f.Fuzz(func(t *testing.T, body []byte, scuba bool) {
		for _, w := range worlds {
			path := "/api/v1/workspaces/" + w.wsA.Slug + "/environments/" + itoa(w.envA1.ID) + "/evidence-snapshots"
			if scuba {
				path += "?format=scubagear"
			}
			res := w.do(t, req{method: http.MethodPost, path: path, token: w.operator, body: string(body)})
			if res.Status >= 500 {
				t.Fatalf("%d for %q: %s\n%s", res.Status, body, res.Body, w.logs.Bytes())
			}
			if res.Status >= 400 && res.errorMessage() == "" {
				t.Fatalf("error without a message for %q: %s", body, res.Body)
			}
		}
	})
}

// FuzzListQuery sends arbitrary query strings to every list: never a panic,
// never a 5xx.
func FuzzListQuery(f *testing.F) {
	for _, seed := range []string{
		"",
		"limit=0",
		"limit=-1&cursor=",
		"limit=99999999999999999999999",
		"cursor=%ff%fe",
		"cursor=azE6OTIyMzM3MjAzNjg1NDc3NTgwNw", // k1:9223372036854775807
		"cursor=azE6MA",                         // k1:0
		"environment=1&status=queued&outcome=pending&type=restore.execute&reconciled=true",
		"environment=9223372036854775808",
		"status=%00&type=%27%3B--",
		"status=ready&environment=1",
		"format=scubagear&limit=1&limit=2",
		"reconciled=TRUE&reconciled=0",
		";;&&==",
	} {
		f.Add(seed)
	}
	worlds := fuzzWorlds(f)
	f.Fuzz(func(t *testing.T, rawQuery string) {
		for _, w := range worlds {
			ws := "/api/v1/workspaces/" + w.wsA.Slug
			for _, path := range []string{
				ws + "/operations",
				ws + "/reviews",
				ws + "/environments/" + itoa(w.envA1.ID) + "/evidence-snapshots",
				"/api/v1/system/operations",
			} {
				token := w.owner
				if path == "/api/v1/system/operations" {
					token = w.support
				}
				res := w.do(t, req{method: http.MethodGet, path: path + "?" + rawQuery, token: token})
				if res.Status >= 500 {
					t.Fatalf("%s?%q: %d: %s", path, rawQuery, res.Status, res.Body)
				}
			}
		}
	})
}
