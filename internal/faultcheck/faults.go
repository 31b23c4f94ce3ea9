package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// watcherName is the application_name of the test's own connection to the
// fault database; connection cuts spare it, so that the watch keeps seeing.
const watcherName = "reckon-faultcheck"

// restartGrace extends the PostgreSQL restart window past the moment the
// server answers again: the nodes' pools still hold connections the
// restart closed and find out on their next use.
const restartGrace = 2 * time.Second

// afterKill is how long after a kill the test reads what was in flight.
const afterKill = time.Second

// faults kills and restarts nodes, cuts the database's connections and
// restarts PostgreSQL.
type faults struct {
	c      *config
	db     string // the fault database's name
	nodes  []*node
	watch  *watch
	rng    *rand.Rand
	testCx context.Context // restarts outlive the load

	mu                           sync.Mutex
	kills, restarted, cut, exits int
	restart                      window
	stopping                     bool // the test stops the nodes: no more restarts
	restarts                     sync.WaitGroup
}

// exited restarts a node that ended by itself: that is a finding of its own.
func (f *faults) exited(n *node) {
	f.mu.Lock()
	f.exits++
	stopping := f.stopping
	f.mu.Unlock()
	logf("%s exited by itself", n.name)
	if !stopping {
		f.restartLater(n, time.Second)
	}
}

// stop ends the restarts, waiting for those under way.
func (f *faults) stop() {
	f.mu.Lock()
	f.stopping = true
	f.mu.Unlock()
	f.restarts.Wait()
}

// run injects faults until ctx ends: a kill or a cut every 2.5–5 s, and, with
// -restart-postgres, the restart of the server as the last fault. Before
// the restart a CHECKPOINT runs from half the load on, while the other
// faults go on, so that the restart itself is quick (a slow shutdown
// checkpoint would push it past the load). No fault comes in the last
// seconds, so that the last restarted node is back under load.
func (f *faults) run(ctx context.Context) {
	start := time.Now()
	last := start.Add(f.c.duration - 4*time.Second)
	checkpointed := make(chan struct{})
	if f.c.restartPostgres {
		last = start.Add(f.c.duration * 3 / 4)
		go func() {
			defer close(checkpointed)
			if sleep(ctx, f.c.duration/2); ctx.Err() == nil {
				f.checkpoint()
			}
		}()
	}
	for {
		gap := 2500*time.Millisecond + time.Duration(f.rng.Int64N(int64(2500*time.Millisecond)))
		if time.Now().Add(gap).After(last) || done(checkpointed) {
			break
		}
		if sleep(ctx, gap); ctx.Err() != nil {
			return
		}
		if f.rng.IntN(2) == 0 {
			f.killOne(ctx)
		} else {
			f.cutAll(ctx)
		}
	}
	if f.c.restartPostgres {
		<-checkpointed
		if ctx.Err() != nil {
			return
		}
		f.restartPostgres()
	}
	<-ctx.Done()
}

func done(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// checkpoint asks the server for a checkpoint, so that the restart's
// shutdown has little left to write.
func (f *faults) checkpoint() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	began := time.Now()
	if err := admin(ctx, f.c.postgres, "CHECKPOINT"); err != nil {
		logf("checkpoint: %v", err)
		return
	}
	logf("checkpoint took %s", time.Since(began).Round(time.Millisecond))
}

// killOne SIGKILLs a live node, notes the runs it had in flight and
// restarts it 0.5–2.5 s after the kill. It picks at random among the nodes
// working runs' jobs at that moment, so that a kill tests the hand-on;
// among all live nodes when none is.
func (f *faults) killOne(ctx context.Context) {
	var alive, busy []*node
	jobs, err := f.watch.runningRunJobs(ctx)
	if err != nil {
		logf("running jobs before a kill: %v", err)
	}
	for _, n := range f.nodes {
		life, ok := n.current()
		if !ok {
			continue
		}
		alive = append(alive, n)
		for _, j := range jobs {
			if life.owns(j.client) {
				busy = append(busy, n)
				break
			}
		}
	}
	if len(busy) > 0 {
		alive = busy
	}
	if len(alive) == 0 {
		return
	}
	n := alive[f.rng.IntN(len(alive))]
	life := n.kill()
	f.mu.Lock()
	f.kills++
	f.mu.Unlock()
	delay := 500*time.Millisecond + time.Duration(f.rng.Int64N(int64(2*time.Second)))
	f.restartLater(n, delay)
	// The killed node's last statements may still commit after its death
	// (a job fetch, a run marked running): look once they have landed. A
	// node that resumes the work within this second is not seen resuming.
	sleep(ctx, afterKill)
	inFlight := f.watch.recordKill(ctx, life)
	logf("killed %s (%d runs in flight), restarted after %s", n.name, inFlight, delay.Round(time.Millisecond))
}

