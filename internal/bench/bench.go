// Package bench measures reckon on a real database, in one process: how many
// runs the ledger carries through their lifecycle per second next to what
// River alone does with the same workers, and how fast reviews compose.
//
// A measurement never touches the data of the database it is pointed at: on
// SQLite it works in a fresh temporary file, on PostgreSQL in a fresh schema
// that is dropped afterwards.
package bench

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/store"
)

// scratch is a database made for one measurement.
type scratch struct {
	db *store.DB
	// where describes the database for the report, without credentials.
	where string
	close func()
}

// openScratch opens a fresh, migrated database for a measurement. An empty
// databaseURL makes a temporary SQLite file; an SQLite URL a temporary file
// next to the one it names; a PostgreSQL URL a fresh schema on that server.
// maxConns bounds the PostgreSQL pool.
func openScratch(ctx context.Context, databaseURL string, maxConns int32) (*scratch, error) {
	if databaseURL == "" {
		databaseURL = "sqlite:" + filepath.Join(os.TempDir(), "reckon.db")
	}
	engine, target, err := store.ParseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	var (
		openURL string
		where   string
		remove  func()
	)
	switch engine {
	case store.SQLite:
		dir, err := os.MkdirTemp(filepath.Dir(target), "reckon-bench-")
		if err != nil {
			return nil, fmt.Errorf("bench: temporary database: %w", err)
		}
		file := filepath.Join(dir, "bench.db")
		openURL, where = "sqlite:"+file, "temporary SQLite file "+file
		remove = func() { _ = os.RemoveAll(dir) }
	case store.Postgres:
		u, drop, err := store.ScratchSchema(ctx, databaseURL, "reckon_bench")
		if err != nil {
			return nil, err
		}
		openURL, where = u, "fresh schema "+searchPath(u)+" on "+store.Redact(databaseURL)
		remove = func() {
			dropCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			_ = drop(dropCtx)
		}
	}
	db, err := queue.OpenMigrated(ctx, openURL, &store.Options{MaxConns: maxConns})
	if err != nil {
		remove()
		return nil, err
	}
	return &scratch{db: db, where: where, close: func() { db.Close(); remove() }}, nil
}

// searchPath returns the schema a scratch URL selects.
func searchPath(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Query().Get("search_path")
}

// Throughput is what one phase of a measurement did in how much time, and
// where the time went.
type Throughput struct {
	Count   int           `json:"count"`
	Elapsed time.Duration `json:"elapsed_ns"`
	// Inserted is when the last insert committed, from the same start: it
	// tells whether inserting or working held the phase back.
	Inserted time.Duration `json:"inserted_ns"`
	// InsertTx is how long one inserting transaction took.
	InsertTx Spread `json:"insert_tx"`
	// Work is how long a worker spent on one job.
	Work Spread `json:"work"`
	// Wait is how long a job waited to be fetched once available.
	Wait Spread `json:"wait"`
}

// PerSecond is the phase's rate.
func (t Throughput) PerSecond() float64 {
	if t.Elapsed <= 0 {
		return 0
	}
	return float64(t.Count) / t.Elapsed.Seconds()
}

func (t Throughput) String() string {
	return fmt.Sprintf("%d in %s = %.0f/s\n      all inserted after %s; insert tx %s; in worker %s; waiting for a worker %s",
		t.Count, t.Elapsed.Round(time.Millisecond), t.PerSecond(), t.Inserted.Round(time.Millisecond),
		t.InsertTx, t.Work, t.Wait)
}

// Spread summarises durations by their median and 95th percentile.
type Spread struct {
	P50 time.Duration `json:"p50_ns"`
	P95 time.Duration `json:"p95_ns"`
}

func spreadOf(ds []time.Duration) Spread {
	if len(ds) == 0 {
		return Spread{}
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
	return Spread{P50: at(0.50), P95: at(0.95)}
}

func (s Spread) String() string {
	return fmt.Sprintf("p50 %s p95 %s", round(s.P50), round(s.P95))
}

// round keeps durations readable: three significant digits or so.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

// progress prints "label done/total unit" to out every second until stop is
// called, so that a long measurement shows it is moving.
func progress(out io.Writer, label, unit string, total int, done *atomic.Int64) (stop func()) {
	ticker := time.NewTicker(time.Second)
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-quit:
				return
			case <-ticker.C:
				fmt.Fprintf(out, "  %s %d/%d %s\n", label, done.Load(), total, unit)
			}
		}
	}()
	return func() {
		ticker.Stop()
		close(quit)
		<-finished
	}
}

// jobSpreads summarises how long jobs spent in their worker and waiting for
// one, from River's statistics.
func jobSpreads(stats []*river.JobStatistics) (work, wait Spread) {
	works := make([]time.Duration, len(stats))
	waits := make([]time.Duration, len(stats))
	for i, s := range stats {
		works[i], waits[i] = s.RunDuration, s.QueueWaitDuration
	}
	return spreadOf(works), spreadOf(waits)
}

// stallTimeout ends a measurement in which no job finished for this long:
// something is wrong, and waiting longer would not say what.
const stallTimeout = time.Minute

// awaitCompleted counts completed jobs on events until want have arrived and
// returns when the last one did, with each job's statistics. A failed job, a
// stall or the end of ctx ends the wait with an error.
func awaitCompleted(ctx context.Context, events <-chan *river.Event, want int, done *atomic.Int64) (time.Time, []*river.JobStatistics, error) {
	var last time.Time
	stats := make([]*river.JobStatistics, 0, want)
	stall := time.NewTimer(stallTimeout)
	defer stall.Stop()
	for done.Load() < int64(want) {
		select {
		case <-ctx.Done():
			return last, nil, ctx.Err()
		case <-stall.C:
			return last, nil, fmt.Errorf("bench: no job finished for %s (%d of %d done)", stallTimeout, done.Load(), want)
		case ev, ok := <-events:
			if !ok {
				return last, nil, fmt.Errorf("bench: the queue stopped after %d of %d jobs", done.Load(), want)
			}
			if ev.Kind != river.EventKindJobCompleted {
				reason := string(ev.Kind)
				if n := len(ev.Job.Errors); n > 0 {
					reason += ": " + ev.Job.Errors[n-1].Error
				}
				return last, nil, fmt.Errorf("bench: job %d (%s) did not complete: %s", ev.Job.ID, ev.Job.Kind, reason)
			}
			last = time.Now()
			if ev.JobStats != nil {
				stats = append(stats, ev.JobStats)
			}
			done.Add(1)
			stall.Reset(stallTimeout)
		}
	}
	return last, stats, nil
}
