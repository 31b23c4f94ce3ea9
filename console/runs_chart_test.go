package console_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// chartRow reads one day's row of the runs chart's table: its date, then a
// count per legend column and the total.
var chartRow = regexp.MustCompile(`<tr><th scope="row">([^<]+)</th>((?:<td class="num">[^<]*</td>)+)</tr>`)

// chartTable reads the chart's table as day → "outcome=n …" for the days
// with runs, in the page's column order.
func chartTable(t *testing.T, p *page) map[string]string {
	t.Helper()
	section := between(t, p, `class="runs-chart"`, `</section>`)
	head := between(t, &page{body: section}, "<thead>", "</thead>")
	var cols []string
	for _, m := range regexp.MustCompile(`<th scope="col" class="num">([^<]+)</th>`).FindAllStringSubmatch(head, -1) {
		cols = append(cols, m[1])
	}
	out := map[string]string{}
	for _, m := range chartRow.FindAllStringSubmatch(section, -1) {
		cells := regexp.MustCompile(`<td class="num">([^<]*)</td>`).FindAllStringSubmatch(m[2], -1)
		if len(cells) != len(cols) {
			t.Fatalf("row %s has %d cells for %d columns", m[1], len(cells), len(cols))
		}
		var parts []string
		for i, c := range cells {
			if c[1] != "0" {
				parts = append(parts, cols[i]+"="+c[1])
			}
		}
		if len(parts) > 0 {
			out[m[1]] = strings.Join(parts, " ")
		}
	}
	return out
}

