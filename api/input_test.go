package api_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// snapshotAt is a valid native snapshot body captured at the time given.
func snapshotAt(capturedAt string) string {
	return `{"captured_at": "` + capturedAt + `", "findings": [{"control_id": "MS.AAD.1.1", "title": "t", "severity": "high", "status": "fail"}]}`
}

// queueCompose imports snapshotV1 into envA1 and queues a compose; it
// returns the paths of the workspace and the environment, and the run.
func (w *world) queueCompose(t *testing.T) (ws, env string, op map[string]any) {
	t.Helper()
	ws = "/api/v1/workspaces/" + w.wsA.Slug
	env = fmt.Sprintf("%s/environments/%d", ws, w.envA1.ID)
	expect(t, w.post(t, w.operator, env+"/evidence-snapshots", snapshotV1), http.StatusCreated)
	queued := w.post(t, w.operator, env+"/reviews", "")
	expect(t, queued, http.StatusAccepted)
	return ws, env, obj(queued.JSON["operation"])
}

// expectField fails unless the answer is a 422 validation_failed naming
// the field.
func expectField(t *testing.T, what string, res *response, field string) {
	t.Helper()
	if res.Status != http.StatusUnprocessableEntity || res.errorCode() != "validation_failed" || fieldsOf(res)[field] == nil {
		t.Errorf("%s: %d %s, want 422 validation_failed on %s: %s", what, res.Status, res.errorCode(), field, res.Body)
	}
}

// A capture time whose offset carries it past year 9999 (or
// before year 1) in UTC was stored on PostgreSQL and broke the
// environment's list and every compose; SQLite answered 500.
func TestOutOfRangeCaptureTimeIsRefused(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		env := fmt.Sprintf("/api/v1/workspaces/%s/environments/%d", w.wsA.Slug, w.envA1.ID)
		for _, at := range []string{"9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+23:59", "0001-01-01T00:00:00+00:01"} {
			expectField(t, at, w.post(t, w.operator, env+"/evidence-snapshots", snapshotAt(at)), "captured_at")
		}
		list := w.get(t, w.operator, env+"/evidence-snapshots")
		expect(t, list, http.StatusOK)
		if snaps, _ := list.JSON["snapshots"].([]any); len(snaps) != 0 {
			t.Fatalf("stored: %s", list.Body)
		}
		// The environment still works.
		expect(t, w.post(t, w.operator, env+"/evidence-snapshots", snapshotV1), http.StatusCreated)
		expect(t, w.post(t, w.operator, env+"/reviews", ""), http.StatusAccepted)
	})
}

// Restore payloads with NUL, a lone surrogate, raw 0xFF or a
// number past range answered 500 on PostgreSQL (22P05, 22P02, 22021,
// 22003) and were stored on SQLite.
func TestRestorePayloadNoEngineCanStoreIsRefused(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		restores := fmt.Sprintf("/api/v1/workspaces/%s/environments/%d/restores", w.wsA.Slug, w.envA1.ID)
		for _, c := range []struct{ payload, field string }{
			{`{"kind": "user", "name": "a\u0000b"}`, "name"}, {`{"kind": "\ud800"}`, "kind"}, {"{\"kind\": \"\xff\"}", "kind"},
			{`{"kind": "user", "n": 1e999999}`, "n"}, {`{"kind": "user", "n": 1e-999999}`, "n"},
		} {
			res := w.post(t, w.owner, restores, `{"backup_ref": "b-1", "items": [{"key": "k", "payload": `+c.payload+`}]}`)
			expectField(t, c.payload, res, "items[0].payload."+c.field)
		}
		res := w.get(t, w.owner, "/api/v1/workspaces/"+w.wsA.Slug+"/operations")
		expect(t, res, http.StatusOK)
		if ops, _ := res.JSON["operations"].([]any); len(ops) != 0 {
			t.Fatalf("a refused restore left a run: %s", res.Body)
		}
	})
}

