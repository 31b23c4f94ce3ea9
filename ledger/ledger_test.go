package ledger_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/catalog"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

type noopArgs struct {
	RunID int64 `json:"run_id"`
}

func (noopArgs) Kind() string { return "test.noop" }

type testBundle struct {
	db     *store.DB
	ledger *ledger.Ledger
	fx     *reckontest.Fixture
}

// setup returns a ledger whose compose runs enqueue a test.noop job; restore
// runs have no job.
func setup(t testing.TB, db *store.DB) *testBundle {
	t.Helper()
	q, err := queue.New(db, &queue.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.Default()
	cat.SetJob(reckon.RunTypeReviewCompose, func(id int64) river.JobArgs { return noopArgs{RunID: id} })
	return &testBundle{db: db, ledger: ledger.New(cat, q), fx: reckontest.NewFixture(t, db)}
}

func newTestClock() *reckontest.Clock {
	return reckontest.EpochClock()
}

// eachEngineWith is reckontest.EachEngine with database options.
func eachEngineWith(t *testing.T, opts *reckontest.Options, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) { fn(t, reckontest.Open(t, engine, opts)) })
	}
}

// eachEngineWithClock is reckontest.EachEngine with a database on clock.
func eachEngineWithClock(t *testing.T, clock *reckontest.Clock, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	eachEngineWith(t, &reckontest.Options{Clock: clock.Now}, fn)
}

// raceConns is how many callers of a race test hold a transaction at once
// on PostgreSQL; the pool is opened with room for them.
const raceConns = 16

// gate makes concurrent callers' transactions overlap. Each caller passes
// it inside its transaction, before the write under test; the first n are
// held until all n have begun, so that they race on the same rows instead
// of running one after another while the pool dials connections. SQLite
// runs one transaction at a time on its one connection: there the gate
// holds nobody, and the engine's write lock is what serialises callers.
type gate struct {
	mu      sync.Mutex
	n       int
	arrived int
	open    chan struct{}
}

func newGate(db *store.DB, n int) *gate {
	if db.Engine() == store.SQLite {
		n = 1
	}
	return &gate{n: n, open: make(chan struct{})}
}

func (g *gate) pass() {
	g.mu.Lock()
	g.arrived++
	if g.arrived == g.n {
		close(g.open)
	}
	g.mu.Unlock()
	<-g.open
}

// inTx runs fn in a transaction and fails the test on error.
func (b *testBundle) inTx(t testing.TB, fn func(ctx context.Context, tx *store.Tx) error) {
	t.Helper()
	reckontest.Tx(t, b.db, fn)
}

func composeParams(scope reckon.Scope, key string) *ledger.EnsureParams {
	return &ledger.EnsureParams{Scope: scope, Type: reckon.RunTypeReviewCompose, Key: key,
		Context: reckon.RunContext{Fingerprint: key, EvidenceSnapshotID: 7}}
}

// ensureWith triggers a run in a transaction of its own (Ledger.Trigger).
func (b *testBundle) ensureWith(t testing.TB, p *ledger.EnsureParams) (*reckon.Run, bool) {
	t.Helper()
	run, created, err := b.ledger.Trigger(context.Background(), b.db, p)
	if err != nil {
		t.Fatal(err)
	}
	return run, created
}

func (b *testBundle) ensure(t testing.TB, scope reckon.Scope, key string) (*reckon.Run, bool) {
	t.Helper()
	return b.ensureWith(t, composeParams(scope, key))
}

func (b *testBundle) run(t testing.TB, workspaceID, id int64) *reckon.Run {
	t.Helper()
	return reckontest.Run(t, b.db, workspaceID, id)
}

func (b *testBundle) complete(t testing.TB, id int64, c *ledger.Completion) (*reckon.Run, bool) {
	t.Helper()
	var run *reckon.Run
	var changed bool
	b.inTx(t, func(ctx context.Context, tx *store.Tx) (err error) {
		run, changed, err = b.ledger.Complete(ctx, tx, id, c)
		return err
	})
	return run, changed
}

func (b *testBundle) markRunning(t testing.TB, id int64) (*reckon.Run, bool) {
	t.Helper()
	var run *reckon.Run
	var changed bool
	b.inTx(t, func(ctx context.Context, tx *store.Tx) (err error) {
		run, changed, err = b.ledger.MarkRunning(ctx, tx, id)
		return err
	})
	return run, changed
}

// counts is what a workspace holds in the tables the ledger writes.
type counts struct {
	runs, jobs, audit, notifications int64
}

