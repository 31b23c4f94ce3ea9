package api_test

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// fleetOf returns a fleet page's environments by id, in the page's order.
func fleetOf(t testing.TB, res *response) ([]int64, map[int64]map[string]any) {
	t.Helper()
	expect(t, res, http.StatusOK)
	list, ok := res.JSON["environments"].([]any)
	if !ok {
		t.Fatalf("no environments: %s", res.Body)
	}
	var ids []int64
	byID := map[int64]map[string]any{}
	for _, v := range list {
		e := obj(v)
		ids = append(ids, num(e["id"]))
		byID[num(e["id"])] = e
	}
	return ids, byID
}

// The fleet shows each environment the caller sees at a glance: tenant,
// newest evidence, latest review with its score, staleness, attention and
// the last operation — and its filters pick the environments they name.
func TestFleetAtAGlance(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ws := "/api/v1/workspaces/" + w.wsA.Slug
		env1 := fmt.Sprintf("%s/environments/%d", ws, w.envA1.ID)
		w.startWorker(t)
		expect(t, w.post(t, w.owner, env1+"/evidence-snapshots", snapshotV1), http.StatusCreated)
		op := obj(w.post(t, w.owner, env1+"/reviews", "").JSON["operation"])
		w.waitCompleted(t, w.owner, obj(op["links"])["self"].(string))
		w.stopWorker(t)
		reviewed := obj(w.post(t, w.owner, env1+"/reviews", "").JSON["review"])
		newer := w.post(t, w.owner, env1+"/evidence-snapshots", snapshotV2)
		expect(t, newer, http.StatusCreated)
		// A failed restore: the environment needs attention, and it is the
		// last operation.
		var failed *reckon.Run
		w.tx(t, func(tx *store.Tx) error {
			if err := tx.InsertRunBatch(context.Background(), &store.RunBatch{Scope: scopeOf(w.envA1), Type: reckon.RunTypeRestoreExecute,
				Status: reckon.RunCompleted, Outcome: reckon.OutcomeFailed, Count: 1, KeyPrefix: "fleet-", CreatedAt: tx.Now(), DeadlineAt: tx.Now()}); err != nil {
				return err
			}
			runs, err := tx.ListRuns(context.Background(), &store.RunFilter{WorkspaceID: w.wsA.ID, Limit: 1})
			failed = runs[0]
			if err == nil {
				err = tx.SetEnvironmentTenant(context.Background(), w.wsA.ID, w.envA2.ID, "8f2e6b51-6c1a-4b8e-9d3f-0a7c5e4d2b19")
			}
			return err
		})

		res := w.get(t, w.readonly, ws+"/fleet")
		ids, byID := fleetOf(t, res)
		if len(ids) != 2 || num(res.JSON["count"]) != 2 || res.JSON["next_cursor"] != nil {
			t.Fatalf("fleet: %s", res.Body)
		}
		if s := obj(res.JSON["summary"]); num(s["environments"]) != 2 || num(s["stale"]) != 1 || num(s["never_reviewed"]) != 1 || num(s["needs_attention"]) != 1 {
			t.Errorf("summary: %v", s)
		}
		e1, e2 := byID[w.envA1.ID], byID[w.envA2.ID]
		if e1["slug"] != w.envA1.Slug || e1["name"] != w.envA1.Name || e1["tenant_id"] != nil || e2["tenant_id"] != "8f2e6b51-6c1a-4b8e-9d3f-0a7c5e4d2b19" {
			t.Errorf("names and tenants: %v %v", e1, e2)
		}
		if ev := obj(e1["newest_evidence"]); num(ev["id"]) != num(newer.JSON["id"]) || ev["captured_at"] != "2026-11-28T09:00:00Z" {
			t.Errorf("newest evidence: %v", ev)
		}
		lr := obj(e1["latest_review"])
		if num(lr["id"]) != num(reviewed["id"]) || lr["status"] != "ready" || lr["score"] == nil || num(lr["failing"]) != 2 ||
			lr["composed_at"] == nil || obj(lr["links"])["self"] != fmt.Sprintf("%s/reviews/%d", ws, num(reviewed["id"])) {
			t.Errorf("latest review: %v", lr)
		}
		if e1["stale"] != true || num(e1["attention"]) != 1 || num(obj(e1["attention_counts"])["failed"]) != 1 {
			t.Errorf("stale and attention: %v %v %v", e1["stale"], e1["attention"], e1["attention_counts"])
		}
		if last := obj(e1["last_operation"]); num(last["id"]) != failed.ID || last["outcome"] != "failed" || last["type"] != string(reckon.RunTypeRestoreExecute) {
			t.Errorf("last operation: %v", last)
		}
		if trend, _ := e1["score_trend"].([]any); len(trend) != 1 || num(obj(trend[0])["review_id"]) != num(reviewed["id"]) ||
			num(obj(trend[0])["score"]) != num(lr["score"]) {
			t.Errorf("trend: %v", e1["score_trend"])
		}
		if obj(e1["links"])["console"] != fmt.Sprintf("/admin/workspaces/%s/environments/%d", w.wsA.Slug, w.envA1.ID) {
			t.Errorf("links: %v", e1["links"])
		}
		if e2["newest_evidence"] != nil || e2["latest_review"] != nil || e2["stale"] != false || num(e2["attention"]) != 0 ||
			e2["last_operation"] != nil || len(e2["score_trend"].([]any)) != 0 {
			t.Errorf("an environment without history: %v", e2)
		}

		// The filters.
		for query, want := range map[string][]int64{
			"stale=true":                          {w.envA1.ID},
			"never_reviewed=true":                 {w.envA2.ID},
			"needs_attention=true":                {w.envA1.ID},
			"failing_above=1":                     {w.envA1.ID},
			"failing_above=2":                     nil,
			"failing_above=0&never_reviewed=true": nil,
			"stale=false":                         {w.envA1.ID, w.envA2.ID},
		} {
			res := w.get(t, w.readonly, ws+"/fleet?"+query)
			got, _ := fleetOf(t, res)
			slices.Sort(got)
			if fmt.Sprint(got) != fmt.Sprint(want) || num(res.JSON["count"]) != int64(len(want)) || num(obj(res.JSON["summary"])["environments"]) != 2 {
				t.Errorf("%s: %v (count %v), want %v", query, got, res.JSON["count"], want)
			}
		}
		// A member entitled to one environment sees only it, and counts
		// only it.
		res = w.get(t, w.restricted, ws+"/fleet")
		if ids, _ := fleetOf(t, res); len(ids) != 1 || ids[0] != w.envA1.ID || num(obj(res.JSON["summary"])["environments"]) != 1 {
			t.Errorf("restricted: %s", res.Body)
		}
		// What is not a filter is refused.
		for query, field := range map[string]string{"stale=maybe": "stale", "failing_above=-1": "failing_above",
			"failing_above=01": "failing_above", "failing_above=x": "failing_above", "sort=size": "sort", "order=up": "order",
			"limit=0": "limit", "never_reviewed=2": "never_reviewed"} {
			expectField(t, query, w.get(t, w.readonly, ws+"/fleet?"+query), field)
		}
		for _, cursor := range []string{"garbage", "azE6MTA", strings.Repeat("A", 40)} {
			if res := w.get(t, w.readonly, ws+"/fleet?cursor="+cursor); res.Status != http.StatusBadRequest || res.errorCode() != "malformed" {
				t.Errorf("cursor %s: %d %s", cursor, res.Status, res.Body)
			}
		}
	})
}

