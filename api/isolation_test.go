package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// endpointKind groups endpoints by what decides their answer.
type endpointKind int

const (
	kindRoot     endpointKind = iota // GET /workspaces: the caller's own list
	kindListWS                       // a workspace-wide list, filtered by entitlements
	kindReadEnv                      // a read of one environment's records
	kindWriteEnv                     // a write on one environment's records
	kindSystem                       // platform support only
)

type caller struct {
	name  string
	token string
	// status answers an endpoint kind.
	status map[endpointKind]int
	// hidden is what no answer to this caller may contain.
	hidden func(k endpointKind) []string
}

// The isolation matrix: every endpoint of docs/api.md against every caller that
// must not get through, with the answer it must get and the data it must
// never see.
func TestIsolationMatrix(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ws := "/api/v1/workspaces/" + w.wsA.Slug
		env1 := fmt.Sprintf("%s/environments/%d", ws, w.envA1.ID)
		env2 := fmt.Sprintf("%s/environments/%d", ws, w.envA2.ID)

		// Records in both environments of workspace A, made through the API.
		w.startWorker(t)
		expect(t, w.post(t, w.owner, env1+"/evidence-snapshots", snapshotV1), http.StatusCreated)
		snap2 := w.post(t, w.owner, env2+"/evidence-snapshots", snapshotV2)
		expect(t, snap2, http.StatusCreated)
		run1 := obj(w.post(t, w.owner, env1+"/reviews", "").JSON["operation"])
		run2 := obj(w.post(t, w.owner, env2+"/reviews", "").JSON["operation"])
		w.waitCompleted(t, w.owner, obj(run1["links"])["self"].(string))
		w.waitCompleted(t, w.owner, obj(run2["links"])["self"].(string))
		w.stopWorker(t)
		review2 := obj(w.post(t, w.owner, env2+"/reviews", "").JSON["review"])
		if review2 == nil {
			t.Fatal("no review in environment 2")
		}
		rv2 := fmt.Sprintf("%s/reviews/%d", ws, num(review2["id"]))
		op2 := fmt.Sprintf("%s/operations/%d", ws, num(run2["id"]))
		before := w.get(t, w.owner, ws+"/operations").Body

		endpoints := []struct {
			kind         endpointKind
			method, path string
			body         string
		}{
			{kindRoot, "GET", "/api/v1/workspaces", ""},
			{kindListWS, "GET", ws + "/environments", ""},
			{kindListWS, "GET", ws + "/reviews", ""},
			{kindListWS, "GET", ws + "/operations", ""},
			{kindListWS, "GET", ws + "/fleet", ""},
			{kindReadEnv, "GET", env2 + "/evidence-snapshots", ""},
			{kindReadEnv, "GET", rv2, ""},
			{kindReadEnv, "GET", op2, ""},
			{kindReadEnv, "GET", fmt.Sprintf("%s/reviews?environment=%d", ws, w.envA2.ID), ""},
			{kindReadEnv, "GET", fmt.Sprintf("%s/operations?environment=%d", ws, w.envA2.ID), ""},
			{kindWriteEnv, "POST", env2 + "/evidence-snapshots", snapshotV1},
			{kindWriteEnv, "POST", env2 + "/reviews", ""},
			{kindWriteEnv, "POST", ws + "/reviews/compose", fmt.Sprintf(`{"environments": [%d]}`, w.envA2.ID)},
			{kindWriteEnv, "POST", rv2 + "/refresh", ""},
			{kindWriteEnv, "POST", rv2 + "/publish", ""},
			{kindWriteEnv, "POST", rv2 + "/archive", ""},
			{kindWriteEnv, "POST", op2 + "/reconcile", ""},
			{kindReadEnv, "GET", op2 + "/events", ""},
			{kindWriteEnv, "POST", op2 + "/retry", ""},
			{kindWriteEnv, "POST", op2 + "/cancel", ""},
			{kindWriteEnv, "POST", op2 + "/acknowledge", `{"note": "n"}`},
			{kindWriteEnv, "POST", env2 + "/restores", `{"backup_ref": "b-1", "items": [{"key": "k", "payload": {"a": 1}}]}`},
			{kindSystem, "GET", "/api/v1/system/operations", ""},
			{kindSystem, "POST", "/api/v1/system/reconcile", ""},
		}

		// What belongs to workspace A, and to its environment 2.
		quoted := func(s ...string) []string {
			out := make([]string, 0, 2*len(s))
			for _, v := range s {
				out = append(out, `"`+v+`"`, "/"+v+"/")
			}
			return out
		}
		env2Data := append(quoted(w.envA2.Slug, w.envA2.Name, snap2.JSON["content_hash"].(string), review2["fingerprint"].(string)),
			fmt.Sprintf(`"environment_id":%d`, w.envA2.ID))
		wsAData := append(quoted(w.wsA.Slug, w.wsA.Name, w.envA1.Slug, w.envA1.Name), env2Data...)
		nothingOfA := func(k endpointKind) []string { return wsAData }
		all := func(status int) map[endpointKind]int {
			return map[endpointKind]int{kindRoot: status, kindListWS: status, kindReadEnv: status, kindWriteEnv: status, kindSystem: status}
		}
		callers := []caller{
			{"anonymous", "", all(http.StatusUnauthorized), nothingOfA},
			{"revoked token", w.revoked, all(http.StatusUnauthorized), nothingOfA},
			{"member of another workspace", w.outsider,
				map[endpointKind]int{kindRoot: 200, kindListWS: 404, kindReadEnv: 404, kindWriteEnv: 404, kindSystem: 404}, nothingOfA},
			{"platform support", w.support,
				map[endpointKind]int{kindRoot: 200, kindListWS: 404, kindReadEnv: 404, kindWriteEnv: 404, kindSystem: 200},
				func(k endpointKind) []string {
					if k == kindSystem {
						return nil // the platform-wide list is theirs to see
					}
					return wsAData
				}},
			{"member not entitled to the environment", w.restricted,
				map[endpointKind]int{kindRoot: 200, kindListWS: 200, kindReadEnv: 404, kindWriteEnv: 404, kindSystem: 404},
				func(endpointKind) []string { return env2Data }},
			{"readonly member", w.readonly,
				map[endpointKind]int{kindRoot: 200, kindListWS: 200, kindReadEnv: 200, kindWriteEnv: 403, kindSystem: 404},
				func(endpointKind) []string { return nil }},
		}
		// Filtered environment lists answer an empty page to the restricted
		// member rather than 404: a filter that matches nothing.
		emptyForRestricted := map[string]bool{
			fmt.Sprintf("%s/reviews?environment=%d", ws, w.envA2.ID):    true,
			fmt.Sprintf("%s/operations?environment=%d", ws, w.envA2.ID): true,
		}

		for _, c := range callers {
			for _, e := range endpoints {
				want := c.status[e.kind]
				if c.token == w.restricted && emptyForRestricted[e.path] {
					want = http.StatusOK
				}
				res := w.do(t, req{method: e.method, path: e.path, token: c.token, body: e.body})
				if res.Status != want {
					t.Errorf("%s: %s %s = %d, want %d: %s", c.name, e.method, e.path, res.Status, want, res.Body)
					continue
				}
				if want >= 400 {
					wantCode := map[int]string{401: "unauthorized", 403: "forbidden", 404: "not_found"}[want]
					if res.errorCode() != wantCode {
						t.Errorf("%s: %s %s: code %q, want %q", c.name, e.method, e.path, res.errorCode(), wantCode)
					}
				}
				for _, s := range c.hidden(e.kind) {
					if strings.Contains(string(res.Body), s) {
						t.Errorf("%s: %s %s shows %s: %s", c.name, e.method, e.path, s, res.Body)
					}
				}
			}
		}

		// A 404 for "not entitled" reads exactly like one for "not there".
		missing := w.get(t, w.restricted, fmt.Sprintf("%s/reviews/%d", ws, 1<<40))
		hidden := w.get(t, w.restricted, rv2)
		if missing.Status != 404 || missing.errorMessage() != hidden.errorMessage() {
			t.Errorf("hidden and missing differ: %s vs %s", hidden.Body, missing.Body)
		}
		// Nothing the refused callers sent was written.
		if after := w.get(t, w.owner, ws+"/operations").Body; string(after) != string(before) {
			t.Errorf("refused requests changed the operations:\nbefore %s\nafter  %s", before, after)
		}
		snaps := w.get(t, w.owner, env2+"/evidence-snapshots").JSON["snapshots"].([]any)
		if len(snaps) != 1 {
			t.Errorf("refused imports were stored: %d snapshots", len(snaps))
		}
	})
}
