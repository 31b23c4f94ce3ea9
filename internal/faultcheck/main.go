// Command faultcheck is reckon's fault test: one `reckon serve` and two
// `reckon worker` processes on a fresh PostgreSQL database, callers that
// compose reviews and import evidence over the JSON API, SIGKILLs of random
// nodes among those working runs' jobs at the moment (each restarted after
// 0.5–2.5 s), cuts of every connection of
// the database and, once and last, a restart of the PostgreSQL server. Then
// it checks the invariants over the database and prints one summary.
//
//	go run ./internal/faultcheck -postgres URL [-restart-postgres] [-duration 60s] [-goals=report]
//
// It exits 1 when an invariant fails, and when one of its goals (summary.go) is missed
// unless -goals=report. It only talks to loopback and the given server,
// stops by itself, and stops its processes and drops its database on any
// exit, SIGINT included.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

type config struct {
	keepLogs          bool
	postgres          string
	restartPostgres   bool
	duration          time.Duration
	callers           int
	environments      int
	queuedDeadline    time.Duration
	runningDeadline   time.Duration
	reconcileInterval time.Duration
	composeDelay      time.Duration
	goals             string
	repo              string
	seed              uint64
	timeout           time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.postgres, "postgres", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"admin URL of the PostgreSQL server; the test creates and drops a database of its own on it")
	flag.BoolVar(&c.restartPostgres, "restart-postgres", false,
		"restart the local PostgreSQL cluster once (pg_ctlcluster), as the last fault")
	flag.DurationVar(&c.duration, "duration", 60*time.Second, "how long the load and the faults last")
	flag.IntVar(&c.callers, "callers", 12, "concurrent API callers")
	flag.IntVar(&c.environments, "environments", 6, "managed environments")
	flag.DurationVar(&c.queuedDeadline, "queued-deadline", 30*time.Second,
		"queued deadline of every run type, short so that runs left behind are settled within the test")
	flag.DurationVar(&c.runningDeadline, "running-deadline", 30*time.Second, "running deadline of every run type, as short")
	flag.DurationVar(&c.reconcileInterval, "reconcile-interval", 2*time.Second, "period of the nodes' reconciler")
	flag.DurationVar(&c.composeDelay, "compose-delay", 300*time.Millisecond,
		"how long a compose job holds its draft, so that kills find runs in flight")
	flag.StringVar(&c.goals, "goals", "enforce", "enforce: a missed goal fails the test; report: it is only printed")
	flag.StringVar(&c.repo, "repo", ".", "checkout whose reckon command (./internal/faultcheck/node) is built")
	flag.Uint64Var(&c.seed, "seed", 0, "random seed (0: from the clock)")
	flag.DurationVar(&c.timeout, "timeout", 3*time.Minute, "bound of the whole test, building included")
	flag.BoolVar(&c.keepLogs, "keep-logs", false, "keep the nodes' logs in the temp dir, whatever the outcome")
	flag.Parse()
	if c.goals != "enforce" && c.goals != "report" {
		fmt.Fprintln(os.Stderr, "faultcheck: -goals is enforce or report")
		os.Exit(2)
	}
	if c.seed == 0 {
		c.seed = uint64(time.Now().UnixNano())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	code := run(ctx, &c)
	cancel()
	stop()
	os.Exit(code)
}

