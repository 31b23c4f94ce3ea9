package api_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/reckonhq/reckon/api"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// bodyTemplate is a valid body with its values marked @0, @1, …: the suite
// sends it once per mark and hostile value, the others left valid.
type bodyTemplate struct {
	query  string // "?format=…" of the body's route
	body   string
	values []string // the valid value of each mark
}

func (b bodyTemplate) with(mark int, v string) string {
	out := b.body
	for i := len(b.values) - 1; i >= 0; i-- {
		val := b.values[i]
		if i == mark {
			val = v
		}
		out = strings.ReplaceAll(out, fmt.Sprintf("@%d", i), val)
	}
	return out
}

var bodyTemplates = map[string][]bodyTemplate{
	"evidence-snapshots": {
		{body: `{"captured_at": @0, "findings": [{"control_id": @1, "title": @2, "severity": @3, "status": @4, "detail": @5, "product": @6, "group": @7}]}`,
			values: []string{`"2026-11-27T09:00:00Z"`, `"MS.AAD.1.1"`, `"t"`, `"high"`, `"fail"`, `"d"`, `"aad"`, `"g"`}},
		// Unknown fields and repeated names.
		{body: `{"captured_at": "2026-11-27T09:00:00Z", "findings": [{"control_id": "a", "title": "t", "severity": "high", "status": "fail", @0: @1}]}`,
			values: []string{`"extra"`, `1`}},
		{body: `{"captured_at": "2026-11-27T09:00:00Z", "captured_at": @0, "findings": [{"control_id": "a", "title": "t", "severity": "high", "status": "fail"}]}`,
			values: []string{`"2026-11-27T09:00:00Z"`}},
		{query: "?format=scubagear",
			body: `{"Results": {"AAD": [{"GroupName": @0, "Controls": [{"Control ID": @1, "Result": @2, "Criticality": @3, "Details": @4}]}]},` +
				` "MetaData": {"ReportUUID": @5, "TimestampZulu": @6, "TenantId": @7, "ToolVersion": @8}}`,
			values: []string{`"g"`, `"MS.AAD.1.1v1"`, `"Fail"`, `"Shall"`, `"d"`, `"u-1"`, `"2026-11-27T09:00:00.000Z"`, `"t-1"`, `"1.5.0"`}},
	},
	"compose": {
		{body: `{"environments": @0}`, values: []string{`"stale"`}},
		{body: `{"environments": [@0]}`, values: []string{`1`}},
	},
	"restores": {
		{body: `{"backup_ref": @0, "items": [{"key": @1, "payload": {"kind": @2, "n": @3}}]}`,
			values: []string{`"b-1"`, `"k-1"`, `"user"`, `1`}},
		{body: `{"backup_ref": "b-2", "items": [{"key": "k", "payload": @0}], @1: 1}`,
			values: []string{`{"kind": "user"}`, `"extra"`}},
		{body: `{"backup_ref": "b-3", "backup_ref": @0, "items": [{"key": "k", "payload": {"kind": "user"}}]}`,
			values: []string{`"b-3"`}},
	},
}

// sqlstate matches PostgreSQL's error codes for bad input and SQLite's
// wording, which must never reach an answer either.
var sqlstate = regexp.MustCompile(`\b(22P05|22P02|22021|22003|22008|22007|54000)\b|(?i:invalid byte sequence|out of range|unsupported Unicode escape)`)

// hostileRun sends requests and checks every answer: no 5xx, an error in
// the one JSON shape, no SQL or driver text, and — for a refused request —
// no row written anywhere.
type hostileRun struct {
	w         *world
	counts    map[string]int64
	requests  int
	serverErr int
}

func (h *hostileRun) rowCounts(t testing.TB) map[string]int64 {
	t.Helper()
	var counts map[string]int64
	h.w.tx(t, func(tx *store.Tx) (err error) {
		counts, err = tx.RowCounts(context.Background())
		return err
	})
	return counts
}

func (h *hostileRun) send(t *testing.T, rq req) {
	t.Helper()
	res := h.w.do(t, rq)
	h.requests++
	what := fmt.Sprintf("%s %.200q %.200q", rq.method, rq.path, rq.body)
	if res.Status >= 500 {
		h.serverErr++
		t.Errorf("%s: %d: %s", what, res.Status, res.Body)
	}
	if m := sqlstate.Find(res.Body); m != nil {
		t.Errorf("%s: answer leaks %q: %s", what, m, res.Body)
	}
	after := h.rowCounts(t)
	if res.Status >= 400 {
		if res.errorCode() == "" || res.errorMessage() == "" || obj(res.JSON["error"])["request_id"] == nil {
			t.Errorf("%s: %d without the error shape: %s", what, res.Status, res.Body)
		}
		if !maps.Equal(after, h.counts) {
			t.Errorf("%s: refused with %d but wrote rows: %v, was %v", what, res.Status, after, h.counts)
		}
	}
	h.counts = after
}