func (b *testBundle) counts(t testing.TB, workspaceID int64) counts {
	t.Helper()
	var c counts
	b.inTx(t, func(ctx context.Context, tx *store.Tx) (err error) {
		if c.runs, err = tx.CountRuns(ctx, workspaceID); err != nil {
			return err
		}
		if c.jobs, err = tx.QueueJobCount(ctx, noopArgs{}.Kind(), ""); err != nil {
			return err
		}
		if c.audit, err = tx.CountAuditEvents(ctx); err != nil {
			return err
		}
		c.notifications, err = tx.CountNotifications(ctx, workspaceID)
		return err
	})
	return c
}

func (b *testBundle) auditEvents(t testing.TB, runID int64) []*store.AuditEvent {
	t.Helper()
	return reckontest.Audits(t, b.db, runID)
}

func TestEnsureConcurrentOneRun(t *testing.T) {
	t.Parallel()
	eachEngineWith(t, &reckontest.Options{MaxConns: raceConns}, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		scope := b.fx.Scope()
		const callers = 64
		ids := make([]int64, callers)
		created := make([]bool, callers)
		errs := make([]error, callers)
		g := newGate(db, raceConns)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				errs[i] = db.InTx(context.Background(), func(tx *store.Tx) error {
					g.pass()
					run, c, err := b.ledger.Ensure(context.Background(), tx, composeParams(scope, "sha256:same"))
					if err == nil {
						ids[i], created[i] = run.ID, c
					}
					return err
				})
			})
		}
		wg.Wait()
		nCreated := 0
		for i := range callers {
			if errs[i] != nil {
				t.Fatalf("caller %d: %v", i, errs[i])
			}
			if ids[i] != ids[0] {
				t.Fatalf("caller %d got run %d, caller 0 got %d", i, ids[i], ids[0])
			}
			if created[i] {
				nCreated++
			}
		}
		if nCreated != 1 {
			t.Fatalf("%d callers created a run, want exactly 1", nCreated)
		}
		if got := b.counts(t, scope.WorkspaceID); got.runs != 1 || got.jobs != 1 {
			t.Fatalf("after 64 concurrent triggers: %d runs and %d jobs, want 1 and 1", got.runs, got.jobs)
		}
		run := b.run(t, scope.WorkspaceID, ids[0])
		if run.JobID == 0 || run.Status != reckon.RunQueued || run.Outcome != reckon.OutcomePending ||
			!run.DeadlineAt.Equal(run.CreatedAt.Add(15*time.Minute)) {
			t.Fatalf("unexpected run %+v", run)
		}
	})
}

func TestEnsureReturnsTheActiveRun(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		scope := b.fx.Scope()
		first, created := b.ensure(t, scope, "sha256:a")
		if !created {
			t.Fatal("first trigger did not create a run")
		}
		again, created := b.ensure(t, scope, "sha256:a")
		if created || again.ID != first.ID {
			t.Fatalf("second trigger: run %d created=%v, want run %d not created", again.ID, created, first.ID)
		}
		b.markRunning(t, first.ID)
		whileRunning, created := b.ensure(t, scope, "sha256:a")
		if created || whileRunning.ID != first.ID || whileRunning.Status != reckon.RunRunning {
			t.Fatalf("trigger while running: run %d %s created=%v, want run %d running", whileRunning.ID, whileRunning.Status, created, first.ID)
		}
		other, created := b.ensure(t, scope, "sha256:b")
		if !created || other.ID == first.ID {
			t.Fatalf("another identity: run %d created=%v, want a new run", other.ID, created)
		}
		if got := b.counts(t, scope.WorkspaceID); got.runs != 2 || got.jobs != 2 {
			t.Fatalf("%d runs and %d jobs, want 2 and 2", got.runs, got.jobs)
		}
	})
}

func TestFinishedRunFreesIdentity(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		scope := b.fx.Scope()
		first, _ := b.ensure(t, scope, "sha256:a")
		done, _ := b.complete(t, first.ID, &ledger.Completion{Outcome: reckon.OutcomeFailed, ReasonCode: "review.compose_failed", Actor: "job"})
		second, created := b.ensure(t, scope, "sha256:a")
		if !created || second.ID == first.ID || second.Status != reckon.RunQueued {
			t.Fatalf("trigger after completion: run %d %s created=%v, want a new queued run", second.ID, second.Status, created)
		}
		if second.IdentityHash != first.IdentityHash || second.JobID == 0 || second.JobID == first.JobID {
			t.Fatalf("new run %+v: want the same identity and its own job", second)
		}
		if got := b.run(t, scope.WorkspaceID, first.ID); !sameRun(got, done) {
			t.Fatalf("the finished run changed:\n got %+v\nwant %+v", got, done)
		}
	})
}

