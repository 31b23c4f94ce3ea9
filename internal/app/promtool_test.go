package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// /metrics passes `promtool check metrics` (Prometheus' naming and help
// conventions) after a compose was requested, worked and completed, so
// that every series family has samples.
func TestMetricsPassPromtool(t *testing.T) {
	t.Parallel()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is missing: CI installs Debian's prometheus package before the tests")
		}
		t.Skip("promtool is missing: install Debian's prometheus package to check the metrics")
	}
	ctx := context.Background()
	db := reckontest.Open(t, store.SQLite, nil)
	a, err := app.New(db, &app.Options{Work: true, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	scope := reckontest.NewFixture(t, db).Scope()
	importEvidence(t, db, scope)
	work(t, a)
	res, err := a.Reviews.Compose(ctx, scope, 0)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); reckontest.Run(t, db, scope.WorkspaceID, res.Run.ID).Status != reckon.RunCompleted; {
		if time.Now().After(deadline) {
			t.Fatal("the compose run did not complete")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := a.Reconciler.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	srv := serve(t, a)
	var body []byte
	for range 2 { // the second scrape also shows the first's request
		r, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, err = io.ReadAll(r.Body)
		_ = r.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, family := range []string{"reckon_http_request_duration_seconds_bucket", "reckon_queue_jobs{", "reckon_queue_job_wait_seconds_bucket",
		"reckon_queue_job_attempts_total{", "reckon_ledger_transitions_total{", "reckon_reconcile_sweep_duration_seconds_bucket"} {
		if !bytes.Contains(body, []byte(family)) {
			t.Errorf("/metrics has no %s sample", family)
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}
