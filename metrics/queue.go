package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/reckonhq/reckon/store"
)

// rescuedByRiver is the error River's rescuer records on a stuck job it
// hands back to the queue.
const rescuedByRiver = "Stuck job rescued by JobRescuer"

// Queue is the job queue's figures: jobs by state and kind, read from the
// queue's table at scrape time, and — from a worker middleware — time in
// queue, attempts and rescues of the jobs this process works.
type Queue struct {
	river.MiddlewareDefaults

	db       *store.DB
	m        *Metrics
	jobsDesc *prometheus.Desc
	wait     *prometheus.HistogramVec
	attempts *prometheus.CounterVec
	rescues  *prometheus.CounterVec

	mu   sync.Mutex
	seen map[[2]string]bool // series reported once keep reporting, as 0
}

var _ rivertype.WorkerMiddleware = (*Queue)(nil)

// NewQueue registers the queue's metrics with reg. Add it to the queue's
// middleware so that it sees every attempt.
func NewQueue(reg prometheus.Registerer, db *store.DB, m *Metrics) (*Queue, error) {
	q := &Queue{
		db: db,
		m:  m,
		jobsDesc: prometheus.NewDesc("reckon_queue_jobs", "Jobs in the queue's table, by state and kind.",
			[]string{"state", "kind"}, nil),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "reckon_queue_job_wait_seconds",
			Help:    "Time a job waited from when it was due until a worker started it, by kind.",
			Buckets: prometheus.ExponentialBuckets(0.01, 3, 10),
		}, []string{"kind"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reckon_queue_job_attempts_total",
			Help: "Attempts worked by this process, by kind and result (ok or error).",
		}, []string{"kind", "result"}),
		rescues: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reckon_queue_job_rescues_total",
			Help: "Attempts of jobs that River's rescuer had taken back from a stuck worker, by kind.",
		}, []string{"kind"}),
		seen: map[[2]string]bool{},
	}
	for _, c := range []prometheus.Collector{q.wait, q.attempts, q.rescues, q} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return q, nil
}

// Work implements rivertype.WorkerMiddleware.
func (q *Queue) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	q.wait.WithLabelValues(job.Kind).Observe(max(time.Since(job.ScheduledAt), 0).Seconds())
	if n := len(job.Errors); n > 0 && job.Errors[n-1].Error == rescuedByRiver {
		q.rescues.WithLabelValues(job.Kind).Inc()
	}
	err := doInner(ctx)
	result := "ok"
	if err != nil {
		result = "error"
	}
	q.attempts.WithLabelValues(job.Kind, result).Inc()
	return err
}

// Describe implements prometheus.Collector for the jobs gauge.
func (q *Queue) Describe(ch chan<- *prometheus.Desc) { ch <- q.jobsDesc }

// Collect implements prometheus.Collector: one grouped read of the queue's
// table. A failed read leaves the gauge out of this scrape.
func (q *Queue) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	var jobs []store.QueueJobsByState
	err := q.db.InTx(ctx, func(tx *store.Tx) (err error) {
		jobs, err = tx.CountQueueJobs(ctx)
		return err
	})
	if err != nil {
		q.m.scrapeFailed("queue job counts", err)
		return
	}
	counts := make(map[[2]string]int64, len(jobs))
	for _, j := range jobs {
		counts[[2]string{j.State, j.Kind}] = j.N
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for k := range counts {
		q.seen[k] = true
	}
	for k := range q.seen {
		ch <- prometheus.MustNewConstMetric(q.jobsDesc, prometheus.GaugeValue, float64(counts[k]), k[0], k[1])
	}
}
