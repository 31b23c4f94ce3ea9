package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/console"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

func TestSystemRunsAreForPlatformSupportOnly(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		h := w.history(t)
		support := w.as(t, "support")
		// Support belongs to no workspace: the workspace list says so.
		expect(t, support.get(t, "/admin"), http.StatusOK, en("console.workspaces.none"), `href="/system/ops/runs"`)

		p := support.get(t, "/system/ops/runs")
		expect(t, p, http.StatusOK, en("console.system.title"), w.wsA.Name, w.wsB.Name,
			`<optgroup label="`+w.wsA.Name+`">`, `<label for="filter-reconciled">`)
		if got, want := fmt.Sprint(rowIDs(p)), fmt.Sprint(ids(h.foreign, h.queued, h.blocked, h.stale, h.succeeded)); got != want {
			t.Fatalf("system rows %s, want %s", got, want)
		}
		// Read-only: no action anywhere.
		lacks(t, p, `method="post" action="/admin`)
		p = support.get(t, fmt.Sprintf("/system/ops/runs?environment=%d", w.envB.ID))
		if got := rowIDs(p); fmt.Sprint(got) != fmt.Sprint(ids(h.foreign)) {
			t.Fatalf("system filter by environment: %v", got)
		}
		p = support.get(t, "/system/ops/runs?outcome=blocked")
		if got := rowIDs(p); fmt.Sprint(got) != fmt.Sprint(ids(h.blocked)) {
			t.Fatalf("system filter by outcome: %v", got)
		}

		// A run's system page: decision first, no action, runs only link.
		p = support.get(t, fmt.Sprintf("/system/ops/runs/%d", h.blocked.ID))
		expect(t, p, http.StatusOK, en(review.ReasonAmbiguous), en("console.check.review_ambiguous"), w.wsA.Name)
		sectionOrder(t, p)
		lacks(t, p, `href="/admin/workspaces/`, en("console.action.reconcile_now"))
		p = support.get(t, fmt.Sprintf("/system/ops/runs/%d", h.queued.ID))
		lacks(t, p, en("console.action.reconcile_now"), `action="/admin`)
		expect(t, support.get(t, "/system/ops/runs/999999"), http.StatusNotFound)

		// Everyone else is told it does not exist.
		for _, name := range []string{"owner", "operator", "outsider"} {
			c := w.as(t, name)
			expect(t, c.get(t, "/system/ops/runs"), http.StatusNotFound)
			expect(t, c.get(t, fmt.Sprintf("/system/ops/runs/%d", h.succeeded.ID)), http.StatusNotFound)
			lacks(t, c.get(t, "/notifications"), `href="/system/ops/runs"`)
		}
	})
}

func TestNotificationsTellTheInitiator(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		h := w.history(t)
		operator := w.as(t, "operator")
		// The operator started the composed run: it ended, and they are told.
		p := operator.get(t, "/notifications")
		expect(t, p, http.StatusOK, en("console.notifications.title"),
			`<span class="count">1<span class="visually-hidden"> `+en("console.nav.unread"),
			en("console.notifications.run_ended", "type", "Compose environment review", "where", w.envA1.Name),
			`<span class="badge badge-ok">Succeeded</span>`, en(review.ReasonAvailable),
			`href="`+opPath(w.wsA, h.succeeded.ID)+`">`+en("console.action.open_operation"),
			en("console.notifications.mark_read"), en("console.notifications.read_all"))
		// Every page shows the unread count.
		expect(t, operator.get(t, opPath(w.wsA, h.succeeded.ID)), http.StatusOK, `<span class="count">1<`)

		// Others have none, and cannot mark someone else's.
		owner := w.as(t, "owner")
		expect(t, owner.get(t, "/notifications"), http.StatusOK, en("console.notifications.empty"))
		var id int64
		w.tx(t, func(tx *store.Tx) error {
			list, err := tx.NotificationsOfUser(context.Background(), w.users["operator"].ID, 0, 10)
			if err != nil || len(list) != 1 {
				t.Fatalf("notifications %v %v", list, err)
			}
			id = list[0].ID
			return nil
		})
		expect(t, owner.post(t, fmt.Sprintf("/notifications/%d/read", id), nil), http.StatusNotFound)

		// Marking read clears the count.
		p = operator.follow(t, operator.post(t, fmt.Sprintf("/notifications/%d/read", id), nil))
		expect(t, p, http.StatusOK, en(review.ReasonAvailable))
		lacks(t, p, `<span class="count">`, en("console.notifications.mark_read"))

		// A new ending arrives unread; mark all read.
		w.importSnapshot(t, w.envA2, start, baseFindings...)
		w.composed(t, w.envA2, w.users["operator"])
		p = operator.get(t, "/notifications")
		expect(t, p, http.StatusOK, `<span class="count">1<`, w.envA2.Name, en("console.notifications.read_all"))
		p = operator.follow(t, operator.post(t, "/notifications/read", nil))
		expect(t, p, http.StatusOK, w.envA2.Name)
		lacks(t, p, `<span class="count">`, en("console.notifications.mark_read"), en("console.notifications.read_all"))
	})
}