// run is the whole test; its deferred steps clean up on every path.
func run(ctx context.Context, c *config) int {
	began := time.Now()
	logf("seed %d", c.seed)
	dir, err := os.MkdirTemp("", "reckon-fault-")
	if err != nil {
		return fail(err)
	}
	keep := c.keepLogs
	defer func() {
		if keep {
			logf("logs kept in %s", dir)
			return
		}
		os.RemoveAll(dir)
	}()

	bin := filepath.Join(dir, "reckon")
	logf("building reckon")
	// The reckon command with the compose job slowed (node/main.go).
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./internal/faultcheck/node")
	build.Dir, build.Stdout, build.Stderr = c.repo, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fail(fmt.Errorf("build: %w", err))
	}

	dbName := fmt.Sprintf("reckon_fault_%d", os.Getpid())
	dbURL, err := withDatabase(c.postgres, dbName)
	if err != nil {
		return fail(err)
	}
	if err := admin(ctx, c.postgres, "CREATE DATABASE "+dbName); err != nil {
		return fail(fmt.Errorf("create database: %w", err))
	}
	defer func() {
		// The test's own context may be cancelled by now.
		// DROP DATABASE waits for a checkpoint, slow on a busy server.
		dctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := waitPostgres(dctx, c.postgres); err == nil {
			err = admin(dctx, c.postgres, "DROP DATABASE IF EXISTS "+dbName+" WITH (FORCE)")
			if err != nil {
				logf("drop database %s: %v", dbName, err)
			}
		}
	}()

	env := append(os.Environ(),
		"RECKON_DATABASE_URL="+dbURL,
		"RECKON_QUEUED_DEADLINE="+c.queuedDeadline.String(),
		"RECKON_RUNNING_DEADLINE="+c.runningDeadline.String(),
		"RECKON_RECONCILE_INTERVAL="+c.reconcileInterval.String(),
		"FAULTCHECK_COMPOSE_DELAY="+c.composeDelay.String(),
	)
	s, err := setUp(ctx, bin, env, c.environments)
	if err != nil {
		return fail(fmt.Errorf("set up: %w", err))
	}

	port, err := freePort()
	if err != nil {
		return fail(err)
	}
	nodes := []*node{
		{name: "serve", args: []string{"serve", "--addr", "127.0.0.1:" + strconv.Itoa(port)}},
		{name: "worker-1", args: []string{"worker"}},
		{name: "worker-2", args: []string{"worker"}},
	}
	f := &faults{c: c, db: dbName, nodes: nodes, rng: rand.New(rand.NewPCG(c.seed, 1)), testCx: ctx}
	for _, n := range nodes {
		n.bin, n.env, n.log, n.onExit = bin, env, logPath(dir, n.name), f.exited
	}
	defer func() {
		f.stop()
		var wg sync.WaitGroup
		for _, n := range nodes {
			wg.Add(1)
			go func() { defer wg.Done(); n.stop(10 * time.Second) }()
		}
		wg.Wait()
	}()
	// One at a time, so that the start-up windows that tell River clients
	// apart do not overlap.
	for _, n := range nodes {
		if err := n.start(30 * time.Second); err != nil {
			keep = true
			fmt.Fprintln(os.Stderr, n.tail(20))
			return fail(err)
		}
	}

	a := newAPI(fmt.Sprintf("http://127.0.0.1:%d/api/v1/workspaces/%s", port, s.workspace), s.token)
	w := &watch{url: dbURL + "&application_name=" + watcherName, every: 500 * time.Millisecond}
	defer w.close()
	f.watch = w

	// Load and faults.
	logf("load: %d callers on %d environments for %s", c.callers, len(s.envs), c.duration)
	loadCtx, stopLoad := context.WithTimeout(ctx, c.duration)
	var callers sync.WaitGroup
	for i := range c.callers {
		callers.Add(1)
		go func() { defer callers.Done(); a.caller(loadCtx, c.seed+uint64(i)+2, s.envs) }()
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() { w.track(watchCtx); close(watched) }()
	f.run(loadCtx)
	callers.Wait()
	stopLoad()
	f.restarts.Wait()
	if ctx.Err() != nil {
		stopWatch()
		<-watched
		return fail(ctx.Err())
	}

	// Settle: give the reconciler the time to settle what the kills left
	// behind (the running deadline and a few sweeps), then sweep once more.
	settle := max(c.queuedDeadline, c.runningDeadline) + 3*c.reconcileInterval + 5*time.Second
	logf("settle: up to %s until no run is active", settle)
	settleCtx, cancel := context.WithTimeout(ctx, settle)
	w.waitIdle(settleCtx)
	cancel()
	if out, err := reckonCLI(ctx, bin, env, "", "reconcile", "--once"); err != nil {
		logf("reconcile --once: %v: %s", err, out)
	} else {
		logf("reconcile --once: %s", strings.TrimSpace(out))
	}

	// Every environment once more, until it is up to date.
	var unsettled []string
	var mu sync.Mutex
	finalCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	var finals sync.WaitGroup
	for _, e := range s.envs {
		finals.Add(1)
		go func() {
			defer finals.Done()
			if err := a.settleCompose(finalCtx, e); err != nil {
				mu.Lock()
				unsettled = append(unsettled, err.Error())
				mu.Unlock()
			}
		}()
	}
	finals.Wait()
	cancel()
	stopWatch()
	<-watched
	f.stop()
	for _, n := range nodes {
		n.stop(10 * time.Second)
	}

	sum, err := collect(ctx, dbURL, c, a, f, w)
	if err != nil {
		keep = true
		return fail(err)
	}
	if c.restartPostgres && sum.Restart.from.IsZero() {
		sum.Violations = append(sum.Violations, violation{Invariant: "PostgreSQL restarted once", Detail: "the restart did not happen (see the log above)"})
	}
	for _, u := range unsettled {
		sum.Violations = append(sum.Violations, violation{Invariant: "every environment reaches an up-to-date review (final compose)", Detail: u})
	}
	sum.print(os.Stdout)
	logf("done in %s", time.Since(began).Round(time.Second))

	failed, missed := len(sum.Violations) > 0, false
	for _, g := range sum.goals() {
		if !g.Pass {
			missed = true
			failed = failed || c.goals == "enforce"
		}
	}
	if failed || missed {
		// A missed goal is a rare schedule of faults: what the nodes logged
		// is the only record of it, even when it is only reported.
		keep = true
		for _, n := range nodes {
			fmt.Printf("---- last lines of %s\n%s\n", n.name, n.tail(15))
		}
	}
	if failed {
		return 1
	}
	return 0
}