// Every sort pages through the whole fleet in its order — missing values
// last whichever way — without repeating or losing an environment, even as
// environments are added between pages; a cursor of another sort is
// refused.
func TestFleetSortsAndPages(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ws := "/api/v1/workspaces/" + w.wsA.Slug
		reckontest.FillFleet(t, db, w.wsA, reckontest.FleetOptions{Environments: 21, Reviews: 2, RunsPerEnvironment: 2})
		_, all := fleetOf(t, w.get(t, w.readonly, ws+"/fleet?limit=200"))
		if len(all) != 23 {
			t.Fatalf("%d environments", len(all))
		}
		// The expected orders, from the answer's own fields.
		type key struct {
			missing bool
			value   int64
		}
		keyOf := map[string]func(e map[string]any) key{
			"name": func(map[string]any) key { return key{} },
			"score": func(e map[string]any) key {
				if lr := obj(e["latest_review"]); lr != nil && lr["score"] != nil {
					return key{value: num(lr["score"])}
				}
				return key{missing: true}
			},
			"evidence": func(e map[string]any) key {
				if ev := obj(e["newest_evidence"]); ev != nil {
					at, err := time.Parse(time.RFC3339Nano, ev["captured_at"].(string))
					if err != nil {
						t.Fatal(err)
					}
					return key{value: at.UnixMicro()}
				}
				return key{missing: true}
			},
			"attention": func(e map[string]any) key { return key{value: num(e["attention"])} },
		}
		for sortBy, order := range map[string][]string{"name": {"", "asc", "desc"}, "score": {"", "desc"},
			"evidence": {"", "asc"}, "attention": {"", "asc"}} {
			for _, dir := range order {
				natural := map[string]string{"name": "asc", "score": "asc", "evidence": "desc", "attention": "desc"}[sortBy]
				desc := dir == "desc" || (dir == "" && natural == "desc")
				var want []int64
				for id := range all {
					want = append(want, id)
				}
				slices.SortFunc(want, func(a, b int64) int {
					ka, kb := keyOf[sortBy](all[a]), keyOf[sortBy](all[b])
					flip := func(c int) int {
						if desc {
							return -c
						}
						return c
					}
					if ka.missing != kb.missing {
						if ka.missing {
							return 1
						}
						return -1
					}
					if c := cmp.Compare(ka.value, kb.value); c != 0 {
						return flip(c)
					}
					if sortBy != "name" {
						flip = func(c int) int { return c }
					}
					na, nb := all[a]["name"].(string), all[b]["name"].(string)
					if c := cmp.Compare(strings.ToLower(na), strings.ToLower(nb)); c != 0 {
						return flip(c)
					}
					return flip(cmp.Compare(a, b))
				})
				q := url.Values{"sort": {sortBy}, "limit": {"4"}}
				if dir != "" {
					q.Set("order", dir)
				}
				var got []int64
				next := ""
				for page := 0; page < 10; page++ {
					if next != "" {
						q.Set("cursor", next)
					}
					res := w.get(t, w.readonly, ws+"/fleet?"+q.Encode())
					ids, _ := fleetOf(t, res)
					got = append(got, ids...)
					if num(res.JSON["count"]) != 23 {
						t.Fatalf("count %v", res.JSON["count"])
					}
					if next = nextCursorOf(res); next == "" {
						break
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("sort=%s order=%q:\n got %v\nwant %v", sortBy, dir, got, want)
				}
			}
		}
		// Environments added between pages: one whose name sorts before the
		// page's end is not shown, one after it is; none repeats.
		var names []int64
		q := ws + "/fleet?limit=10"
		firstPage := w.get(t, w.readonly, q)
		page, _ := fleetOf(t, firstPage)
		names = append(names, page...)
		var early, late *reckon.Environment
		w.tx(t, func(tx *store.Tx) (err error) {
			if early, err = tx.CreateEnvironment(context.Background(), w.wsA.ID, "aaa-early", "AAA early", ""); err != nil {
				return err
			}
			late, err = tx.CreateEnvironment(context.Background(), w.wsA.ID, "zzz-late", "zzz late", "")
			return err
		})
		for next := nextCursorOf(firstPage); next != ""; {
			res := w.get(t, w.readonly, q+"&cursor="+next)
			page, _ := fleetOf(t, res)
			names = append(names, page...)
			next = nextCursorOf(res)
		}
		if len(names) != 24 || names[23] != late.ID || slices.Contains(names, early.ID) {
			t.Errorf("pages across inserts: %v (early %d, late %d)", names, early.ID, late.ID)
		}
		seen := map[int64]bool{}
		for _, id := range names {
			if seen[id] {
				t.Errorf("environment %d twice", id)
			}
			seen[id] = true
		}

		// A cursor belongs to its sort and order.
		first := w.get(t, w.readonly, ws+"/fleet?sort=score&limit=2")
		cursor := nextCursorOf(first)
		for _, q := range []string{"sort=name", "sort=score&order=desc", ""} {
			res := w.get(t, w.readonly, ws+"/fleet?cursor="+cursor+"&"+q)
			if res.Status != http.StatusBadRequest || res.errorCode() != "malformed" {
				t.Errorf("%s with a score cursor: %d %s", q, res.Status, res.Body)
			}
		}
		expect(t, w.get(t, w.readonly, ws+"/fleet?sort=score&order=asc&cursor="+cursor), http.StatusOK)
	})
}

