package cli

import (
	"context"
	"flag"
	"log/slog"
	"time"

	"github.com/reckonhq/reckon/bench"
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
	if err := parse(fs, args); err != nil {
		return err
	}
	if o.Reviews <= 0 || o.Workers <= 0 || o.Callers <= 0 || o.Rounds <= 0 || o.Findings <= 0 || o.PollInterval <= 0 {
		return usagef("--reviews, --workers, --callers, --rounds, --findings and --poll-interval must be positive")
	}
	if databaseChosen(e, fs) {
		o.DatabaseURL = g.database
	}
	o.Log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	out := e.stdout
	if g.json {
		out = e.stderr
	}
	res, err := bench.Compose(ctx, &o, out)
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(e.stdout, res)
	}
	return nil
}

func runBenchLedger(ctx context.Context, e *env, args []string) error {
	var g globals
	var o bench.LedgerOptions
	fs := newFlagSet(e, "bench ledger", &g)
	fs.IntVar(&o.Runs, "runs", 1000, "jobs per phase")
	fs.IntVar(&o.Workers, "workers", 10, "jobs worked at once")
	fs.IntVar(&o.Inserters, "inserters", 4, "goroutines inserting at once")
	fs.DurationVar(&o.PollInterval, "poll-interval", 50*time.Millisecond, "how often idle workers look for jobs")
	if err := parse(fs, args); err != nil {
		return err
	}
	if o.Runs <= 0 || o.Workers <= 0 || o.Inserters <= 0 || o.PollInterval <= 0 {
		return usagef("--runs, --workers, --inserters and --poll-interval must be positive")
	}
	// The benchmark works on a scratch copy: a temporary SQLite file (next
	// to the named one, if any) or a fresh PostgreSQL schema. Without a
	// database chosen, the temporary file goes to the system's temp folder
	// rather than beside reckon.db.
	if databaseChosen(e, fs) {
		o.DatabaseURL = g.database
	}
	o.Log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	out := e.stdout
	if g.json {
		out = e.stderr // progress stays readable; stdout carries only the JSON
	}
	res, err := bench.Ledger(ctx, &o, out)
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(e.stdout, res)
	}
	return nil
}

// databaseChosen reports whether the user named a database, by flag or
// environment, rather than taking the default.
func databaseChosen(e *env, fs *flag.FlagSet) bool {
	chosen := e.getenv("RECKON_DATABASE_URL") != ""
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "database" {
			chosen = true
		}
	})
	return chosen
}