// collect reads the run statistics and checks the invariants.
func collect(ctx context.Context, dbURL string, c *config, a *api, f *faults, w *watch) (*summary, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	a.mu.Lock()
	defer a.mu.Unlock()
	f.mu.Lock()
	sum := &summary{Duration: c.duration, Nodes: len(f.nodes), Restart: f.restart,
		SnapshotsImported: a.snapshots, ComposeCalls: a.composes,
		Kills: f.kills, Restarts: f.restarted, Cuts: f.cut, Exits: f.exits, PollEvery: w.every}
	f.mu.Unlock()
	countCalls(sum, a.calls)
	var died []int64
	if sum.RunsByState, sum.FailedBy, died, err = runStats(ctx, conn); err != nil {
		return nil, err
	}
	sum.NodeDied = len(died)
	for _, n := range sum.RunsByState {
		sum.Runs += n
	}
	w.mu.Lock()
	sum.InFlight = len(w.inFlight)
	killedRuns := map[int64]bool{}
	for _, t := range w.inFlight {
		if t.resumed > 0 {
			sum.Resumed = append(sum.Resumed, t.resumed)
		}
		killedRuns[t.run] = true
	}
	w.mu.Unlock()
	for _, id := range died {
		if killedRuns[id] {
			sum.NodeDiedInFlight++
		}
	}
	if sum.Violations, err = check(ctx, conn, a.imported); err != nil {
		return nil, err
	}
	return sum, nil
}

// countCalls sorts the answers into the summary's counters.
func countCalls(s *summary, calls []call) {
	s.Calls = len(calls)
	s.FiveXXBy = map[string]int{}
	for _, c := range calls {
		in := s.Restart.contains(c.at)
		if c.what != "" {
			s.FiveXXBy[c.what]++
		}
		switch {
		case c.status == 0:
			s.Unreachable++
		case c.status == 503:
			s.Status5xx++
			s.Status503++
			if in {
				s.In503Restart++
			}
		case c.status >= 500:
			s.Status5xx++
			s.Status500++
			if in {
				s.InOther5xxRestart++
			}
		}
	}
}

// setup is what the CLI made: a workspace, its environments and a token of
// its owner.
type setup struct {
	workspace string
	envs      []int64
	token     string
}

func setUp(ctx context.Context, bin string, env []string, environments int) (*setup, error) {
	s := &setup{workspace: "fault"}
	steps := [][]string{
		{"migrate"},
		{"workspaces", "create", "--slug", s.workspace, "--name", "Fault test"},
		{"users", "create", "--email", "fault@example.test", "--name", "Fault caller", "--password-stdin"},
		{"members", "add", "--workspace", s.workspace, "--email", "fault@example.test", "--role", "owner"},
	}
	for _, args := range steps {
		if out, err := reckonCLI(ctx, bin, env, "fault-test-password\n", args...); err != nil {
			return nil, fmt.Errorf("reckon %s: %w: %s", strings.Join(args, " "), err, out)
		}
	}
	for i := range environments {
		slug := fmt.Sprintf("env-%d", i+1)
		out, err := reckonCLI(ctx, bin, env, "", "environments", "create", "--workspace", s.workspace,
			"--slug", slug, "--name", "Environment "+strconv.Itoa(i+1), "--json")
		if err != nil {
			return nil, fmt.Errorf("environments create: %w: %s", err, out)
		}
		var e struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal([]byte(out), &e); err != nil {
			return nil, fmt.Errorf("environments create: %w", err)
		}
		s.envs = append(s.envs, e.ID)
	}
	out, err := reckonCLI(ctx, bin, env, "", "tokens", "create", "--email", "fault@example.test", "--json")
	if err != nil {
		return nil, fmt.Errorf("tokens create: %w: %s", err, out)
	}
	var t struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(out), &t); err != nil || t.Token == "" {
		return nil, fmt.Errorf("tokens create: no token in %q", out)
	}
	s.token = t.Token
	return s, nil
}

// reckonCLI runs one reckon command and returns its standard output (with
// standard error on failure).
func reckonCLI(ctx context.Context, bin string, env []string, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out) + stderr.String(), err
	}
	return string(out), nil
}

// withDatabase is the admin URL with another database name.
func withDatabase(admin, db string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("-postgres: %w", err)
	}
	u.Path = "/" + db
	q := u.Query()
	if q.Get("sslmode") == "" {
		q.Set("sslmode", "disable")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// admin runs one statement on a connection of its own to the admin database.
func admin(ctx context.Context, adminURL, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql, args...)
	return err
}

// waitPostgres waits until the server answers a query.
func waitPostgres(ctx context.Context, adminURL string) error {
	for {
		if err := admin(ctx, adminURL, "SELECT 1"); err == nil {
			return nil
		} else if sleep(ctx, 200*time.Millisecond); ctx.Err() != nil {
			return fmt.Errorf("PostgreSQL does not answer: %w", err)
		}
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "faultcheck %s: %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func fail(err error) int {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		logf("error: not done within -timeout: %v", err)
	case errors.Is(err, context.Canceled):
		logf("interrupted")
	default:
		logf("error: %v", err)
	}
	return 1
}
