package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// Every domain registers the same way: its job and adapter always, its
// worker only in a process that works jobs.
func TestEveryDomainRegistersItsJobAdapterAndWorker(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		for _, work := range []bool{false, true} {
			a, err := app.New(db, &app.Options{Work: work})
			if err != nil {
				t.Fatal(err)
			}
			for _, rt := range a.Catalog.Types() {
				if rt.JobArgs == nil || rt.Adapter == nil {
					t.Errorf("work=%v: %s has job %v, adapter %v", work, rt.Key, rt.JobArgs != nil, rt.Adapter)
				}
			}
			if (a.Workers != nil) != work || (a.Composer != nil) != work {
				t.Errorf("work=%v: workers %v, composer %v", work, a.Workers != nil, a.Composer != nil)
			}
		}
	})
}

// The compose delay is an option of the wiring, not an environment
// variable: the job waits that long while its review is a draft.
func TestComposeDelayIsAnOption(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := reckontest.Open(t, store.SQLite, nil)
	const delay = 300 * time.Millisecond
	a, err := app.New(db, &app.Options{Work: true, ComposeDelay: delay})
	if err != nil {
		t.Fatal(err)
	}
	scope := reckontest.NewFixture(t, db).Scope()
	if _, _, err := evidence.NewService(a.DB).Import(ctx, scope, reckon.SnapshotInput{CapturedAt: db.Now().Add(-time.Hour),
		Findings: []reckon.Finding{{ControlID: "AAD.1", Title: "MFA for admins", Severity: reckon.SeverityCritical, Status: reckon.FindingFail}},
		Source:   reckon.SnapshotSource{Format: reckon.SnapshotFormatNative}}); err != nil {
		t.Fatal(err)
	}
	res, err := a.Reviews.Compose(ctx, scope, 0)
	if err != nil || res.Result != review.ResultQueued {
		t.Fatalf("compose: %+v, %v", res, err)
	}
	began := time.Now()
	if err := app.WorkCompose(ctx, a.Composer, res.Run.ID); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took < delay {
		t.Errorf("the compose job took %s, less than its delay %s", took, delay)
	}
	if run := reckontest.Run(t, db, scope.WorkspaceID, res.Run.ID); run.Outcome != reckon.OutcomeSucceeded {
		t.Errorf("run %s / %s, want completed / succeeded", run.Status, run.Outcome)
	}
}
