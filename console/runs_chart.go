package console

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// chartSpans are the windows the runs chart offers, in days; the first is
// the default.
var chartSpans = []int{14, 30, 90}

// Outcomes in the order the chart stacks them, from the bottom: success
// first, then what needs a look, then what is still open.
var chartOutcomes = []reckon.Outcome{reckon.OutcomeSucceeded, reckon.OutcomePartiallySucceeded, reckon.OutcomeBlocked,
	reckon.OutcomeFailed, reckon.OutcomeCancelled, reckon.OutcomePending}

// The chart's geometry: the bars' area runs from plotLeft (in percent of
// the width; the axis labels stand left of it) to the right edge and is
// plotHeight pixels high below plotTop. Horizontal positions are percentages
// so that the chart fills any width without scaling its text.
const (
	plotLeft   = 6.0
	plotTop    = 10.0
	plotHeight = 150.0
	// chartHeight leaves room for the day labels below the bars.
	chartHeight = 186
)

// runsChart is the operations page's chart of runs per day by outcome, for
// the list's filter, with a table of the same counts.
type runsChart struct {
	Title   string
	Caption string // the total and whose days they are
	Spans   []chartSpan
	Height  int
	Legend  []chartLegend
	Days    []*chartDay
	Ticks   []chartTick
	Empty   bool
}

type chartSpan struct {
	Label   string
	Href    string
	Current bool
}

type chartLegend struct {
	Outcome string // the CSS modifier
	Label   string
	Count   string
}

type chartTick struct {
	Label string
	Y     string
}

type chartDay struct {
	Label  string // the axis label, "" for a day without one
	Anchor string // start, middle or end
	LabelX string
	// Minor labels stand between the others; narrow screens leave them out.
	Minor    bool
	Date     string // the table's
	X, Width string
	Segments []chartSegment
	Counts   []string // per legend entry, for the table
	Total    string
}

type chartSegment struct {
	Outcome string
	Y, H    string
	Title   string
}

// spanOf is the window a query asks for, the first of chartSpans unless
// days names another.
func spanOf(q url.Values) int {
	for _, n := range chartSpans {
		if q.Get("days") == strconv.Itoa(n) {
			return n
		}
	}
	return chartSpans[0]
}

// runsChart counts the filter's runs per day of the reader's calendar over
// the window the query asks for (days=14|30|90), in one query.
func (s *Server) runsChart(ctx context.Context, t tr, f store.RunFilter, base string, q url.Values) (*runsChart, error) {
	span := spanOf(q)
	zone := t.zone
	if zone == nil {
		zone = time.UTC
	}
	y, m, d := t.now.In(zone).Date()
	bounds := make([]time.Time, span+1)
	for i := range bounds {
		bounds[i] = time.Date(y, m, d-span+1+i, 0, 0, 0, 0, zone)
	}
	var counts []store.DayCount
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		counts, err = tx.RunsPerDay(ctx, &f, bounds)
		return err
	})
	if err != nil {
		return nil, err
	}
	perDay := make([]map[reckon.Outcome]int64, span)
	for i := range perDay {
		perDay[i] = map[reckon.Outcome]int64{}
	}
	totals := map[reckon.Outcome]int64{}
	var total, most int64
	for _, c := range counts {
		perDay[c.Day][c.Outcome] += c.Runs
		totals[c.Outcome] += c.Runs
		total += c.Runs
	}
	c := &runsChart{Title: t.T("console.chart.title"), Height: chartHeight, Empty: total == 0,
		Caption: t.T("console.chart.caption", "n", total, "days", span, "zone", zone.String())}
	for _, n := range chartSpans {
		link := cloneValues(q)
		link.Del("before")
		link.Set("days", strconv.Itoa(n))
		c.Spans = append(c.Spans, chartSpan{Label: t.T("console.chart.days", "n", n), Href: withQuery(base, link), Current: n == span})
	}
	var shown []reckon.Outcome
	for _, o := range chartOutcomes {
		if totals[o] > 0 {
			shown = append(shown, o)
			c.Legend = append(c.Legend, chartLegend{Outcome: string(o), Label: label(t, outcomeKeys, o), Count: t.Num(totals[o])})
		}
	}
	for _, day := range perDay {
		var n int64
		for _, v := range day {
			n += v
		}
		most = max(most, n)
	}
	top := niceCeiling(most)
	for _, v := range []int64{top / 2, top} {
		if v > 0 {
			c.Ticks = append(c.Ticks, chartTick{Label: t.Num(v), Y: px(plotTop + plotHeight - plotHeight*float64(v)/float64(top))})
		}
	}
	slot := (100 - plotLeft) / float64(span)
	step := (span + 6) / 7 // about seven day labels (four on a phone), today's always
	for i, day := range perDay {
		at := bounds[i]
		cd := &chartDay{Date: dayText(t.lang, at, true), X: pct(plotLeft + slot*(float64(i)+0.15)), Width: pct(slot * 0.7)}
		if back := span - 1 - i; back%step == 0 {
			cd.Label, cd.Anchor, cd.LabelX = dayText(t.lang, at, false), "middle", pct(plotLeft+slot*(float64(i)+0.5))
			cd.Minor = (back/step)%2 == 1
			switch {
			case i == span-1:
				cd.Anchor, cd.LabelX = "end", "100%"
			case i == 0:
				cd.Anchor, cd.LabelX = "start", pct(plotLeft)
			}
		}
		base := plotTop + plotHeight
		var n int64
		for _, o := range shown {
			v := day[o]
			cd.Counts = append(cd.Counts, t.Num(v))
			n += v
			if v == 0 {
				continue
			}
			h := plotHeight * float64(v) / float64(top)
			base -= h
			cd.Segments = append(cd.Segments, chartSegment{Outcome: string(o), Y: px(base), H: px(h),
				Title: t.T("console.chart.segment", "date", cd.Date, "n", v, "outcome", label(t, outcomeKeys, o))})
		}
		cd.Total = t.Num(n)
		c.Days = append(c.Days, cd)
	}
	return c, nil
}

// niceCeiling is the smallest of 1, 2, 5, 10, 20, 50 … that is at least n:
// the top of the chart's scale.
func niceCeiling(n int64) int64 {
	for scale := int64(1); ; scale *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if m*scale >= n {
				return m * scale
			}
		}
	}
}

func pct(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) + "%" }
func px(v float64) string  { return strconv.FormatFloat(v, 'f', 1, 64) }

// dayText writes a day of the reader's calendar: short for the axis (Nov 28,
// 28.11.) or with its year for the table.
func dayText(lang string, at time.Time, long bool) string {
	switch {
	case lang == "de" && long:
		return at.Format("02.01.2006")
	case lang == "de":
		return at.Format("02.01.")
	case long:
		return at.Format("2006-01-02")
	}
	return fmt.Sprintf("%s %d", at.Format("Jan"), at.Day())
}