func TestLanguageSwitchPersists(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		h := w.history(t)
		// Signed out: Accept-Language, then the switch, kept in a cookie.
		anon := w.client()
		anon.lang = "de-DE,de;q=0.9,en;q=0.5"
		p := anon.get(t, "/login")
		expect(t, p, http.StatusOK, `<html lang="de">`, "Anmelden", `aria-pressed="true">Deutsch`)
		anon.lang = "fr"
		expect(t, anon.get(t, "/login"), http.StatusOK, `<html lang="en">`, "Sign in")
		p = anon.post(t, "/language", url.Values{"lang": {"de"}, "return": {"/login"}})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login" {
			t.Fatalf("switch: %d %s", p.status, p.header.Get("Location"))
		}
		expect(t, anon.follow(t, p), http.StatusOK, `<html lang="de">`)

		// Signed in: the switch on any page goes back to it and is kept
		// with the user, in every browser, above Accept-Language.
		c := w.as(t, "operator")
		page := opPath(w.wsA, h.blocked.ID)
		expect(t, c.get(t, page), http.StatusOK, `<html lang="en">`, `name="return" value="`+page+`"`, en(review.ReasonAmbiguous))
		p = c.post(t, "/language", url.Values{"lang": {"de"}, "return": {page}})
		if p.header.Get("Location") != page {
			t.Fatalf("switch went to %s", p.header.Get("Location"))
		}
		expect(t, c.follow(t, p), http.StatusOK, `<html lang="de">`, de(review.ReasonAmbiguous))
		w.tx(t, func(tx *store.Tx) error {
			u, err := tx.UserByID(context.Background(), w.users["operator"].ID)
			if err != nil || u.Locale != "de" {
				t.Fatalf("the choice is not kept: %q %v", u.Locale, err)
			}
			return nil
		})
		elsewhere := w.as(t, "operator")
		elsewhere.lang = "en"
		expect(t, elsewhere.get(t, page), http.StatusOK, `<html lang="de">`, "Diagnose")

		// Unknown languages and foreign return paths are ignored.
		p = c.post(t, "/language", url.Values{"lang": {"xx"}, "return": {"https://evil.example/"}})
		if p.header.Get("Location") != "/admin" {
			t.Fatalf("foreign return: %s", p.header.Get("Location"))
		}
		expect(t, c.get(t, page), http.StatusOK, `<html lang="de">`)
	})
}

