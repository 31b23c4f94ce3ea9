// Package metrics exposes reckon's operational figures to Prometheus:
// reconciliation settlements by run type and reason code, the duration of
// sweeps and the runs they examined or could not judge, the ledger's
// transitions, HTTP request durations by route pattern, the job queue's
// attempts, waits and rescues, and — read from the database at scrape time —
// active runs by type and status, runs past their deadline and queue jobs
// by state and kind.
package metrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/store"
)

// scrapeTimeout bounds the database reads of one scrape.
const scrapeTimeout = 5 * time.Second

// Metrics records reconciliation figures and reads run counts on scrape. It
// implements reconcile.Observer.
type Metrics struct {
	db     *store.DB
	logger *slog.Logger

	settlements   *prometheus.CounterVec
	sweepDuration prometheus.Histogram
	examined      prometheus.Counter
	unjudged      prometheus.Counter
	transitions   *prometheus.CounterVec
	httpDuration  *prometheus.HistogramVec
	scrapeErrors  prometheus.Counter
	activeDesc    *prometheus.Desc
	pastDesc      *prometheus.Desc
	nodesDesc     *prometheus.Desc
	// nodesDeadAfter is how old a heartbeat may be for its node to count
	// as alive; 0 until WatchNodes, and no node gauge then.
	nodesDeadAfter time.Duration

	mu   sync.Mutex
	seen map[activeKey]bool // series reported once keep reporting, as 0
}

type activeKey struct {
	typ    reckon.RunType
	status reckon.RunStatus
}

var _ reconcile.Observer = (*Metrics)(nil)

// New registers reckon's metrics with reg. logger may be nil.
func New(reg prometheus.Registerer, db *store.DB, logger *slog.Logger) (*Metrics, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		db:     db,
		logger: logger,
		settlements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reckon_reconcile_settlements_total",
			Help: "Runs settled by reconciliation, by run type and reason code.",
		}, []string{"type", "reason_code"}),
		sweepDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "reckon_reconcile_sweep_duration_seconds",
			Help:    "Duration of reconciliation sweeps.",
			Buckets: prometheus.ExponentialBuckets(0.005, 3, 10),
		}),
		examined: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "reckon_reconcile_runs_examined_total",
			Help: "Runs the reconciler's sweeps locked and judged.",
		}),
		unjudged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "reckon_reconcile_runs_unjudged_total",
			Help: "Runs a sweep could not judge (an adapter failed); they stay for the next sweep.",
		}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "reckon_ledger_transitions_total",
			Help: "Run transitions the ledger committed, by run type, new status and outcome.",
		}, []string{"type", "status", "outcome"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "reckon_http_request_duration_seconds",
			Help:    "Duration of HTTP requests, by route pattern, method and status class.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "code_class"}),
		scrapeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "reckon_metrics_scrape_errors_total",
			Help: "Scrapes whose database reads failed; their run gauges were left out.",
		}),
		activeDesc: prometheus.NewDesc("reckon_runs_active", "Queued and running runs, by run type and status.",
			[]string{"type", "status"}, nil),
		pastDesc: prometheus.NewDesc("reckon_runs_past_deadline", "Active runs past their deadline, waiting for the reconciler.",
			nil, nil),
		nodesDesc: prometheus.NewDesc("reckon_nodes_alive", "Nodes working jobs whose heartbeat is fresh (any process's view of the whole database).",
			nil, nil),
		seen: map[activeKey]bool{},
	}
	for _, c := range []prometheus.Collector{m.settlements, m.sweepDuration, m.examined, m.unjudged,
		m.transitions, m.httpDuration, m.scrapeErrors, m} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// WatchNodes adds the reckon_nodes_alive gauge: nodes that have not stopped
// and heartbeat within deadAfter (the catalog's liveness). Call it before
// the first scrape.
func (m *Metrics) WatchNodes(deadAfter time.Duration) { m.nodesDeadAfter = deadAfter }

// Settled implements reconcile.Observer.
func (m *Metrics) Settled(typ reckon.RunType, reasonCode string) {
	m.settlements.WithLabelValues(string(typ), reasonCode).Inc()
}

// SweepFinished implements reconcile.Observer.
func (m *Metrics) SweepFinished(d time.Duration, res reconcile.Result) {
	m.sweepDuration.Observe(d.Seconds())
	m.examined.Add(float64(res.Examined))
	m.unjudged.Add(float64(res.Errors))
}

// Describe implements prometheus.Collector for the gauges read on scrape.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.activeDesc
	ch <- m.pastDesc
	ch <- m.nodesDesc
}

// Collect implements prometheus.Collector: it reads the run gauges from the
// database. A failed read leaves them out of this scrape rather than failing
// the whole endpoint.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	var (
		active      []store.ActiveRunCount
		past, alive int64
	)
	err := m.db.InTx(ctx, func(tx *store.Tx) (err error) {
		if active, err = tx.CountActiveRuns(ctx); err != nil {
			return err
		}
		if m.nodesDeadAfter > 0 {
			if alive, err = tx.CountLiveNodes(ctx, tx.Now().Add(-m.nodesDeadAfter)); err != nil {
				return err
			}
		}
		past, err = tx.CountRunsPastDeadline(ctx, tx.Now())
		return err
	})
	if err != nil {
		m.scrapeFailed("run counts", err)
		return
	}
	counts := make(map[activeKey]int64, len(active))
	for _, c := range active {
		counts[activeKey{c.Type, c.Status}] = c.N
	}
	m.mu.Lock()
	for k := range counts {
		m.seen[k] = true
	}
	for k := range m.seen {
		ch <- prometheus.MustNewConstMetric(m.activeDesc, prometheus.GaugeValue, float64(counts[k]), string(k.typ), string(k.status))
	}
	m.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(m.pastDesc, prometheus.GaugeValue, float64(past))
	if m.nodesDeadAfter > 0 {
		ch <- prometheus.MustNewConstMetric(m.nodesDesc, prometheus.GaugeValue, float64(alive))
	}
}

// scrapeFailed counts and logs a scrape's failed database read.
func (m *Metrics) scrapeFailed(what string, err error) {
	m.scrapeErrors.Inc()
	m.logger.Warn("metrics: "+what+" unavailable", "err", err)
}
