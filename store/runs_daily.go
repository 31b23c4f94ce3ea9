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
	// The day of a run is the number of inner boundaries at or before its
	// creation: the first WHEN that holds names it.
	day := "0"
	if inner := days[1 : len(days)-1]; len(inner) > 0 {
		var b strings.Builder
		b.WriteString("CASE")
		for i, at := range inner {
			args = append(args, at.UTC())
			fmt.Fprintf(&b, " WHEN created_at < $%d THEN %d", len(args), i)
		}
		b.WriteString(" ELSE " + strconv.Itoa(len(inner)) + " END")
		day = b.String()
	}
	return `SELECT ` + day + ` AS day, outcome, COUNT(*) FROM operation_runs r` + where +
		` GROUP BY day, outcome ORDER BY day, outcome`, args, nil
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
