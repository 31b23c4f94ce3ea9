package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// The fleet in a real browser: the demo's workspace with a few dozen more
// environments, each with a history of scores, seen at 1280 and 390 pixels
// wide in English and German — nothing wider than a phone, the table in
// cards, every trend an image with its words — and Compose all stale from
// its button through the confirmation to the summary.
func TestFleetInARealBrowser(t *testing.T) {
	t.Parallel()
	demo := startDemo(t)
	ctx := context.Background()
	// Composed runs stay queued: the page's counts hold still.
	stop, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := demo.app.Queue.Stop(stop); err != nil {
		t.Fatal(err)
	}
	db := demo.db
	var northwind *reckon.Workspace
	err := db.InTx(ctx, func(tx *store.Tx) (err error) {
		northwind, err = tx.WorkspaceBySlug(ctx, "northwind")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// More tenants, each with four scored reviews; some stale, some
	// failing, some never reviewed. Real times: the browser judges them.
	fleet := reckontest.FillFleet(t, db, northwind, reckontest.FleetOptions{Environments: 24, Reviews: 4, RunsPerEnvironment: 3,
		At: time.Now().UTC().Add(-96 * time.Hour),
		Content: func(env, n int) json.RawMessage {
			return json.RawMessage(fmt.Sprintf(`{"score": %d, "failing": [%s]}`, 40+(env*13+n*9)%55,
				strings.TrimSuffix(strings.Repeat(`{},`, (env+n)%6), ",")))
		}})
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for i, e := range fleet.Environments[:6] {
			if err := tx.SetEnvironmentTenant(ctx, northwind.ID, e.ID, fmt.Sprintf("7c1e%04d-9b2a-4f6d-8e3c-5a0b1d2c3e4f", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	b := openBrowser(t, demo.srv.URL)
	b.signIn(demo.login)
	path := "/admin/workspaces/northwind/fleet"

	// From the workspace's navigation.
	b.do("open the fleet from the navigation",
		chromedp.Navigate(demo.srv.URL+"/admin/workspaces/northwind"),
		chromedp.Click(chromedp.CSS(`.main-nav a[href="`+path+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("table.fleet")),
	)
	if cur := b.eval("current", `document.querySelector('.main-nav a[aria-current="page"]').getAttribute("href")`); cur != path {
		t.Fatalf("the navigation marks %s", cur)
	}
	b.shoot("fleet", path)

	// Every trend is an image with a name, and its points are there in
	// words for a screen reader, though not on screen.
	if n := b.eval("trends", `String(document.querySelectorAll('td svg[role="img"][aria-label]').length)`); n == "0" {
		t.Fatal("no score trend on the page")
	}
	if w := b.eval("hidden points", `String(document.querySelector('.chart ol.visually-hidden').getBoundingClientRect().width)`); w != "1" {
		t.Fatalf("the trend's words take %s px", w)
	}
	// On a phone each environment is a card: no header row, cells stacked.
	b.do("narrow", chromedp.EmulateViewport(390, 900), chromedp.Navigate(demo.srv.URL+path), chromedp.WaitVisible(chromedp.CSS("table.fleet")))
	if head := b.eval("header row", `getComputedStyle(document.querySelector("table.fleet thead")).display`); head != "none" {
		t.Fatalf("the header row shows on a phone: %s", head)
	}
	if cell := b.eval("cells", `getComputedStyle(document.querySelector("table.fleet td")).display`); cell != "block" {
		t.Fatalf("cells on a phone: %s", cell)
	}
	b.do("wide", chromedp.EmulateViewport(1280, 900))
	b.shoot("fleet-stale", path+"?stale=true&sort=score")
	b.shoot("fleet-attention", path+"?sort=attention")

	// Compose all stale: the button says how many, the confirmation says it
	// again and names them, the summary says what happened.
	// The demo's own and the added ones; a review stays stale until the
	// compose of the newer evidence has finished.
	staleNow := func() int {
		n := 0
		err := db.InTx(ctx, func(tx *store.Tx) error {
			envs, err := tx.FleetPlaces(ctx, store.FleetScope{WorkspaceID: northwind.ID}, false)
			for _, e := range envs {
				if e.Stale {
					n++
				}
			}
			return err
		})
		if err != nil || n < len(fleet.Stale) {
			t.Fatalf("%d stale: %v", n, err)
		}
		return n
	}
	stale := staleNow()
	b.do("open the fleet", chromedp.Navigate(demo.srv.URL+path), chromedp.WaitVisible(chromedp.ID("compose-stale")))
	if label := b.eval("button", `document.getElementById("compose-stale").textContent.trim()`); !strings.Contains(label, fmt.Sprint(stale)) {
		t.Fatalf("the button says %q; %d are stale", label, stale)
	}
	b.do("ask to compose", chromedp.Click(chromedp.ID("compose-stale")), chromedp.WaitVisible(chromedp.ID("confirm-compose")))
	if lead := b.eval("confirmation", `document.getElementById("confirm-lead").textContent`); !strings.Contains(lead, fmt.Sprint(stale)) {
		t.Fatalf("the confirmation says %q", lead)
	}
	b.snap("fleet-confirm", 1280)
	b.do("confirm on a phone", chromedp.EmulateViewport(390, 900), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("confirm-compose")))
	b.snap("fleet-confirm", 390)
	b.do("confirm", chromedp.Click(chromedp.ID("confirm-compose")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if msg := b.eval("summary", `document.querySelector(".flash").textContent`); !strings.Contains(msg, en("console.fleet.composed",
		"total", int64(stale), "queued", int64(stale), "running", 0, "up_to_date", 0, "no_evidence", 0)) {
		t.Fatalf("summary %q", msg)
	}
	b.snap("fleet-composed", 390)
	b.do("back to desktop width", chromedp.EmulateViewport(1280, 900))

	// New evidence for two tenants: stale again.
	for _, e := range fleet.Environments[:2] {
		importEvidence(t, db, northwind.ID, e.ID)
	}

	// In German.
	b.do("switch to German",
		chromedp.Navigate(demo.srv.URL+path),
		chromedp.Click(chromedp.CSS(`button[name="lang"][value="de"]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="de"] table.fleet`)),
	)
	if h1 := b.eval("German heading", `document.querySelector("main h1").textContent.trim()`); h1 != de("console.fleet.title") {
		t.Fatalf("German heading %q", h1)
	}
	b.shoot("fleet-de", path)
	b.shoot("fleet-stale-de", path+"?never_reviewed=true")
	b.shoot("fleet-confirm-de", path+"/compose")
	if lead := b.eval("German confirmation", `document.getElementById("confirm-lead").textContent.trim()`); lead != de("console.fleet.confirm.lead", "n", int64(staleNow())) {
		t.Fatalf("German confirmation %q", lead)
	}
}
