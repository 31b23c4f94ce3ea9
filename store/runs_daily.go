package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/reckonhq/reckon"
)

// DayCount is how many runs of one outcome were created on one day of a
// RunsPerDay window; Day counts from 0, the window's first day.
type DayCount struct {
	Day     int
	Outcome reckon.Outcome
	Runs    int64
}

// MaxDays bounds a RunsPerDay window.
const MaxDays = 366

// RunsPerDay counts the runs a filter matches by the day they were created
// and their outcome, in one query. days are the window's day boundaries,
// ascending: day i runs from days[i] up to days[i+1], so len(days)-1 days.
// The caller takes them from the reader's calendar (midnights in their time
// zone, a 23- or 25-hour day at a daylight-saving change included); the
// query compares created_at with them, which means the same on both engines
// whatever the zone, where SQLite could not convert a time to a named zone
// itself. The filter's own Since, Until, BeforeID and Limit are ignored. Days
// without runs are left out.
//
// The window's range on created_at walks operation_runs_workspace_created.
func (tx *Tx) RunsPerDay(ctx context.Context, f *RunFilter, days []time.Time) ([]DayCount, error) {
	q, args, err := tx.runsPerDayQuery(f, days)
	if err != nil || q == "" {
		return nil, err
	}
	r, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: runs per day: %w", err)
	}
	return collect(r, func(r rows) (DayCount, error) {
		var c DayCount
		err := r.Scan(&c.Day, &c.Outcome, &c.Runs)
		return c, err
	})
}

// runsPerDayQuery builds RunsPerDay's query; "" when the filter can match
// nothing.
func (tx *Tx) runsPerDayQuery(f *RunFilter, days []time.Time) (string, []any, error) {
	if len(days) < 2 || len(days) > MaxDays+1 {
		return "", nil, fmt.Errorf("store: runs per day: %d day boundaries", len(days))
	}
	for i := 1; i < len(days); i++ {
		if !days[i].After(days[i-1]) {
			return "", nil, errors.New("store: runs per day: day boundaries out of order")
		}
	}
	window := *f
	window.Since, window.Until = days[0], days[len(days)-1]
	window.BeforeID, window.Limit = 0, 0
	where, args, err := tx.runWhere(&window)
	if err != nil || where == "" {
		return "", nil, err
	}
	// The day of a run: a balanced tree of comparisons with the inner
	// boundaries, so that a run costs a handful of them however long the
	// window (a flat CASE would try a boundary per day).
	starts := make([]string, len(days)) // starts[d]: the placeholder of day d's start, d ≥ 1
	for d := 1; d < len(days)-1; d++ {
		args = append(args, days[d].UTC())
		starts[d] = "$" + strconv.Itoa(len(args))
	}
	var day strings.Builder
	dayOf(&day, starts, 0, len(days)-2)
	return `SELECT ` + day.String() + ` AS day, outcome, COUNT(*) FROM operation_runs r` + where +
		` GROUP BY day, outcome ORDER BY day, outcome`, args, nil
}

// dayOf writes the expression of the day among first..last that created_at
// falls on: the half it falls in, down to one day.
func dayOf(b *strings.Builder, starts []string, first, last int) {
	if first == last {
		b.WriteString(strconv.Itoa(first))
		return
	}
	mid := (first + last + 1) / 2
	b.WriteString("CASE WHEN created_at < " + starts[mid] + " THEN ")
	dayOf(b, starts, first, mid-1)
	b.WriteString(" ELSE ")
	dayOf(b, starts, mid, last)
	b.WriteString(" END")
}

// ExplainRunsPerDay returns the engine's plan of RunsPerDay, for the test
// that checks the window is an index range.
func (tx *Tx) ExplainRunsPerDay(ctx context.Context, f *RunFilter, days []time.Time) (string, error) {
	q, args, err := tx.runsPerDayQuery(f, days)
	if err != nil || q == "" {
		return "", err
	}
	return tx.explain(ctx, q, args...)
}