// The operations page counts the runs of its filter per day of the reader's
// calendar, in a chart and a table of the same counts: the runs the test
// created, no other workspace's, none outside the window or the member's
// entitlements.
func TestRunsChartCountsTheFiltersRunsPerDay(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		// Midnight UTC of the clock's day, and the runs around it.
		today := start.UTC().Truncate(24 * time.Hour)
		batch := func(env *reckon.Environment, outcome reckon.Outcome, n int, at time.Time) {
			t.Helper()
			status := reckon.RunCompleted
			if outcome == reckon.OutcomePending {
				status = reckon.RunQueued
			}
			w.tx(t, func(tx *store.Tx) error {
				return tx.InsertRunBatch(ctx, &store.RunBatch{Scope: scopeOf(env), Type: reckon.RunTypeReviewCompose,
					Status: status, Outcome: outcome, Count: n, KeyPrefix: fmt.Sprintf("chart-%s-%d-%d-", outcome, env.ID, at.Unix()),
					CreatedAt: at, DeadlineAt: at.Add(time.Hour)})
			})
		}
		batch(w.envA1, reckon.OutcomeSucceeded, 3, today.Add(2*time.Hour))
		batch(w.envA1, reckon.OutcomeFailed, 1, today.Add(1*time.Hour))
		batch(w.envA2, reckon.OutcomeSucceeded, 2, today.Add(-22*time.Hour)) // yesterday, 02:00 UTC
		batch(w.envA2, reckon.OutcomeBlocked, 4, today.AddDate(0, 0, -13))   // the 14-day window's first day
		batch(w.envA1, reckon.OutcomeFailed, 5, today.AddDate(0, 0, -14))    // only in the 30-day window
		batch(w.envA1, reckon.OutcomeCancelled, 6, today.AddDate(0, 0, -40))
		batch(w.envB, reckon.OutcomeSucceeded, 7, today.Add(time.Hour)) // another workspace
		// A run queued through the ledger now: pending, today.
		w.queuedRun(t, w.envA1, "chart-queued")

		day := func(d time.Time) string { return d.Format("2006-01-02") }
		ops := "/admin/workspaces/" + w.wsA.Slug + "/operations"
		check := func(who, query string, want map[string]string) {
			t.Helper()
			p := w.as(t, who).get(t, ops+query)
			expect(t, p, http.StatusOK, `<svg class="runs-chart-svg"`)
			got := chartTable(t, p)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s %s: the table counts %v, want %v", who, query, got, want)
			}
			// The bars say the same: one per outcome of a day, in the
			// table's order, titled with its count.
			bars := map[string]string{}
			svg := between(t, p, `<svg class="runs-chart-svg"`, `</svg>`)
			for _, m := range regexp.MustCompile(`<title>([0-9-]+): ([0-9]+) ([^<]+)</title>`).FindAllStringSubmatch(svg, -1) {
				bars[m[1]] += m[3] + "=" + m[2] + " "
			}
			for d, row := range got {
				if cells := row[:strings.LastIndex(row, " ")+1]; bars[d] != cells {
					t.Errorf("%s %s: the bars of %s say %q, the table %q", who, query, d, bars[d], cells)
				}
			}
			if len(bars) != len(got) {
				t.Errorf("%s %s: bars on %d days, the table has runs on %d", who, query, len(bars), len(got))
			}
		}
		succeeded, failed, blocked, cancelled, pending := en("console.outcome.succeeded"), en("console.outcome.failed"),
			en("console.outcome.blocked"), en("console.outcome.cancelled"), en("console.outcome.pending")
		check("readonly", "", map[string]string{
			day(today):                    fmt.Sprintf("%s=3 %s=1 %s=1 %s=5", succeeded, failed, pending, en("console.chart.total")),
			day(today.AddDate(0, 0, -1)):  fmt.Sprintf("%s=2 %s=2", succeeded, en("console.chart.total")),
			day(today.AddDate(0, 0, -13)): fmt.Sprintf("%s=4 %s=4", blocked, en("console.chart.total")),
		})
		total := en("console.chart.total")
		check("readonly", "?days=30&outcome=failed", map[string]string{
			day(today):                    fmt.Sprintf("%s=1 %s=1", failed, total),
			day(today.AddDate(0, 0, -14)): fmt.Sprintf("%s=5 %s=5", failed, total),
		})
		check("readonly", fmt.Sprintf("?days=90&environment=%d", w.envA1.ID), map[string]string{
			day(today):                    fmt.Sprintf("%s=3 %s=1 %s=1 %s=5", succeeded, failed, pending, total),
			day(today.AddDate(0, 0, -14)): fmt.Sprintf("%s=5 %s=5", failed, total),
			day(today.AddDate(0, 0, -40)): fmt.Sprintf("%s=6 %s=6", cancelled, total),
		})
		// A member entitled to one environment counts only its runs.
		check("restricted", "?days=30", map[string]string{
			day(today):                    fmt.Sprintf("%s=3 %s=1 %s=1 %s=5", succeeded, failed, pending, total),
			day(today.AddDate(0, 0, -14)): fmt.Sprintf("%s=5 %s=5", failed, total),
		})

		// The 14 / 30 / 90 choice keeps the filter and leaves the page.
		p := w.as(t, "readonly").get(t, ops+"?outcome=failed&before=999999")
		expect(t, p, http.StatusOK, `href="`+ops+`?days=30&amp;outcome=failed">`+en("console.chart.days", "n", 30)+`</a>`,
			`href="`+ops+`?days=14&amp;outcome=failed" aria-current="true">`+en("console.chart.days", "n", 14)+`</a>`,
			en("console.chart.caption", "n", int64(1), "days", 14, "zone", "UTC"))
		// Applying a filter keeps the window chosen; the first window is the
		// default and needs no field.
		p30 := w.as(t, "readonly").get(t, ops+"?days=30&outcome=failed")
		expect(t, p30, http.StatusOK, `<input type="hidden" name="days" value="30">`)
		if form := between(t, p, `class="filters"`, `</form>`); strings.Contains(form, `name="days"`) {
			t.Errorf("the default window is kept in the filter form: %s", form)
		}
		// Every day of the window has its row, and a bar for each outcome
		// of a day with runs, with the day's count in its title.
		if n := strings.Count(between(t, p, `class="runs-chart"`, `</section>`), `<tr><th scope="row">`); n != 14 {
			t.Errorf("%d days in the table, want 14", n)
		}
		expect(t, p, http.StatusOK, `<rect class="chart-failed"`, en("console.chart.segment", "date", day(today), "n", int64(1), "outcome", failed))

		// In the reader's time zone, yesterday's 02:00 UTC is the day
		// before yesterday in Los Angeles, and today's runs before 08:00 UTC
		// are yesterday's.
		la, err := time.LoadLocation("America/Los_Angeles")
		if err != nil {
			t.Fatal(err)
		}
		reader := w.as(t, "readonly")
		reader.follow(t, reader.post(t, "/settings", map[string][]string{"time_zone": {"America/Los_Angeles"}}))
		p = reader.get(t, ops+"?days=30")
		expect(t, p, http.StatusOK, "(days in America/Los_Angeles)")
		local := func(at time.Time) string { return at.In(la).Format("2006-01-02") }
		want := map[string]int{}
		for _, r := range []struct {
			at time.Time
			n  int
		}{{today.Add(2 * time.Hour), 3}, {today.Add(time.Hour), 1}, {today.Add(-22 * time.Hour), 2}, {today.AddDate(0, 0, -13), 4},
			{today.AddDate(0, 0, -14), 5}, {start, 1}} {
			want[local(r.at)] += r.n
		}
		got := chartTable(t, p)
		if len(got) != len(want) {
			t.Errorf("Los Angeles days %v, want totals %v", got, want)
		}
		for d, n := range want {
			if !strings.HasSuffix(got[d], fmt.Sprintf("%s=%d", total, n)) {
				t.Errorf("Los Angeles %s: %q, want a total of %d", d, got[d], n)
			}
		}

		// German: the days as Germans write them.
		reader.lang = "de"
		p = reader.get(t, ops)
		expect(t, p, http.StatusOK, de("console.chart.title"), `<th scope="row">`+start.In(la).Format("02.01.2006")+`</th>`)
	})
}
