package metrics_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river/rivertype"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/metrics"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// The queue's jobs are counted by state and kind at scrape time; the
// ledger's transitions are counted once their transaction commits, and a
// rolled-back one never.
func TestQueueJobsAndLedgerTransitions(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		reg := prometheus.NewPedanticRegistry()
		m, err := metrics.New(reg, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := metrics.NewQueue(reg, db, m); err != nil {
			t.Fatal(err)
		}
		q, err := queue.New(db, &queue.Config{})
		if err != nil {
			t.Fatal(err)
		}
		l := ledger.New(catalog.Default(), q)
		l.Instrument(nil, m)
		scope := reckontest.NewFixture(t, db).Scope()
		ensure := func(key string) func(tx *store.Tx) error {
			return func(tx *store.Tx) error {
				_, _, err := l.Ensure(ctx, tx, &ledger.EnsureParams{Scope: scope, Type: reckon.RunTypeReviewCompose, Key: key})
				return err
			}
		}
		var runID int64
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			run, _, err := l.Ensure(ctx, tx, &ledger.EnsureParams{Scope: scope, Type: reckon.RunTypeReviewCompose, Key: "a"})
			runID = run.ID
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, ensure("b")); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				_, err := q.InsertTx(ctx, tx, probeArgs{}, nil)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		rollback := errors.New("roll back")
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := ensure("c")(tx); err != nil {
				return err
			}
			return rollback
		}); !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, _, err := l.MarkRunning(ctx, tx, runID); err != nil {
				return err
			}
			_, _, err := l.Complete(ctx, tx, runID, &ledger.Completion{Outcome: reckon.OutcomeBlocked, ReasonCode: "review.blocked", Actor: "job"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		want := `
# HELP reckon_ledger_transitions_total Run transitions the ledger committed, by run type, new status and outcome.
# TYPE reckon_ledger_transitions_total counter
reckon_ledger_transitions_total{outcome="blocked",status="completed",type="environment.review.compose"} 1
reckon_ledger_transitions_total{outcome="pending",status="queued",type="environment.review.compose"} 2
reckon_ledger_transitions_total{outcome="pending",status="running",type="environment.review.compose"} 1
# HELP reckon_queue_jobs Jobs in the queue's table, by state and kind.
# TYPE reckon_queue_jobs gauge
reckon_queue_jobs{kind="metrics.probe",state="available"} 2
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "reckon_ledger_transitions_total", "reckon_queue_jobs"); err != nil {
			t.Fatal(err)
		}
	})
}

type probeArgs struct{}

func (probeArgs) Kind() string { return "metrics.probe" }

// The worker middleware sees each attempt: its wait since it was due, its
// result, and whether River's rescuer had taken it back.
func TestQueueAttemptsWaitsAndRescues(t *testing.T) {
	t.Parallel()
	db := reckontest.Open(t, store.SQLite, nil)
	reg := prometheus.NewPedanticRegistry()
	m, err := metrics.New(reg, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	qm, err := metrics.NewQueue(reg, db, m)
	if err != nil {
		t.Fatal(err)
	}
	const kind = "environment.review.compose"
	rescued := &rivertype.JobRow{Kind: kind, Attempt: 2, ScheduledAt: time.Now().Add(-2 * time.Second),
		Errors: []rivertype.AttemptError{{Attempt: 1, Error: "Stuck job rescued by JobRescuer"}}}
	fresh := &rivertype.JobRow{Kind: kind, Attempt: 1, ScheduledAt: time.Now()}
	boom := errors.New("boom")
	if err := qm.Work(context.Background(), rescued, func(context.Context) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := qm.Work(context.Background(), fresh, func(context.Context) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("the middleware answered %v, want the job's error", err)
	}
	want := `
# HELP reckon_queue_job_attempts_total Attempts worked by this process, by kind and result (ok or error).
# TYPE reckon_queue_job_attempts_total counter
reckon_queue_job_attempts_total{kind="environment.review.compose",result="error"} 1
reckon_queue_job_attempts_total{kind="environment.review.compose",result="ok"} 1
# HELP reckon_queue_job_rescues_total Attempts of jobs that River's rescuer had taken back from a stuck worker, by kind.
# TYPE reckon_queue_job_rescues_total counter
reckon_queue_job_rescues_total{kind="environment.review.compose"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "reckon_queue_job_attempts_total", "reckon_queue_job_rescues_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(reg, "reckon_queue_job_wait_seconds"); n != 1 {
		t.Fatalf("wait series: %d, want 1", n)
	}
	// The rescued job waited its two seconds: the slowest bucket it fell
	// in is above a second.
	mf, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range mf {
		if f.GetName() == "reckon_queue_job_wait_seconds" {
			h := f.GetMetric()[0].GetHistogram()
			if h.GetSampleCount() != 2 || h.GetSampleSum() < 2 {
				t.Errorf("wait: %d samples summing to %.2fs, want 2 and ≥ 2s", h.GetSampleCount(), h.GetSampleSum())
			}
		}
	}
}
