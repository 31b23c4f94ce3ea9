package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/internal/telemetry"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// ComposeOptions configure Compose. Zero values take the defaults.
type ComposeOptions struct {
	// DatabaseURL names where to measure, as in LedgerOptions.
	DatabaseURL string
	// Reviews is how many reviews the throughput phase composes, one per
	// environment (default 200).
	Reviews int
	// Workers is how many jobs are worked at once (default 10).
	Workers int
	// Callers is how many callers create at once (default 50).
	Callers int
	// Rounds is how many times the callers create at once in each latency
	// phase, each round on newer evidence (default 10).
	Rounds int
	// Findings is the size of each snapshot (default 130, as a ScubaGear
	// report of Microsoft 365).
	Findings int
	// PollInterval is how often idle workers look for jobs (default 50ms).
	PollInterval time.Duration
	// Log receives River's and the compose job's warnings; nil discards them.
	Log *slog.Logger
	// Tracing traces the measured process, to measure what tracing costs;
	// off when nil.
	Tracing *telemetry.Tracing
}

func (o ComposeOptions) withDefaults() ComposeOptions {
	if o.Reviews <= 0 {
		o.Reviews = 200
	}
	if o.Workers <= 0 {
		o.Workers = 10
	}
	if o.Callers <= 0 {
		o.Callers = 50
	}
	if o.Rounds <= 0 {
		o.Rounds = 10
	}
	if o.Findings <= 0 {
		o.Findings = 130
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 50 * time.Millisecond
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// CreateLatency is how long create calls took in one latency phase, and
// what they answered.
type CreateLatency struct {
	Calls   int            `json:"calls"`
	Latency Spread         `json:"latency"`
	Results map[string]int `json:"results"`
	// Runs is how many compose runs the phase created: one per environment
	// per round when no trigger multiplies them.
	Runs int `json:"runs"`
}

func (l CreateLatency) String() string {
	return fmt.Sprintf("%d calls, %s, %d runs, results %v", l.Calls, l.Latency, l.Runs, l.Results)
}

// ComposeResult is what Compose measured.
type ComposeResult struct {
	Engine   store.Engine `json:"engine"`
	Database string       `json:"database"`
	Workers  int          `json:"workers"`
	Callers  int          `json:"callers"`
	Findings int          `json:"findings"`
	// Throughput is phase (a): reviews from create to ready, one per
	// environment, created by Callers goroutines. InsertTx is the create
	// call; Work the compose job.
	Throughput Throughput `json:"throughput"`
	// OneEnvironment is phase (b): Callers create at once on one environment.
	OneEnvironment CreateLatency `json:"one_environment"`
	// ManyEnvironments is phase (c): Callers create at once, each on an
	// environment of its own.
	ManyEnvironments CreateLatency `json:"many_environments"`
}

// composeBench is one Compose measurement's wiring.
type composeBench struct {
	o      ComposeOptions
	db     *store.DB
	svc    *review.Service
	ws     *reckon.Workspace
	nextID atomic.Int64 // environment slugs
}

// Compose measures review composition end to end on a fresh database in
// this process, with the compose job working as reckon serves it: (a) how
// many reviews per second go from create to ready, and the p50/p95 latency
// of create with Callers concurrent callers (b) on one environment and (c)
// on as many environments. It prints each result to out.
func Compose(ctx context.Context, opts *ComposeOptions, out io.Writer) (*ComposeResult, error) {
	if opts == nil {
		opts = &ComposeOptions{}
	}
	o := opts.withDefaults()
	s, err := openScratch(ctx, o.DatabaseURL, int32(min(o.Workers+o.Callers+8, maxConns)))
	if err != nil {
		return nil, err
	}
	defer s.close()
	res := &ComposeResult{Engine: s.db.Engine(), Database: s.where, Workers: o.Workers, Callers: o.Callers, Findings: o.Findings}
	fmt.Fprintf(out, "reckon bench compose: %s, %s\n", res.Engine, res.Database)
	fmt.Fprintf(out, "%d workers, %d callers, %d findings per snapshot, poll every %s\n", o.Workers, o.Callers, o.Findings, o.PollInterval)

	a, err := app.New(s.db, &app.Options{Logger: o.Log, Work: true, MaxWorkers: o.Workers, PollInterval: o.PollInterval,
		Tracing: o.Tracing})
	if err != nil {
		return nil, err
	}
	q := a.Queue
	b := &composeBench{o: o, db: s.db, svc: a.Reviews}
	events, cancelEvents := q.SubscribeBuffered(o.Reviews+o.Workers, river.EventKindJobCompleted,
		river.EventKindJobFailed, river.EventKindJobCancelled, river.EventKindJobSnoozed)
	unsubscribe := sync.OnceFunc(cancelEvents) // after phase (a), which alone counts jobs
	defer unsubscribe()
	if err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		b.ws, err = tx.CreateWorkspace(ctx, "bench", "Benchmark")
		return err
	}); err != nil {
		return nil, err
	}
	if err := q.Start(ctx); err != nil {
		return nil, err
	}
	defer func() {
		stopCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer stop()
		_ = q.Stop(stopCtx)
	}()

	fmt.Fprintf(out, "(a) %d reviews, create → ready, one per environment\n", o.Reviews)
	if res.Throughput, err = b.throughput(ctx, events, out); err != nil {
		return nil, err
	}
	unsubscribe()
	fmt.Fprintf(out, "(a) throughput: %s\n    (insert tx: the create call; in worker: the compose job)\n", res.Throughput)

	fmt.Fprintf(out, "(b) %d callers at once on one environment, %d rounds\n", o.Callers, o.Rounds)
	one, err := b.environments(ctx, 1)
	if err != nil {
		return nil, err
	}
	if res.OneEnvironment, err = b.latency(ctx, func(i int) reckon.Scope { return one[0] }, one); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "(b) create: %s\n", res.OneEnvironment)

	fmt.Fprintf(out, "(c) %d callers at once on %d environments, %d rounds\n", o.Callers, o.Callers, o.Rounds)
	many, err := b.environments(ctx, o.Callers)
	if err != nil {
		return nil, err
	}
	if res.ManyEnvironments, err = b.latency(ctx, func(i int) reckon.Scope { return many[i] }, many); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "(c) create: %s\n", res.ManyEnvironments)
	return res, nil
}