func TestEnsureEnqueuesInTheSameTransaction(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		scope := b.fx.Scope()
		abort := errors.New("abort")
		err := db.InTx(context.Background(), func(tx *store.Tx) error {
			run, created, err := b.ledger.Ensure(context.Background(), tx, composeParams(scope, "sha256:a"))
			if err != nil {
				return err
			}
			if !created || run.JobID == 0 {
				t.Errorf("inside the transaction: created=%v job=%d, want a run with a job", created, run.JobID)
			}
			return abort
		})
		if !errors.Is(err, abort) {
			t.Fatalf("InTx: %v", err)
		}
		if got := b.counts(t, scope.WorkspaceID); got.runs != 0 || got.jobs != 0 {
			t.Fatalf("after rollback: %d runs and %d jobs, want none", got.runs, got.jobs)
		}

		run, _ := b.ensure(t, scope, "sha256:a")
		var jobs []store.QueueJob
		b.inTx(t, func(ctx context.Context, tx *store.Tx) (err error) {
			jobs, err = tx.QueueJobs(ctx, noopArgs{}.Kind())
			return err
		})
		if len(jobs) != 1 {
			t.Fatalf("after commit: %d jobs, want 1", len(jobs))
		}
		var args noopArgs
		if err := json.Unmarshal(jobs[0].Args, &args); err != nil {
			t.Fatal(err)
		}
		if jobs[0].ID != run.JobID || args.RunID != run.ID || jobs[0].State != "available" {
			t.Fatalf("job %+v (args %+v) does not execute run %d with job %d", jobs[0], args, run.ID, run.JobID)
		}
		if stored := b.run(t, scope.WorkspaceID, run.ID); stored.JobID != run.JobID {
			t.Fatalf("stored job id %d, Ensure returned %d", stored.JobID, run.JobID)
		}
	})
}

func TestEnsureWithoutJob(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		scope := b.fx.Scope()
		run, created := b.ensureWith(t, &ledger.EnsureParams{Scope: scope, Type: reckon.RunTypeRestoreExecute, Key: "backup-1",
			Context: reckon.RunContext{BackupRef: "backup-1"}})
		if !created || run.JobID != 0 || run.Type != reckon.RunTypeRestoreExecute {
			t.Fatalf("restore run %+v created=%v: want a new run without a job", run, created)
		}
		if got := b.counts(t, scope.WorkspaceID); got.runs != 1 || got.jobs != 0 {
			t.Fatalf("%d runs and %d jobs, want 1 and 0", got.runs, got.jobs)
		}
	})
}

func TestEnsureRejectsBadParams(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		scope := b.fx.Scope()
		otherEnv := b.fx.Scope().EnvironmentID
		noQueue := ledger.New(b.ledger.Catalog(), nil)
		cases := []struct {
			name   string
			ledger *ledger.Ledger
			params *ledger.EnsureParams
			want   error
		}{
			{"unknown type", b.ledger, &ledger.EnsureParams{Scope: scope, Type: "backup.nightly", Key: "k"}, ledger.ErrUnknownType},
			{"no workspace", b.ledger, composeParams(reckon.Scope{EnvironmentID: scope.EnvironmentID}, "k"), nil},
			{"no environment", b.ledger, composeParams(reckon.Scope{WorkspaceID: scope.WorkspaceID}, "k"), nil},
			{"environment of another workspace", b.ledger,
				composeParams(reckon.Scope{WorkspaceID: scope.WorkspaceID, EnvironmentID: otherEnv}, "k"), store.ErrNotFound},
			{"no queue for a type with a job", noQueue, composeParams(scope, "k"), nil},
		}
		for _, tc := range cases {
			_, _, err := tc.ledger.Trigger(context.Background(), db, tc.params)
			if err == nil {
				t.Errorf("%s: Trigger succeeded, want an error", tc.name)
			} else if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
		}
		if got := b.counts(t, scope.WorkspaceID); got.runs != 0 || got.jobs != 0 {
			t.Fatalf("rejected triggers left %d runs and %d jobs", got.runs, got.jobs)
		}
	})
}

// sameRun compares two runs field by field; times are compared as instants.
func sameRun(a, b *reckon.Run) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}
