package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/reckontest"
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
	run := queueCompose(t, a, scope)
	began := time.Now()
	if err := app.WorkCompose(ctx, a.Composer, run.ID); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took < delay {
		t.Errorf("the compose job took %s, less than its delay %s", took, delay)
	}
	if run := reckontest.Run(t, db, scope.WorkspaceID, run.ID); run.Outcome != reckon.OutcomeSucceeded {
		t.Errorf("run %s / %s, want completed / succeeded", run.Status, run.Outcome)
	}
}