func TestEveryPageIsSafeAndAccessible(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		h := w.history(t)
		owner, support := w.as(t, "owner"), w.as(t, "support")
		pages := map[string]*page{
			"login":         w.client().get(t, "/login"),
			"workspace":     owner.get(t, "/admin/workspaces/"+w.wsA.Slug),
			"environment":   owner.get(t, envPath(w.envA1, w.wsA)),
			"operations":    owner.get(t, "/admin/workspaces/"+w.wsA.Slug+"/operations"),
			"fleet":         owner.get(t, "/admin/workspaces/"+w.wsA.Slug+"/fleet"),
			"fleet compose": owner.get(t, "/admin/workspaces/"+w.wsA.Slug+"/fleet/compose"),
			"operation":     owner.get(t, opPath(w.wsA, h.blocked.ID)),
			"reviews":       owner.get(t, "/admin/workspaces/"+w.wsA.Slug+"/reviews"),
			"review":        owner.get(t, reviewPath(w.wsA, h.review.ID)),
			"notifications": owner.get(t, "/notifications"),
			"system":        support.get(t, "/system/ops/runs"),
			"system run":    support.get(t, fmt.Sprintf("/system/ops/runs/%d", h.stale.ID)),
			"not found":     owner.get(t, "/admin/workspaces/nope"),
		}
		scripts := regexp.MustCompile(`(?s)<script([^>]*)>(.*?)</script>`)
		handlerAttr := regexp.MustCompile(`\son[a-z]+=`)
		styleAttr := regexp.MustCompile(`\sstyle=`)
		controls := regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
		for name, p := range pages {
			hd := p.header
			csp := hd.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") ||
				strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("%s: CSP %q", name, csp)
			}
			if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("Referrer-Policy") == "" || hd.Get("X-Frame-Options") != "DENY" {
				t.Errorf("%s: headers %v", name, hd)
			}
			for _, m := range scripts.FindAllStringSubmatch(p.body, -1) {
				if !strings.Contains(m[1], `src="/static/`) || strings.TrimSpace(m[2]) != "" {
					t.Errorf("%s: inline script %q", name, m[0])
				}
			}
			if handlerAttr.MatchString(p.body) || styleAttr.MatchString(p.body) {
				t.Errorf("%s: inline handler or style attribute", name)
			}
			for _, want := range []string{`<html lang="`, `<main id="main"`, `class="skip-link" href="#main"`, `<h1`} {
				if !strings.Contains(p.body, want) {
					t.Errorf("%s: lacks %s", name, want)
				}
			}
			// Every control has a label.
			for _, m := range controls.FindAllString(p.body, -1) {
				if strings.Contains(m, `type="hidden"`) {
					continue
				}
				id := regexp.MustCompile(`\sid="([^"]+)"`).FindStringSubmatch(m)
				if id == nil || !strings.Contains(p.body, `<label for="`+id[1]+`">`) {
					t.Errorf("%s: control without a label: %s", name, m)
				}
			}
		}
		// Signed-in pages are not cached.
		if pages["operation"].header.Get("Cache-Control") != "no-store" {
			t.Errorf("operation page cache: %q", pages["operation"].header.Get("Cache-Control"))
		}
		// The static files are served with their types.
		for path, ctype := range map[string]string{"/static/console.css": "text/css", "/static/console.js": "text/javascript"} {
			res, err := http.Get(w.server.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), ctype) {
				t.Errorf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
			}
		}
	})
}

// A failure inside the console answers its error page with a request id;
// the cause stays in the log.
func TestInternalErrorsShowOnlyARequestID(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		owner := w.as(t, "owner")
		expect(t, owner.get(t, "/admin/workspaces/"+w.wsA.Slug+"/operations"), http.StatusOK)
		w.db.Close()
		p := owner.get(t, "/admin/workspaces/"+w.wsA.Slug+"/operations")
		expect(t, p, http.StatusInternalServerError, en("console.error.internal"), en("console.error.request_id"))
		if id := p.header.Get("X-Request-Id"); id == "" || !strings.Contains(p.body, "<code>"+id+"</code>") {
			t.Fatalf("request id %q not on the page", id)
		}
	})
}