// A workspace slug with %00 or %ff answered 500 on PostgreSQL
// (22021); it names no workspace, the same 404 as a missing one.
func TestWorkspaceSlugNoEngineCanStoreIsNotFound(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		missing := w.get(t, w.owner, "/api/v1/workspaces/no-such-workspace/operations")
		expect(t, missing, http.StatusNotFound)
		for _, slug := range []string{w.wsA.Slug + "%00", "%ff", "%ed%a0%80", "a%00b"} {
			res := w.get(t, w.owner, "/api/v1/workspaces/"+slug+"/operations")
			if res.Status != http.StatusNotFound || res.errorMessage() != missing.errorMessage() {
				t.Errorf("%s: %d %s", slug, res.Status, res.Body)
			}
		}
	})
}

// A snapshot captured in the future stayed the newest and
// pinned every compose to it. Capture times more than the skew ahead of the
// server's clock are refused; within it they are fine.
func TestFutureSnapshotIsRefused(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		env := fmt.Sprintf("/api/v1/workspaces/%s/environments/%d", w.wsA.Slug, w.envA1.ID)
		now := db.Now()
		for _, at := range []time.Time{time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), now.Add(6 * time.Minute), now.Add(24 * time.Hour)} {
			expectField(t, at.String(), w.post(t, w.operator, env+"/evidence-snapshots", snapshotAt(at.Format(time.RFC3339))), "captured_at")
		}
		expect(t, w.post(t, w.operator, env+"/evidence-snapshots", snapshotAt(now.Add(4*time.Minute).Format(time.RFC3339))), http.StatusCreated)
		list := w.get(t, w.operator, env+"/evidence-snapshots")
		if snaps, _ := list.JSON["snapshots"].([]any); len(snaps) != 1 {
			t.Fatalf("snapshots: %s", list.Body)
		}
	})
}

// Native snapshots accepted unknown fields and repeated names
// (the last one won); restores refused unknown fields but took repeated
// names. Both refuse both now, naming the field.
func TestJSONBodiesAreStrict(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		env := fmt.Sprintf("/api/v1/workspaces/%s/environments/%d", w.wsA.Slug, w.envA1.ID)
		finding := `{"control_id": "a", "title": "t", "severity": "high", "status": "fail"}`
		for _, c := range []struct{ path, body, field string }{
			{"/evidence-snapshots", `{"captured_at": "2026-11-27T09:00:00Z", "extra": true, "findings": [` + finding + `]}`, "extra"},
			{"/evidence-snapshots", `{"captured_at": "2026-11-27T09:00:00Z", "findings": [{"control_id": "a", "title": "t", "severity": "high", "status": "fail", "owner": "x"}]}`, "findings[0].owner"},
			{"/evidence-snapshots", `{"captured_at": "2026-11-27T09:00:00Z", "captured_at": "2020-01-01T00:00:00Z", "findings": [` + finding + `]}`, "captured_at"},
			{"/evidence-snapshots", `{"captured_at": "2026-11-27T09:00:00Z", "findings": [{"control_id": "a", "control_id": "b", "title": "t", "severity": "high", "status": "fail"}]}`, "findings[0].control_id"},
			{"/restores", `{"backup_ref": "b", "backup_ref": "c", "items": [{"key": "k", "payload": {}}]}`, "backup_ref"},
			{"/restores", `{"backup_ref": "b", "items": [{"key": "k", "payload": {"kind": "a", "kind": "b"}}]}`, "items[0].payload.kind"},
		} {
			expectField(t, c.body, w.post(t, w.owner, env+c.path, c.body), c.field)
		}
	})
}