// restartLater starts n again after delay, trying again for a while: a
// start fails while PostgreSQL restarts.
func (f *faults) restartLater(n *node, delay time.Duration) {
	f.restarts.Add(1)
	go func() {
		defer f.restarts.Done()
		sleep(f.testCx, delay)
		for try := 0; try < 15 && f.testCx.Err() == nil; try++ {
			f.mu.Lock()
			stopping := f.stopping
			f.mu.Unlock()
			if stopping {
				return
			}
			err := n.start(20 * time.Second)
			if err == nil {
				f.mu.Lock()
				f.restarted++
				f.mu.Unlock()
				return
			}
			logf("restart %s: %v", n.name, err)
			n.kill()
			sleep(f.testCx, time.Second)
		}
	}()
}

// cutAll terminates every connection of the fault database but the watch's,
// from a connection to the admin database.
func (f *faults) cutAll(ctx context.Context) {
	conn, err := pgx.Connect(ctx, f.c.postgres)
	if err != nil {
		logf("cut: %v", err)
		return
	}
	defer conn.Close(context.Background())
	var n int
	err = conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> $2`, f.db, watcherName).Scan(&n)
	if err != nil {
		logf("cut: %v", err)
		return
	}
	f.mu.Lock()
	f.cut++
	f.mu.Unlock()
	logf("cut %d connections", n)
}

// restartPostgres restarts the local cluster and waits until it answers.
// The restart is not bound to the test's context: a restart cut in half
// (stopped, never started) leaves the server down for everyone. On a busy
// machine the shutdown checkpoint alone can take half a minute.
func (f *faults) restartPostgres() {
	versions, err := os.ReadDir("/etc/postgresql")
	if err != nil || len(versions) != 1 {
		logf("restart PostgreSQL: want one cluster version in /etc/postgresql (%v)", err)
		return
	}
	cluster := func(action string) error {
		out, err := exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", versions[0].Name(), "main", action).CombinedOutput()
		if err != nil {
			return fmt.Errorf("pg_ctlcluster %s: %w: %s", action, err, out)
		}
		return nil
	}
	answers := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		return waitPostgres(ctx, f.c.postgres)
	}
	from := time.Now()
	logf("restarting PostgreSQL")
	restartErr := cluster("restart")
	if err := answers(); err != nil {
		logf("restart PostgreSQL: %v; starting it", err)
		if err := cluster("start"); err != nil {
			logf("%v", err)
		}
		if err := answers(); err != nil {
			logf("%v", err)
		}
	}
	if restartErr != nil {
		logf("restart PostgreSQL: %v", restartErr)
		return
	}
	f.mu.Lock()
	f.restart = window{from: from, to: time.Now().Add(restartGrace)}
	f.mu.Unlock()
	logf("restarted PostgreSQL in %s", time.Since(from).Round(time.Millisecond))
}

// watch is the test's own connection to the fault database. It learns
// which runs were in flight on a killed node and when each got its next
// attempt.
type watch struct {
	url   string
	every time.Duration

	connMu sync.Mutex
	conn   *pgx.Conn

	mu       sync.Mutex
	inFlight []*inFlight
}

// inFlight is a run whose job was running on a node when it was killed.
type inFlight struct {
	run      int64
	attempts int    // the run's attempts at the kill
	client   string // the killed River client
	killed   time.Time
	resumed  time.Duration // kill to the next attempt; 0 while none
	over     bool          // resumed, or completed without a new attempt
}

// query runs fn on the connection, reconnecting once when it fails (a
// PostgreSQL restart closes it).
func (w *watch) query(ctx context.Context, fn func(*pgx.Conn) error) error {
	w.connMu.Lock()
	defer w.connMu.Unlock()
	var err error
	for try := 0; try < 2; try++ {
		if w.conn == nil || w.conn.IsClosed() {
			if w.conn, err = pgx.Connect(ctx, w.url); err != nil {
				w.conn = nil
				continue
			}
		}
		if err = fn(w.conn); err == nil || ctx.Err() != nil {
			return err
		}
		w.conn.Close(context.Background())
		w.conn = nil
	}
	return err
}

func (w *watch) close() {
	w.connMu.Lock()
	defer w.connMu.Unlock()
	if w.conn != nil {
		w.conn.Close(context.Background())
	}
}

// runningJob is an active run whose River job is running, and the client
// that works it: the last one in the job's attempted_by.
type runningJob struct {
	run      int64
	attempts int
	client   string
}

// runningRunJobs returns the active runs whose River job is running.
func (w *watch) runningRunJobs(ctx context.Context) ([]runningJob, error) {
	var found []runningJob
	err := w.query(ctx, func(c *pgx.Conn) error {
		found = found[:0]
		rows, err := c.Query(ctx, `
SELECT r.id, r.attempts, j.attempted_by[array_length(j.attempted_by, 1)]
FROM operation_runs r JOIN river_job j ON j.id = r.job_id
WHERE r.status IN ('queued', 'running') AND j.state = 'running'`)
		if err != nil {
			return err
		}
		var j runningJob
		_, err = pgx.ForEachRow(rows, []any{&j.run, &j.attempts, &j.client}, func() error {
			found = append(found, j)
			return nil
		})
		return err
	})
	return found, err
}

// recordKill notes the runs whose River job was running on the killed
// incarnation of a node and returns how many.
func (w *watch) recordKill(ctx context.Context, life incarnation) int {
	jobs, err := w.runningRunJobs(ctx)
	if err != nil {
		logf("in flight at the kill: %v", err)
	}
	var found []*inFlight
	for _, j := range jobs {
		if life.owns(j.client) {
			found = append(found, &inFlight{run: j.run, attempts: j.attempts, client: j.client, killed: life.killed})
		}
	}
	w.mu.Lock()
	w.inFlight = append(w.inFlight, found...)
	w.mu.Unlock()
	return len(found)
}

// track polls the runs in flight at a kill until ctx ends, noting when each
// gets a new attempt.
func (w *watch) track(ctx context.Context) {
	t := time.NewTicker(w.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		w.mu.Lock()
		var ids []int64
		for _, f := range w.inFlight {
			if !f.over {
				ids = append(ids, f.run)
			}
		}
		w.mu.Unlock()
		if len(ids) == 0 {
			continue
		}
		type state struct {
			attempts int
			status   string
			client   string // the River client of the run's job's latest attempt
		}
		seen := map[int64]state{}
		err := w.query(ctx, func(c *pgx.Conn) error {
			rows, err := c.Query(ctx, `
SELECT r.id, r.attempts, r.status, COALESCE(j.attempted_by[array_length(j.attempted_by, 1)], '')
FROM operation_runs r LEFT JOIN river_job j ON j.id = r.job_id
WHERE r.id = ANY($1)`, ids)
			if err != nil {
				return err
			}
			var id int64
			var s state
			_, err = pgx.ForEachRow(rows, []any{&id, &s.attempts, &s.status, &s.client}, func() error { seen[id] = s; return nil })
			return err
		})
		if err != nil {
			continue
		}
		now := time.Now()
		w.mu.Lock()
		for _, f := range w.inFlight {
			s, ok := seen[f.run]
			switch {
			case f.over || !ok:
			// A new attempt counts only when a live client made it: the
			// killed node's last transaction may still commit after its death.
			case s.attempts > f.attempts && s.client != "" && s.client != f.client:
				f.resumed, f.over = now.Sub(f.killed), true
				logf("run %d resumed %s after the kill", f.run, f.resumed.Round(time.Millisecond))
			case s.status == "completed":
				f.over = true
			}
		}
		w.mu.Unlock()
	}
}

// waitIdle waits until no run is queued or running, or ctx ends.
func (w *watch) waitIdle(ctx context.Context) {
	for ctx.Err() == nil {
		var active int
		err := w.query(ctx, func(c *pgx.Conn) error {
			return c.QueryRow(ctx, `SELECT count(*) FROM operation_runs WHERE status IN ('queued', 'running')`).Scan(&active)
		})
		if err == nil && active == 0 {
			return
		}
		sleep(ctx, 500*time.Millisecond)
	}
}
