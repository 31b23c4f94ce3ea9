package bench_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reckonhq/reckon/internal/bench"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

func TestLedgerMeasuresBothPhasesOnAScratchDatabase(t *testing.T) {
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			var dbURL, sqliteDir string
			switch engine {
			case store.SQLite:
				sqliteDir = t.TempDir()
				dbURL = "sqlite:" + filepath.Join(sqliteDir, "reckon.db")
			case store.Postgres:
				dbURL = os.Getenv(reckontest.PostgresURLEnv)
			}
			var out strings.Builder
			const runs = 60
			res, err := bench.Ledger(context.Background(), &bench.LedgerOptions{DatabaseURL: dbURL, Runs: runs,
				Workers: 4, Inserters: 2, PollInterval: 10 * time.Millisecond}, &out)
			if err != nil {
				t.Fatalf("Ledger: %v\n%s", err, out.String())
			}
			if res.Engine != engine || res.River.Count != runs || res.Ledger.Count != runs ||
				res.River.Elapsed <= 0 || res.Ledger.Elapsed <= 0 {
				t.Fatalf("result %+v", res)
			}
			if want := res.Ledger.PerSecond() / res.River.PerSecond(); res.Ratio != want {
				t.Fatalf("ratio %v, want ledger/river = %v", res.Ratio, want)
			}
			// Counted, not guessed: a ledger run commits at least its three
			// transactions (ensure, start, complete), a River job its insert.
			if res.RiverCost.Commits < 1 || res.LedgerCost.Commits < 3 ||
				res.LedgerCost.Statements < res.LedgerCost.Commits || res.RiverCost.Statements < res.RiverCost.Commits {
				t.Fatalf("cost per job: river %+v, ledger %+v", res.RiverCost, res.LedgerCost)
			}
			for _, line := range []string{"(a) River:  60 in ", "(b) ledger: 60 in ", "b/a = ", " statements, "} {
				if !strings.Contains(out.String(), line) {
					t.Fatalf("report lacks %q:\n%s", line, out.String())
				}
			}

			// The scratch database is gone and nothing else was touched.
			switch engine {
			case store.SQLite:
				entries, err := os.ReadDir(sqliteDir)
				if err != nil {
					t.Fatal(err)
				}
				if len(entries) != 0 {
					t.Fatalf("the benchmark left %v beside the named database", entries)
				}
			case store.Postgres:
				schema := regexp.MustCompile(`fresh schema (\S+) on`).FindStringSubmatch(res.Database)
				if schema == nil {
					t.Fatalf("result names no schema: %q", res.Database)
				}
				if schemaExists(t, dbURL, schema[1]) {
					t.Fatalf("schema %s was not dropped", schema[1])
				}
			}
		})
	}
}

func TestLedgerRefusesAnUnsupportedDatabase(t *testing.T) {
	_, err := bench.Ledger(context.Background(), &bench.LedgerOptions{DatabaseURL: "mysql://localhost/x", Runs: 1}, &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Fatalf("Ledger on mysql://: %v, want a not-supported error", err)
	}
}

func schemaExists(t *testing.T, dbURL, schema string) bool {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM pg_namespace WHERE nspname = $1`, schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// BenchmarkLedger is reckon bench ledger's measurement with its defaults and
// 2,000 jobs a phase, once per engine, for go test's profiles:
//
//	go test -run '^$' -bench Ledger -benchtime 1x -cpuprofile cpu.out ./internal/bench
//	go tool pprof -top cpu.out
func BenchmarkLedger(b *testing.B) {
	for _, engine := range reckontest.Engines(b) {
		b.Run(string(engine), func(b *testing.B) {
			dbURL := os.Getenv(reckontest.PostgresURLEnv)
			if engine == store.SQLite {
				dbURL = "sqlite:" + filepath.Join(b.TempDir(), "reckon.db")
			}
			for b.Loop() {
				res, err := bench.Ledger(context.Background(), &bench.LedgerOptions{DatabaseURL: dbURL, Runs: 2000}, io.Discard)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(res.Ratio, "b/a")
				b.ReportMetric(res.Ledger.PerSecond(), "runs/s")
				b.ReportMetric(res.River.PerSecond(), "river-jobs/s")
				b.ReportMetric(res.LedgerCost.RoundTrips, "round-trips/run")
			}
		})
	}
}