// findings is a snapshot's content: a mix of severities and statuses,
// varied by seed so that snapshots differ.
func (b *composeBench) findings(seed int) []reckon.Finding {
	out := make([]reckon.Finding, b.o.Findings)
	for i := range out {
		out[i] = reckon.Finding{
			ControlID: fmt.Sprintf("MS.PRODUCT%d.%d.%dv1", i%7, i/7, i%3),
			Title:     fmt.Sprintf("Control %d of the secure configuration baseline", i),
			Severity:  reckon.Severities[i%len(reckon.Severities)],
			Status:    reckon.FindingStatuses[(i+seed)%len(reckon.FindingStatuses)],
			Product:   fmt.Sprintf("product%d", i%7),
		}
	}
	return out
}

// environments creates n environments with one snapshot each.
func (b *composeBench) environments(ctx context.Context, n int) ([]reckon.Scope, error) {
	scopes := make([]reckon.Scope, n)
	for i := range scopes {
		id := b.nextID.Add(1)
		err := b.db.InTx(ctx, func(tx *store.Tx) error {
			env, err := tx.CreateEnvironment(ctx, b.ws.ID, fmt.Sprintf("env-%d", id), fmt.Sprintf("Environment %d", id), "")
			scopes[i] = reckon.Scope{WorkspaceID: b.ws.ID, EnvironmentID: env.ID}
			return err
		})
		if err != nil {
			return nil, err
		}
		if err := b.snapshot(ctx, scopes[i], 0); err != nil {
			return nil, err
		}
	}
	return scopes, nil
}

func (b *composeBench) snapshot(ctx context.Context, scope reckon.Scope, seed int) error {
	_, _, err := evidence.NewService(b.db).Import(ctx, scope, reckon.SnapshotInput{
		CapturedAt: time.Now().UTC(), Findings: b.findings(seed),
		Source: reckon.SnapshotSource{Format: reckon.SnapshotFormatNative}})
	return err
}