// reckonText is a text of the catalog in a language.
func reckonText(lang, key string) string { return locale.Default().Translate(lang, key, nil) }

// Bulk compose: each environment's result as a single compose would give
// it, all at once; again, nothing is multiplied; the caller's grant
// decides what they may name.
func TestBulkCompose(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ws := "/api/v1/workspaces/" + w.wsA.Slug
		env1 := fmt.Sprintf("%s/environments/%d", ws, w.envA1.ID)
		env2 := fmt.Sprintf("%s/environments/%d", ws, w.envA2.ID)
		envA3 := w.fx.Environment(w.wsA)
		w.startWorker(t)
		expect(t, w.post(t, w.owner, env1+"/evidence-snapshots", snapshotV1), http.StatusCreated)
		op := obj(w.post(t, w.owner, env1+"/reviews", "").JSON["operation"])
		w.waitCompleted(t, w.owner, obj(op["links"])["self"].(string))
		w.stopWorker(t)
		expect(t, w.post(t, w.owner, env1+"/evidence-snapshots", snapshotV2), http.StatusCreated)
		expect(t, w.post(t, w.owner, env2+"/evidence-snapshots", snapshotV1), http.StatusCreated)

		compose := func(token, body string, lang ...string) (map[int64]map[string]any, *response) {
			t.Helper()
			rq := req{method: http.MethodPost, path: ws + "/reviews/compose", token: token, body: body}
			if len(lang) > 0 {
				rq.header = map[string]string{"Accept-Language": lang[0]}
			}
			res := w.do(t, rq)
			expect(t, res, http.StatusAccepted)
			out := map[int64]map[string]any{}
			for _, v := range res.JSON["results"].([]any) {
				out[num(obj(v)["environment_id"])] = obj(v)
			}
			return out, res
		}
		runCount := func() int64 {
			var n int64
			w.tx(t, func(tx *store.Tx) (err error) {
				n, err = tx.CountRuns(context.Background(), w.wsA.ID)
				return err
			})
			return n
		}

		got, res := compose(w.operator, `{"environments": "stale"}`)
		if len(got) != 1 || got[w.envA1.ID]["result"] != "queued" || obj(got[w.envA1.ID]["operation"])["status"] != "queued" {
			t.Fatalf("stale: %s", res.Body)
		}
		if c := obj(res.JSON["counts"]); num(c["queued"]) != 1 || num(c["already_running"]) != 0 {
			t.Errorf("counts: %v", c)
		}
		queued := num(obj(got[w.envA1.ID]["operation"])["id"])
		before := runCount()
		got, _ = compose(w.operator, `{"environments": "stale"}`)
		if got[w.envA1.ID]["result"] != "already_running" || num(obj(got[w.envA1.ID]["operation"])["id"]) != queued || runCount() != before {
			t.Fatalf("stale again: %v, %d runs from %d", got, runCount(), before)
		}

		got, res = compose(w.operator, `{"environments": "all"}`, "de")
		want := map[int64]string{w.envA1.ID: "already_running", w.envA2.ID: "queued", envA3.ID: "no_evidence"}
		for id, result := range want {
			if got[id]["result"] != result {
				t.Errorf("all: environment %d %v, want %s", id, got[id], result)
			}
		}
		if len(got) != 3 || got[envA3.ID]["operation"] != nil || got[envA3.ID]["message"] != reckonText("de", "review.result.no_evidence") {
			t.Errorf("all: %s", res.Body)
		}
		before = runCount()
		got, _ = compose(w.operator, `{"environments": "all"}`)
		if got[w.envA1.ID]["result"] != "already_running" || got[w.envA2.ID]["result"] != "already_running" || runCount() != before {
			t.Errorf("all again: %v; %d runs from %d", got, runCount(), before)
		}

		// Once composed, the reviews are up to date, and say so.
		w.startWorker(t)
		for _, e := range got {
			if op := obj(e["operation"]); op != nil {
				w.waitCompleted(t, w.owner, obj(op["links"])["self"].(string))
			}
		}
		got, _ = compose(w.operator, fmt.Sprintf(`{"environments": [%d, %d, %d]}`, w.envA2.ID, w.envA1.ID, w.envA2.ID))
		for _, id := range []int64{w.envA1.ID, w.envA2.ID} {
			if v := obj(got[id]["review"]); got[id]["result"] != "up_to_date" || v == nil || v["stale"] != false || v["status"] != "ready" {
				t.Errorf("listed: %d %v", id, got[id])
			}
		}
		if len(got) != 2 {
			t.Errorf("listed twice: %v", got)
		}
		if got, _ := compose(w.operator, `{"environments": "stale"}`); len(got) != 0 {
			t.Errorf("nothing is stale any more: %v", got)
		}

		// The grant decides: a readonly member may not compose; a member
		// entitled to envA1 composes only it and is told envA2 does not
		// exist, exactly as a missing one.
		post := func(token, body string) *response {
			return w.post(t, token, ws+"/reviews/compose", body)
		}
		if res := post(w.readonly, `{"environments": "all"}`); res.Status != http.StatusForbidden {
			t.Errorf("readonly: %d %s", res.Status, res.Body)
		}
		hidden := post(w.restricted, fmt.Sprintf(`{"environments": [%d]}`, w.envA2.ID))
		missing := post(w.owner, `{"environments": [999999]}`)
		foreign := post(w.owner, fmt.Sprintf(`{"environments": [%d]}`, w.envB.ID))
		for _, r := range []*response{hidden, missing, foreign} {
			if r.Status != http.StatusNotFound || r.errorMessage() != hidden.errorMessage() {
				t.Errorf("not found: %d %s", r.Status, r.Body)
			}
		}
		if got, _ := compose(w.restricted, `{"environments": "all"}`); len(got) != 1 || got[w.envA1.ID] == nil {
			t.Errorf("restricted all: %v", got)
		}
		// Bodies that name no environments.
		for body, field := range map[string]string{`{}`: "environments", `{"environments": "some"}`: "environments",
			`{"environments": []}`: "environments", `{"environments": [0]}`: "environments[0]", `{"environments": ["1"]}`: "environments[0]",
			`{"environments": [1.5]}`: "environments[0]", `{"environments": 3}`: "environments", `{"environments": null}`: "environments",
			`{"environments": "all", "x": 1}`: "x"} {
			expectField(t, body, post(w.operator, body), field)
		}
		if res := post(w.operator, ""); res.Status != http.StatusBadRequest {
			t.Errorf("no body: %d %s", res.Status, res.Body)
		}
	})
}