// usedKeys collects the console keys the code and templates name.
func usedKeys(t *testing.T) map[string]bool {
	t.Helper()
	used := map[string]bool{}
	key := regexp.MustCompile(`"(console\.[a-z0-9_.]+)"`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _ := filepath.Glob("templates/*.html")
	// The names of the domain's values the console shows are shared.
	files = append(files, filepath.Join("..", "locale", "labels.go"))
	for _, f := range append(files, tmpl...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	return used
}

// Every console key the console names exists in every language, and every
// console key the catalogs hold is named somewhere.
func TestConsoleTextIsCompleteInEveryLanguage(t *testing.T) {
	t.Parallel()
	cat := locale.Default()
	used := usedKeys(t)
	if len(used) < 100 {
		t.Fatalf("only %d keys found: the scan is broken", len(used))
	}
	for k := range used {
		for _, lang := range locale.Languages {
			if !cat.Has(lang, k) {
				t.Errorf("%s lacks %s", lang, k)
			}
		}
	}
	var unused []string
	for _, lang := range locale.Languages {
		for _, k := range cat.Keys(lang) {
			if strings.HasPrefix(k, "console.") && !used[k] {
				unused = append(unused, lang+": "+k)
			}
		}
	}
	sort.Strings(unused)
	for _, k := range unused {
		t.Errorf("no template or handler uses %s", k)
	}
	// Every reason code the console explains has a sentence.
	for _, code := range []string{review.ReasonAvailable, review.ReasonAvailableSuperseded, review.ReasonComposeFailed,
		review.ReasonComposeStalled, review.ReasonAmbiguous, review.ReasonSupersededWithoutCurrent, review.ReasonNotProduced,
		review.ReasonReusedExisting, review.ReasonDuplicateRecovered, review.ReasonTookOverStaleDraft, review.ReasonAmbiguityResolved,
		reckon.ReasonStaleQueued, reckon.ReasonStaleRunning, reckon.ReasonJobDiscarded} {
		for _, lang := range locale.Languages {
			if !cat.Has(lang, code) {
				t.Errorf("%s lacks the sentence of %s", lang, code)
			}
		}
	}
}

// The console refuses to start when a template names a text a language
// lacks.
func TestStartRefusesMissingText(t *testing.T) {
	t.Parallel()
	cat := locale.Catalog{}
	for lang, texts := range locale.Default() {
		cat[lang] = map[string]string{}
		for k, v := range texts {
			if !(lang == "de" && k == "console.operation.decision") {
				cat[lang][k] = v
			}
		}
	}
	db := openAny(t)
	_, err := console.New(console.Deps{DB: db, Catalog: catalogOf(), Text: cat})
	if err == nil || !strings.Contains(err.Error(), "console.operation.decision") {
		t.Fatalf("start with a missing text: %v", err)
	}
}

// The scanners must catch what they are there to catch, or the page scan
// proves nothing.
func TestPageScannerCatchesLeaksAndKeys(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		`<p>ERROR: duplicate key value violates unique constraint "operation_runs_active_identity_unique" (SQLSTATE 23505)</p>`,
		`<p>UNIQUE constraint failed: environment_reviews.workspace_id</p>`,
		`<p>store: not found</p>`,
		`<p>review: compose: sql: no rows in result set</p>`,
		`<td>%!s(MISSING)</td>`,
	} {
		if leak.FindString(s) == "" {
			t.Errorf("leak scanner misses %s", s)
		}
	}
	for _, s := range []string{`<p>console.operation.decision</p>`, `<button title="review.status.ready">x</button>`, `<p>Deadline {deadline}</p>`} {
		if untranslated.FindString(visibleText(s)) == "" {
			t.Errorf("key scanner misses %s", s)
		}
	}
	for _, s := range []string{`<p>This is the environment's first review: there is nothing to compare with.</p>`,
		`<dd><code>review.available</code></dd><link href="/static/console.css">`} {
		if m := leak.FindString(s) + untranslated.FindString(visibleText(s)); m != "" {
			t.Errorf("scanners flag safe text %q in %s", m, s)
		}
	}
}

func openAny(t *testing.T) *store.DB { return reckontest.Open(t, store.SQLite, nil) }

func catalogOf() *catalog.Catalog { return catalog.Default() }

func TestWorkspacesList(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		both := w.fx.User(passwordHash())
		w.fx.Member(w.wsA, both, reckon.RoleManager)
		w.fx.Member(w.wsB, both, reckon.RoleReadonly)
		w.users["both"] = both
		c := w.as(t, "both")
		p := c.get(t, "/admin")
		expect(t, p, http.StatusOK, en("console.workspaces.title"),
			`href="/admin/workspaces/`+w.wsA.Slug+`"`, w.wsA.Name, en("console.workspaces.role_environments.other", "role", "Manager", "n", 2),
			`href="/admin/workspaces/`+w.wsB.Slug+`"`, w.wsB.Name, en("console.workspaces.role_environments.one", "role", "Read-only"))
		c.lang = "de"
		expect(t, c.get(t, "/admin"), http.StatusOK, de("console.workspaces.role_environments.one", "role", "Nur lesen"))
		// A member of one workspace goes straight to it; the root leads there too.
		owner := w.as(t, "owner")
		if p := owner.get(t, "/admin"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/admin/workspaces/"+w.wsA.Slug {
			t.Fatalf("single workspace: %d %s", p.status, p.header.Get("Location"))
		}
		if p := owner.get(t, "/"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/admin" {
			t.Fatalf("root: %d %s", p.status, p.header.Get("Location"))
		}
		// An address that names nothing is the console's own 404 page.
		expect(t, owner.get(t, "/nothing/here"), http.StatusNotFound, en("console.error.not_found"))
	})
}
