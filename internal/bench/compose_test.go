package bench_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon/internal/bench"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

func TestComposeMeasuresEveryPhaseOnAScratchDatabase(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			dbURL := "sqlite:" + filepath.Join(t.TempDir(), "reckon.db")
			if engine == store.Postgres {
				dbURL = os.Getenv(reckontest.PostgresURLEnv)
			}
			var out strings.Builder
			const reviews, callers, rounds = 20, 8, 2
			res, err := bench.Compose(context.Background(), &bench.ComposeOptions{DatabaseURL: dbURL, Reviews: reviews,
				Workers: 4, Callers: callers, Rounds: rounds, Findings: 20, PollInterval: 10 * time.Millisecond}, &out)
			if err != nil {
				t.Fatalf("Compose: %v\n%s", err, out.String())
			}
			if res.Engine != engine || res.Throughput.Count != reviews || res.Throughput.Elapsed <= 0 {
				t.Fatalf("throughput %+v", res.Throughput)
			}
			// One environment: one run per round, every other caller pointed at it.
			one := res.OneEnvironment
			if one.Calls != callers*rounds || one.Runs != rounds || one.Results["queued"] != rounds ||
				one.Results["queued"]+one.Results["already_running"]+one.Results["up_to_date"] != one.Calls || one.Latency.P95 <= 0 {
				t.Errorf("one environment %+v", one)
			}
			// One environment each: every caller starts its own run.
			many := res.ManyEnvironments
			if many.Calls != callers*rounds || many.Runs != callers*rounds || many.Latency.P50 <= 0 {
				t.Errorf("many environments %+v", many)
			}
			for _, phase := range []string{"(a) throughput", "(b) create", "(c) create"} {
				if !strings.Contains(out.String(), phase) {
					t.Errorf("the report lacks %q:\n%s", phase, out.String())
				}
			}
		})
	}
}