// The API parsed a text/plain body as JSON. A body must say it
// is JSON; anything else answers 415, the ScubaGear import too.
func TestJSONBodiesNeedTheJSONMediaType(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		env := fmt.Sprintf("/api/v1/workspaces/%s/environments/%d", w.wsA.Slug, w.envA1.ID)
		restore := `{"backup_ref": "b", "items": [{"key": "k", "payload": {"kind": "user"}}]}`
		for _, c := range []struct{ path, body string }{
			{"/evidence-snapshots", snapshotV1}, {"/evidence-snapshots?format=scubagear", "{}"}, {"/restores", restore},
		} {
			for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "application/json; charset=iso-8859-1", "application/jsonp", "nonsense"} {
				res := w.do(t, req{method: http.MethodPost, path: env + c.path, token: w.owner, body: c.body, header: map[string]string{"Content-Type": ct}})
				if res.Status != http.StatusUnsupportedMediaType || res.errorCode() != "unsupported_media_type" {
					t.Errorf("%s as %s: %d %s", c.path, ct, res.Status, res.Body)
				}
			}
			res := w.do(t, req{method: http.MethodPost, path: env + c.path, token: w.owner, body: c.body, header: map[string]string{"Content-Type": ""}})
			if res.Status != http.StatusUnsupportedMediaType {
				t.Errorf("%s without a type: %d %s", c.path, res.Status, res.Body)
			}
		}
		res := w.do(t, req{method: http.MethodPost, path: env + "/restores", token: w.owner, body: restore, header: map[string]string{"Content-Type": "Application/JSON; charset=UTF-8"}})
		expect(t, res, http.StatusAccepted)
	})
}

// Path ids "01" and "+1" and the cursor "k1:+2" were accepted
// as 1 and 2: one record had many URLs. Only the canonical form names it.
func TestNonCanonicalIDsAndCursorsAreRefused(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ws, env, op := w.queueCompose(t)
		id := itoa(num(op["id"]))
		expect(t, w.get(t, w.owner, ws+"/operations/"+id), http.StatusOK)
		expect(t, w.get(t, w.owner, env+"/evidence-snapshots"), http.StatusOK)
		for _, alias := range []string{"0" + id, "+" + id, "%2B" + id, id + "%20", "%20" + id} {
			expect(t, w.get(t, w.owner, ws+"/operations/"+alias), http.StatusNotFound)
		}
		for _, alias := range []string{"0" + itoa(w.envA1.ID), "+" + itoa(w.envA1.ID)} {
			expect(t, w.get(t, w.owner, ws+"/environments/"+alias+"/evidence-snapshots"), http.StatusNotFound)
		}
		for _, c := range []string{"k1:+2", "k1:02", "k1: 2", "k1:2 "} {
			res := w.get(t, w.owner, ws+"/operations?cursor="+base64.RawURLEncoding.EncodeToString([]byte(c)))
			if res.Status != http.StatusBadRequest || res.errorCode() != "malformed" {
				t.Errorf("cursor %q: %d %s", c, res.Status, res.Body)
			}
		}
		for _, v := range []string{"01", "+1"} {
			expectField(t, "environment="+v, w.get(t, w.owner, ws+"/operations?environment="+v), "environment")
		}
	})
}

// "/api/v1/workspaces/acme/../globex/operations" answered the
// mux's 307 text/html; API answers carried no CSP.
func TestUncleanPathsAnswerJSONAndAnswersCarryCSP(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for _, p := range []string{"/api/v1/workspaces/" + w.wsA.Slug + "/../" + w.wsB.Slug + "/operations",
			"/api/v1/workspaces/" + w.wsA.Slug + "/./operations", "/api/v1//workspaces"} {
			res := w.get(t, w.owner, p)
			if res.Status != http.StatusNotFound || res.errorCode() != "not_found" || res.Header.Get("Location") != "" {
				t.Errorf("%s: %d %s", p, res.Status, res.Body)
			}
		}
		for _, res := range []*response{w.get(t, w.owner, "/api/v1/workspaces"), w.get(t, "", "/api/v1/workspaces"),
			w.get(t, w.owner, "/api/v1/nothing")} {
			if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%d answer: CSP %q", res.Status, csp)
			}
		}
	})
}
