package cli

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/reckonhq/reckon/internal/bench"
	"github.com/reckonhq/reckon/internal/telemetry"
)

var benchCommands = []command{
	{name: "bench ledger", summary: "measure ledger run throughput against raw River jobs on a scratch database", run: runBenchLedger},
	{name: "bench compose", summary: "measure review composition (create → ready) and create latency on a scratch database", run: runBenchCompose},
}

func runBenchCompose(ctx context.Context, e *env, args []string) error {
	var g globals
	var o bench.ComposeOptions
	fs := newFlagSet(e, "bench compose", &g)
	fs.IntVar(&o.Reviews, "reviews", 200, "reviews composed in the throughput phase, one per environment")
	fs.IntVar(&o.Workers, "workers", 10, "jobs worked at once")
	fs.IntVar(&o.Callers, "callers", 50, "callers creating at once")
	fs.IntVar(&o.Rounds, "rounds", 10, "rounds of concurrent creates per latency phase")
	fs.IntVar(&o.Findings, "findings", 130, "findings per snapshot")
	fs.DurationVar(&o.PollInterval, "poll-interval", 50*time.Millisecond, "how often idle workers look for jobs")
	tracing := fs.String("tracing", "off", "off, or memory: trace the measured process into an in-memory exporter, to measure what tracing costs")
	if err := parse(fs, args); err != nil {
		return err
	}
	if o.Reviews <= 0 || o.Workers <= 0 || o.Callers <= 0 || o.Rounds <= 0 || o.Findings <= 0 || o.PollInterval <= 0 {
		return usagef("--reviews, --workers, --callers, --rounds, --findings and --poll-interval must be positive")
	}
	if *tracing != "off" && *tracing != "memory" {
		return usagef("--tracing is off or memory, not %q", *tracing)
	}
	o.DatabaseURL, o.Log = benchDatabase(e, fs, &g), benchLog(e)
	if *tracing == "memory" {
		var err error
		if o.Tracing, err = telemetry.New(ctx, sdktrace.WithBatcher(tracetest.NewInMemoryExporter())); err != nil {
			return err
		}
		defer func() { _ = o.Tracing.Shutdown(context.WithoutCancel(ctx)) }()
	}
	return report(e, &g, func(out io.Writer) (any, error) { return bench.Compose(ctx, &o, out) })
}

func runBenchLedger(ctx context.Context, e *env, args []string) error {
	var g globals
	o := bench.DefaultLedgerOptions()
	fs := newFlagSet(e, "bench ledger", &g)
	fs.IntVar(&o.Runs, "runs", o.Runs, "jobs per phase")
	fs.IntVar(&o.Workers, "workers", o.Workers, "jobs worked at once, in both phases")
	fs.IntVar(&o.Inserters, "inserters", o.Inserters, "goroutines inserting at once, one job per transaction, in both phases")
	fs.DurationVar(&o.PollInterval, "poll-interval", o.PollInterval, "how often idle workers look for jobs, in both phases")
	if err := parse(fs, args); err != nil {
		return err
	}
	if o.Runs <= 0 || o.Workers <= 0 || o.Inserters <= 0 || o.PollInterval <= 0 {
		return usagef("--runs, --workers, --inserters and --poll-interval must be positive")
	}
	o.DatabaseURL, o.Log = benchDatabase(e, fs, &g), benchLog(e)
	return report(e, &g, func(out io.Writer) (any, error) { return bench.Ledger(ctx, &o, out) })
}

// benchDatabase returns the database a benchmark measures on: the one the
// user named, by flag or environment, or "" for the default. Benchmarks work
// on a scratch copy — a temporary SQLite file (next to the named one, if
// any) or a fresh PostgreSQL schema — so the default puts the temporary file
// in the system's temp folder rather than beside reckon.db.
func benchDatabase(e *env, fs *flag.FlagSet, g *globals) string {
	chosen := e.getenv("RECKON_DATABASE_URL") != ""
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "database" {
			chosen = true
		}
	})
	if !chosen {
		return ""
	}
	return g.database
}

// benchLog shows River's warnings on stderr.
func benchLog(e *env) *slog.Logger {
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// report runs a benchmark that prints its progress and report to out. With
// --json the progress goes to stderr and stdout carries only the result.
func report(e *env, g *globals, measure func(out io.Writer) (any, error)) error {
	out := e.stdout
	if g.json {
		out = e.stderr
	}
	res, err := measure(out)
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(e.stdout, res)
	}
	return nil
}