// The hostile-input suite: every route of the API with hostile bytes in
// each path parameter, hostile query strings, and hostile values in every
// field of every JSON body, on both engines.
func TestHostileInputSuite(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// A composed review and its run, so that {id} names real records.
		_, env, op := w.queueCompose(t)
		w.startWorker(t)
		w.waitCompleted(t, w.owner, obj(op["links"])["self"].(string))
		w.stopWorker(t)
		composed := w.post(t, w.operator, env+"/reviews", "")
		expect(t, composed, http.StatusOK)
		reviewID, runID := itoa(num(obj(composed.JSON["review"])["id"])), itoa(num(op["id"]))

		h := &hostileRun{w: w}
		h.counts = h.rowCounts(t)
		wildcard := regexp.MustCompile(`\{(\w+)\}`)
		for _, pattern := range api.RoutePatterns() {
			method, path, _ := strings.Cut(pattern, " ")
			token := w.owner
			if strings.HasPrefix(path, "/api/v1/system/") {
				token = w.support
			}
			valid := func(name string) string {
				switch name {
				case "workspace":
					return w.wsA.Slug
				case "env":
					return itoa(w.envA1.ID)
				case "id" /* a review or a run, by the route */ :
					if strings.Contains(path, "/reviews/") {
						return reviewID
					}
					return runID
				}
				t.Fatalf("%s: no valid value for {%s}", pattern, name)
				return ""
			}
			fill := func(hostile, seg string) string {
				return wildcard.ReplaceAllStringFunc(path, func(m string) string {
					name := m[1 : len(m)-1]
					if name == hostile {
						return seg
					}
					return valid(name)
				})
			}
			body := func() string {
				if method == http.MethodPost {
					return "{}"
				}
				return ""
			}()
			for _, m := range wildcard.FindAllStringSubmatch(path, -1) {
				for _, seg := range reckontest.HostileSegments {
					h.send(t, req{method: method, path: fill(m[1], seg), token: token, body: body})
				}
			}
			for _, q := range reckontest.HostileQueries {
				h.send(t, req{method: method, path: fill("", "") + "?" + q, token: token, body: body})
			}
			// Bodies sent as anything but JSON.
			if method == http.MethodPost {
				for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "multipart/form-data; boundary=x", "%00"} {
					h.send(t, req{method: method, path: fill("", ""), token: token, body: `{"backup_ref": "b"}`, header: map[string]string{"Content-Type": ct}})
				}
			}
			route := path[strings.LastIndex(path, "/")+1:]
			for _, tpl := range bodyTemplates[route] {
				for mark := range tpl.values {
					for _, v := range reckontest.HostileValues {
						h.send(t, req{method: method, path: fill("", "") + tpl.query, token: token, body: tpl.with(mark, v)})
					}
				}
			}
		}
		// Dot segments and encoded separators between routes.
		for _, p := range []string{
			"/api/v1/workspaces/" + w.wsA.Slug + "/../" + w.wsB.Slug + "/operations",
			"/api/v1/workspaces/" + w.wsA.Slug + "/./operations", "/api/v1//workspaces", "/api/v1/workspaces/",
			"/api/v1/workspaces/" + w.wsA.Slug + "/operations/" + runID + "/..", "/api/v1/%2e%2e/healthz",
		} {
			h.send(t, req{method: http.MethodGet, path: p, token: w.owner})
		}
		t.Logf("%s: %d hostile requests, %d answered 5xx", db.Engine(), h.requests, h.serverErr)
		if h.serverErr > 0 {
			t.Errorf("%d answers were 5xx", h.serverErr)
		}
	})
}

// FuzzHostilePathSegment puts one arbitrary segment in place of each path
// parameter of every route; its seeds are the suite's segments, so every
// test run sends them.
func FuzzHostilePathSegment(f *testing.F) {
	for _, seg := range reckontest.HostileSegments {
		f.Add(seg)
	}
	worlds := fuzzWorlds(f)
	wildcard := regexp.MustCompile(`\{(\w+)\}`)
	f.Fuzz(func(t *testing.T, seg string) {
		if _, err := url.PathUnescape(seg); err != nil || strings.ContainsAny(seg, "/?#") ||
			strings.ContainsFunc(seg, func(r rune) bool { return r <= 0x20 || r >= 0x7f }) {
			seg = escapeSegment(seg) // what a client puts on the wire
		}
		for _, w := range worlds {
			for _, pattern := range api.RoutePatterns() {
				method, path, _ := strings.Cut(pattern, " ")
				token := w.owner
				if strings.HasPrefix(path, "/api/v1/system/") {
					token = w.support
				}
				p := wildcard.ReplaceAllString(path, seg)
				res := w.do(t, req{method: method, path: p, token: token})
				if res.Status >= 500 || (res.Status >= 400 && res.errorCode() == "") {
					t.Fatalf("%s %q: %d: %s", method, p, res.Status, res.Body)
				}
			}
		}
	})
}

// escapeSegment percent-encodes every byte outside printable ASCII and
// the URL's own delimiters.
func escapeSegment(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
