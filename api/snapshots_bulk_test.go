package api_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

func init() {
	// The validator reads an NDJSON body as text; the handler reads each
	// line as a report.
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.PlainBodyDecoder)
}

const (
	bulkTenantA = "ca08493a-c9c8-4db0-a9e8-d3b4bafac269"
	bulkTenantB = "27ecc021-87f7-4346-9682-b62bf3966808"
)

// compactReport is a real report on one line, as NDJSON wants it.
func compactReport(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(reckontest.ScubaGearReports(t, name)[0])
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Compact(&out, bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

type bulkAnswer struct {
	Results []struct {
		Name          string  `json:"name"`
		Outcome       string  `json:"outcome"`
		TenantID      *string `json:"tenant_id"`
		EnvironmentID *int64  `json:"environment_id"`
		Snapshot      *struct {
			ID           int64 `json:"id"`
			FindingCount int   `json:"finding_count"`
		} `json:"snapshot"`
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"results"`
	Counts map[string]int `json:"counts"`
}

func decodeBulk(t *testing.T, r *response) bulkAnswer {
	t.Helper()
	var a bulkAnswer
	if err := json.Unmarshal(r.Body, &a); err != nil {
		t.Fatalf("%d %s: %v", r.Status, r.Body, err)
	}
	return a
}

func (a bulkAnswer) outcomes() string {
	var s []string
	for _, r := range a.Results {
		s = append(s, r.Name+"="+r.Outcome)
	}
	return strings.Join(s, " ")
}

func TestImportSnapshotsBulk(t *testing.T) {
	t.Parallel()
	v15 := compactReport(t, "ScubaResults_ca08493a_2025-02-12_v1.5.0.json")
	v16 := compactReport(t, "ScubaResults_ca08493a_2025-07-08_v1.6.0.json")
	v17 := compactReport(t, "ScubaResults_ca08493a_2025-10-06_v1.7.0.json")
	other := compactReport(t, "ScubaResults_27ecc021_2024-12-18_v1.5.0.json")
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := t.Context()
		w.tx(t, func(tx *store.Tx) error { return tx.SetEnvironmentTenant(ctx, w.wsA.ID, w.envA1.ID, bulkTenantA) })
		path := "/api/v1/workspaces/" + w.wsA.Slug + "/evidence-snapshots"
		ndjson := func(token string, lines ...[]byte) *response {
			return w.do(t, req{method: http.MethodPost, path: path, token: token, body: string(bytes.Join(lines, []byte("\n"))),
				header: map[string]string{"Content-Type": "application/x-ndjson"}})
		}

		// Two reports of tenant A, one of a tenant no environment
		// records, one that is not a report.
		r := ndjson(w.owner, v15, []byte(""), v16, other, []byte(`{"MetaData": 1}`))
		a := decodeBulk(t, r)
		if r.Status != http.StatusOK || a.outcomes() != "line 1=imported line 3=imported line 4=unknown_tenant line 5=invalid" {
			t.Fatalf("first import: %d %s", r.Status, a.outcomes())
		}
		if a.Counts["imported"] != 2 || a.Counts["unknown_tenant"] != 1 || a.Counts["invalid"] != 1 {
			t.Errorf("counts %v", a.Counts)
		}
		for _, res := range a.Results[:2] {
			if res.EnvironmentID == nil || *res.EnvironmentID != w.envA1.ID || res.Snapshot == nil || res.Snapshot.FindingCount == 0 {
				t.Errorf("%s: %+v", res.Name, res)
			}
		}
		if res := a.Results[2]; res.TenantID == nil || *res.TenantID != bulkTenantB || res.Snapshot != nil || res.EnvironmentID != nil {
			t.Errorf("unknown tenant: %+v", res)
		}
		if res := a.Results[3]; res.Error == nil || res.Error.Code != "validation_failed" || !strings.Contains(res.Error.Message, "/MetaData") {
			t.Errorf("invalid report: %+v", res.Error)
		}
		// Nothing of tenant B was written: no environment recorded it.
		w.tx(t, func(tx *store.Tx) error {
			env, err := tx.Environment(ctx, w.wsA.ID, w.envA2.ID)
			if err == nil && env.TenantID != "" {
				t.Errorf("environment A2 recorded tenant %q", env.TenantID)
			}
			return err
		})

		// Again: nothing new.
		a = decodeBulk(t, ndjson(w.owner, v15, v16))
		if a.outcomes() != "line 1=already_imported line 2=already_imported" {
			t.Errorf("second import: %s", a.outcomes())
		}

		// Multipart, one report per part, by a member who sees only
		// environment A1: tenant B's environment A2 is not theirs.
		w.tx(t, func(tx *store.Tx) error { return tx.SetEnvironmentTenant(ctx, w.wsA.ID, w.envA2.ID, bulkTenantB) })
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for _, part := range []struct {
			name string
			b    []byte
		}{{"ScubaResults_a.json", v17}, {"ScubaResults_b.json", other}} {
			fw, err := mw.CreateFormFile("report", part.name)
			if err != nil {
				t.Fatal(err)
			}
			fw.Write(part.b)
		}
		mw.Close()
		multi := func(token string) *response {
			return w.do(t, req{method: http.MethodPost, path: path, token: token, body: body.String(),
				header: map[string]string{"Content-Type": mw.FormDataContentType()}})
		}
		a = decodeBulk(t, multi(w.restricted))
		if a.outcomes() != "ScubaResults_a.json=imported ScubaResults_b.json=unknown_tenant" {
			t.Errorf("restricted member: %s", a.outcomes())
		}
		a = decodeBulk(t, multi(w.owner))
		if a.outcomes() != "ScubaResults_a.json=already_imported ScubaResults_b.json=imported" ||
			*a.Results[1].EnvironmentID != w.envA2.ID {
			t.Errorf("owner: %s", a.outcomes())
		}

		// Refusals of the request as a whole.
		for _, tc := range []struct {
			name   string
			r      *response
			status int
		}{
			{"read-only member", ndjson(w.readonly, v15), http.StatusForbidden},
			{"outsider", ndjson(w.outsider, v15), http.StatusNotFound},
			{"no report", ndjson(w.owner, []byte("  ")), http.StatusBadRequest},
			{"native format", w.do(t, req{method: http.MethodPost, path: path + "?format=native", token: w.owner, body: string(v15),
				header: map[string]string{"Content-Type": "application/x-ndjson"}}), http.StatusUnprocessableEntity},
			{"JSON body", w.post(t, w.owner, path, string(v15)), http.StatusBadRequest},
		} {
			if tc.r.Status != tc.status {
				t.Errorf("%s: %d %s, want %d", tc.name, tc.r.Status, tc.r.Body, tc.status)
			}
		}
	})
}