// throughput creates one review per environment from o.Callers goroutines
// and waits for every compose job to complete.
func (b *composeBench) throughput(ctx context.Context, events <-chan *river.Event, out io.Writer) (Throughput, error) {
	scopes, err := b.environments(ctx, b.o.Reviews)
	if err != nil {
		return Throughput{}, err
	}
	var done, next atomic.Int64
	stopProgress := progress(out, "compose", "ready", b.o.Reviews, &done)
	defer stopProgress()
	createCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	calls := make([][]time.Duration, b.o.Callers)
	var callers sync.WaitGroup
	var createdAt atomic.Int64
	start := time.Now()
	for n := range b.o.Callers {
		callers.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(scopes) || createCtx.Err() != nil {
					return
				}
				began := time.Now()
				r, err := b.svc.Compose(createCtx, scopes[i], 0)
				if err == nil && r.Result != review.ResultQueued {
					err = fmt.Errorf("answered %s", r.Result)
				}
				if err != nil {
					cancel(fmt.Errorf("bench: create review %d: %w", i, err))
					return
				}
				calls[n] = append(calls[n], time.Since(began))
				createdAt.Store(int64(time.Since(start)))
			}
		})
	}
	last, stats, err := awaitCompleted(createCtx, events, b.o.Reviews, &done)
	callers.Wait()
	if err != nil {
		if cause := context.Cause(createCtx); cause != nil {
			err = cause
		}
		return Throughput{}, err
	}
	res := Throughput{Count: b.o.Reviews, Elapsed: last.Sub(start), Inserted: time.Duration(createdAt.Load())}
	var all []time.Duration
	for _, c := range calls {
		all = append(all, c...)
	}
	res.InsertTx = spreadOf(all)
	work, wait := make([]time.Duration, len(stats)), make([]time.Duration, len(stats))
	for i, s := range stats {
		work[i], wait[i] = s.RunDuration, s.QueueWaitDuration
	}
	res.Work, res.Wait = spreadOf(work), spreadOf(wait)
	ready := 0
	for _, scope := range scopes {
		v, err := b.svc.LatestReview(ctx, scope)
		if err != nil {
			return Throughput{}, err
		}
		if v.Status == reckon.ReviewReady {
			ready++
		}
	}
	if ready != len(scopes) {
		return Throughput{}, fmt.Errorf("bench: %d of %d reviews are ready", ready, len(scopes))
	}
	return res, nil
}

// latency runs o.Rounds rounds in which o.Callers callers create at once,
// caller i on scopeOf(i), each round on a newer snapshot of every scope, and
// waits for the round's runs before the next.
func (b *composeBench) latency(ctx context.Context, scopeOf func(i int) reckon.Scope, scopes []reckon.Scope) (CreateLatency, error) {
	res := CreateLatency{Results: map[string]int{}}
	var all []time.Duration
	for round := range b.o.Rounds {
		if round > 0 {
			for _, scope := range scopes {
				if err := b.snapshot(ctx, scope, round); err != nil {
					return res, err
				}
			}
		}
		took := make([]time.Duration, b.o.Callers)
		results := make([]*review.ComposeResult, b.o.Callers)
		errs := make([]error, b.o.Callers)
		gate := make(chan struct{})
		var callers sync.WaitGroup
		for i := range b.o.Callers {
			callers.Go(func() {
				<-gate
				began := time.Now()
				results[i], errs[i] = b.svc.Compose(ctx, scopeOf(i), 0)
				took[i] = time.Since(began)
			})
		}
		close(gate)
		callers.Wait()
		var runs []*reckon.Run
		for i, r := range results {
			if errs[i] != nil {
				return res, fmt.Errorf("bench: create: %w", errs[i])
			}
			res.Results[string(r.Result)]++
			if r.Result == review.ResultQueued {
				runs = append(runs, r.Run)
			}
		}
		all = append(all, took...)
		res.Runs += len(runs)
		if err := b.awaitRuns(ctx, runs); err != nil {
			return res, err
		}
	}
	res.Calls, res.Latency = len(all), spreadOf(all)
	return res, nil
}

// awaitRuns waits until the runs have completed.
func (b *composeBench) awaitRuns(ctx context.Context, runs []*reckon.Run) error {
	deadline := time.Now().Add(stallTimeout)
	for _, run := range runs {
		for {
			var status reckon.RunStatus
			if err := b.db.InTx(ctx, func(tx *store.Tx) error {
				r, err := tx.Run(ctx, run.WorkspaceID, run.ID)
				if err == nil {
					status = r.Status
				}
				return err
			}); err != nil {
				return err
			}
			if status == reckon.RunCompleted {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("bench: run %d did not complete within %s", run.ID, stallTimeout)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	return nil
}
