package console_test

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon/console"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// consoleRoutes reads the console's route table from console.go, so that
// a route added there is in the suite without anyone remembering to add
// it here: every "METHOD path" pattern, with the ws prefix filled in.
func consoleRoutes(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("console.go")
	if err != nil {
		t.Fatal(err)
	}
	ws := regexp.MustCompile(`ws := "([^"]+)"`).FindSubmatch(src)
	if ws == nil {
		t.Fatal("console.go: no ws prefix")
	}
	var out []string
	for _, m := range regexp.MustCompile(`s\.mux\.Handle(?:Func)?\(([^,]+),`).FindAllSubmatch(src, -1) {
		var b strings.Builder
		for _, part := range strings.Split(string(m[1]), "+") {
			part = strings.TrimSpace(part)
			if part == "ws" {
				b.Write(ws[1])
				continue
			}
			if part == "QueuePath" { // River UI's mount: method-less, passed over below
				b.WriteString(console.QueuePath)
				continue
			}
			s, err := strconv.Unquote(part)
			if err != nil {
				t.Fatalf("console.go: route pattern %s", m[1])
			}
			b.WriteString(s)
		}
		p := b.String()
		if strings.HasPrefix(p, "GET /static/") || !strings.Contains(p, " ") {
			continue // files, and the catch-all
		}
		out = append(out, strings.ReplaceAll(p, "{$}", ""))
	}
	if len(out) < 20 {
		t.Fatalf("console.go: only %d routes found: %v", len(out), out)
	}
	return out
}

// formFields are the fields the console's forms read, each sent with
// every hostile value.
var formFields = []string{"email", "password", "next", "return", "lang", "note"}

// hostileForms are the values of formFields: the JSON corpus's values as
// form text, and raw bytes.
func hostileForms() []string {
	out := []string{"\x00", "a\x00b", "\xff", "\xed\xa0\x80", "\xc0\xae", "/x/../\\evil.example", "//evil.example", "\r\n",
		strings.Repeat("x", 100000)}
	for _, v := range reckontest.HostileValues {
		if s, err := strconv.Unquote(v); err == nil {
			v = s
		}
		out = append(out, v)
	}
	return out
}

var consoleSQLSTATE = regexp.MustCompile(`\b(22P05|22P02|22021|22003|22008|22007|54000)\b|(?i:invalid byte sequence|out of range for type)`)

// The console's hostile-input suite: every console route with hostile
// bytes in each path parameter and the query, and every form field, signed
// in and out, on both engines. No answer is a 5xx, every error is the
// console's HTML page without SQL or driver text, and a refused request
// writes nothing (but the sign-in throttle's count, which is its job).
func TestConsoleHostileInputSuite(t *testing.T) {
	t.Parallel()
	routes := consoleRoutes(t)
	eachWorld(t, func(t *testing.T, w *world) {
		w.importSnapshot(t, w.envA1, start.Add(-time.Hour), finding("MS.AAD.1.1", "t", "aad", "high", "fail"))
		rv, run := w.composed(t, w.envA1, w.users["owner"])
		owner, support, anonymous := w.as(t, "owner"), w.as(t, "support"), w.client()

		counts := func() map[string]int64 {
			var c map[string]int64
			w.tx(t, func(tx *store.Tx) (err error) {
				c, err = tx.RowCounts(context.Background())
				return err
			})
			delete(c, "login_throttle")
			return c
		}
		last := counts()
		requests, serverErrors := 0, 0
		send := func(c *client, method, path string, form url.Values) {
			t.Helper()
			p := c.do(t, method, path, form, nil)
			requests++
			what := method + " " + path
			if len(what) > 300 {
				what = what[:300]
			}
			if p.status >= 500 {
				serverErrors++
				t.Errorf("%s %v: %d:\n%.2000s", what, form, p.status, p.body)
			}
			if m := consoleSQLSTATE.FindString(p.body); m != "" {
				t.Errorf("%s: the page leaks %q", what, m)
			}
			now := counts()
			if p.status >= 400 {
				if !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") || !strings.Contains(p.body, "</html>") {
					t.Errorf("%s: %d is not the console's page: %q %.300s", what, p.status, p.header.Get("Content-Type"), p.body)
				}
				if !maps.Equal(now, last) {
					t.Errorf("%s: refused with %d but wrote rows: %v, was %v", what, p.status, now, last)
				}
			}
			last = now
		}
		wildcard := regexp.MustCompile(`\{(\w+)\}`)
		for _, pattern := range routes {
			method, path, _ := strings.Cut(pattern, " ")
			c := owner
			switch {
			case strings.HasPrefix(path, "/system/"):
				c = support
			case path == "/logout":
				c = anonymous // the others stay signed in for the routes after it
			}
			valid := func(name string) string {
				switch {
				case name == "workspace":
					return w.wsA.Slug
				case name == "env":
					return strconv.FormatInt(w.envA1.ID, 10)
				case strings.Contains(path, "/reviews/"):
					return strconv.FormatInt(rv.ID, 10)
				}
				return strconv.FormatInt(run.ID, 10)
			}
			fill := func(hostile, seg string) string {
				return wildcard.ReplaceAllStringFunc(path, func(m string) string {
					if name := m[1 : len(m)-1]; name != hostile {
						return valid(name)
					}
					return seg
				})
			}
			var form url.Values
			if method == http.MethodPost {
				form = url.Values{}
			}
			for _, m := range wildcard.FindAllStringSubmatch(path, -1) {
				for _, seg := range reckontest.HostileSegments {
					send(c, method, fill(m[1], seg), form)
				}
			}
			for _, q := range reckontest.HostileQueries {
				send(c, method, fill("", "")+"?"+q, form)
			}
			if method == http.MethodPost {
				for _, field := range formFields {
					for _, v := range hostileForms() {
						send(c, method, fill("", ""), url.Values{field: {v}, "lang": {"de"}, "email": {w.users["readonly"].Email}})
					}
				}
			}
			// Signed out, every route once with a hostile path.
			send(anonymous, method, fill("workspace", "%00"), form)
		}
		for _, v := range hostileForms() {
			send(anonymous, http.MethodPost, "/login", url.Values{"email": {v}, "password": {v}, "next": {v}})
		}
		t.Logf("%s: %d hostile requests, %d answered 5xx", w.db.Engine(), requests, serverErrors)
	})
}
