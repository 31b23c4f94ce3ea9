package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

func fieldsOf(res *response) map[string]any {
	return obj(obj(res.JSON["error"])["fields"])
}

func TestErrorModel(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		env := fmt.Sprintf("/api/v1/workspaces/%s/environments/%d", w.wsA.Slug, w.envA1.ID)
		restores := env + "/restores"

		cases := []struct {
			name, path, body string
			status           int
			code             string
			field            string // a field error the answer must name
			message          string // a part of the message
		}{
			{"malformed JSON names the position", restores, "{\n  \"backup_ref\": \"b\",\n  \"items\": [}", 400, "malformed", "", "line 3, column 13"},
			{"truncated JSON", restores, `{"backup_ref": "b"`, 400, "malformed", "", "ends too early"},
			{"trailing data", restores, `{"backup_ref": "b", "items": []} {}`, 400, "malformed", "", "after the JSON object"},
			{"not an object", restores, `[1, 2]`, 400, "malformed", "", "JSON object"},
			{"empty body", restores, ``, 400, "malformed", "", "empty"},
			{"wrong type", restores, `{"backup_ref": 7, "items": []}`, 422, "validation_failed", "backup_ref", ""},
			{"unknown field", restores, `{"backup_ref": "b", "items": [], "force": true}`, 422, "validation_failed", "force", ""},
			{"invalid restore", restores, `{"backup_ref": "", "items": []}`, 422, "validation_failed", "backup_ref", ""},
			{"restore body over the limit", restores, `{"backup_ref": "` + strings.Repeat("x", 9<<20) + `"}`, 413, "too_large", "", "bytes"},
			{"snapshot body over the limit", env + "/evidence-snapshots", `{"findings": "` + strings.Repeat("x", 5<<20) + `"}`, 413, "too_large", "", ""},
			{"invalid snapshot", env + "/evidence-snapshots", `{"captured_at": "yesterday", "findings": [{"control_id": "a", "title": "t", "severity": "severe", "status": "pass"}]}`,
				422, "validation_failed", "findings[0].severity", ""},
			{"malformed snapshot", env + "/evidence-snapshots", `{"captured_at": }`, 400, "malformed", "", "column"},
			{"unknown format", env + "/evidence-snapshots?format=csv", snapshotV1, 422, "validation_failed", "format", ""},
			{"unknown route", "/api/v1/nothing/here", "", 404, "not_found", "", ""},
			{"non-numeric id", fmt.Sprintf("/api/v1/workspaces/%s/environments/abc/restores", w.wsA.Slug), "{}", 404, "not_found", "", ""},
		}
		for _, c := range cases {
			res := w.post(t, w.owner, c.path, c.body)
			if res.Status != c.status || res.errorCode() != c.code {
				t.Errorf("%s: %d %s, want %d %s: %.300s", c.name, res.Status, res.errorCode(), c.status, c.code, res.Body)
				continue
			}
			if c.field != "" && fieldsOf(res)[c.field] == nil {
				t.Errorf("%s: no field error for %s: %s", c.name, c.field, res.Body)
			}
			if !strings.Contains(res.errorMessage(), c.message) {
				t.Errorf("%s: message %q does not say %q", c.name, res.errorMessage(), c.message)
			}
			if obj(res.JSON["error"])["request_id"] != res.Header.Get("X-Request-Id") {
				t.Errorf("%s: the error does not carry the request id", c.name)
			}
		}

		// German, fields included.
		res := w.do(t, req{method: http.MethodPost, path: restores, token: w.owner, body: `{"backup_ref": 7, "items": []}`,
			header: map[string]string{"Accept-Language": "de"}})
		if res.errorMessage() != "Die Eingabe ist ungültig." || !strings.Contains(fieldsOf(res)["backup_ref"].(string), "JSON-Wert vom Typ string") {
			t.Errorf("German validation: %s", res.Body)
		}
		res = w.do(t, req{method: http.MethodPost, path: restores, token: w.owner, body: "{",
			header: map[string]string{"Accept-Language": "de"}})
		if !strings.Contains(res.errorMessage(), "endet zu früh") {
			t.Errorf("German malformed: %s", res.Body)
		}

		// A good restore is accepted, and the same request while it is
		// active answers the same run.
		body := `{"backup_ref": "nightly-2026-11-27", "items": [{"key": "policy/1", "payload": {"enabled": true}}, {"key": "policy/2", "payload": {}}]}`
		first := w.post(t, w.manager, restores, body)
		expect(t, first, http.StatusAccepted)
		op, rs := obj(first.JSON["operation"]), obj(first.JSON["restore"])
		if op["type"] != "restore.execute" || rs["backup_ref"] != "nightly-2026-11-27" || num(rs["items_total"]) != 2 ||
			num(rs["operation_run_id"]) != num(op["id"]) || rs["status"] != "pending" {
			t.Fatalf("restore: %s", first.Body)
		}
		again := w.post(t, w.manager, restores, body)
		expect(t, again, http.StatusAccepted)
		if num(obj(again.JSON["operation"])["id"]) != num(op["id"]) {
			t.Fatalf("a repeated restore made a second run: %s", again.Body)
		}
		// German compose answer.
		expect(t, w.post(t, w.operator, env+"/evidence-snapshots", snapshotV1), http.StatusCreated)
		res = w.do(t, req{method: http.MethodPost, path: env + "/reviews", token: w.operator, header: map[string]string{"Accept-Language": "de"}})
		expect(t, res, http.StatusAccepted)
		if msg := res.JSON["message"].(string); msg == "" || msg == "review.result.queued" || strings.Contains(msg, "queued") {
			t.Errorf("German compose message: %q", msg)
		}
		if obj(res.JSON["operation"])["type_label"] != "Umgebungsprüfung erstellen" {
			t.Errorf("German type label: %s", res.Body)
		}
	})
}
