package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// opPath is the API path of a run of workspace A, with an optional action.
func (w *world) opPath(id int64, action string) string {
	p := fmt.Sprintf("/api/v1/workspaces/%s/operations/%d", w.wsA.Slug, id)
	if action != "" {
		p += "/" + action
	}
	return p
}

// runActions returns the audit actions of a run, oldest first, with their
// actors and notes.
func (w *world) runActions(t testing.TB, runID int64) []string {
	t.Helper()
	return reckontest.AuditTrail(t, w.db, w.wsA.ID, "operation_run", runID)
}

func objectOf(t testing.TB, res *response, key string) map[string]any {
	t.Helper()
	m, ok := res.JSON[key].(map[string]any)
	if !ok {
		t.Fatalf("no %s object: %s", key, res.Body)
	}
	return m
}

func idOf(m map[string]any) int64 {
	n, _ := m["id"].(float64)
	return int64(n)
}

// failedCompose imports evidence into envA1, composes, and fails the run
// through the ledger as a job would.
func (w *world) failedCompose(t testing.TB) int64 {
	t.Helper()
	env := fmt.Sprintf("/api/v1/workspaces/%s/environments/%d", w.wsA.Slug, w.envA1.ID)
	expect(t, w.post(t, w.operator, env+"/evidence-snapshots", snapshotV1), http.StatusCreated)
	res := w.post(t, w.operator, env+"/reviews", "")
	expect(t, res, http.StatusAccepted)
	id := idOf(objectOf(t, res, "operation"))
	w.complete(t, id, &ledger.Completion{Outcome: reckon.OutcomeFailed, ReasonCode: reckon.ReasonStaleRunning, Actor: "job"})
	return id
}

func TestRetryComposeLinksBothWaysOnce(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		failed := w.failedCompose(t)

		expect(t, w.post(t, w.readonly, w.opPath(failed, "retry"), ""), http.StatusForbidden)
		expect(t, w.post(t, w.outsider, w.opPath(failed, "retry"), ""), http.StatusNotFound)
		outsiderPath := fmt.Sprintf("/api/v1/workspaces/%s/operations/%d/retry", w.wsB.Slug, failed)
		expect(t, w.post(t, w.outsider, outsiderPath, ""), http.StatusNotFound)

		res := w.post(t, w.operator, w.opPath(failed, "retry"), `{"note": "worker fixed"}`)
		expect(t, res, http.StatusOK)
		if res.JSON["changed"] != true || res.JSON["result"] != "queued" {
			t.Fatalf("first retry: %s", res.Body)
		}
		retry := objectOf(t, res, "retry")
		retryID := idOf(retry)
		if ctx := retry["context"].(map[string]any); ctx["retry_of"] != float64(failed) || retry["status"] != "queued" {
			t.Fatalf("retry does not name the run it retries: %s", res.Body)
		}
		if ctx := objectOf(t, res, "operation")["context"].(map[string]any); ctx["retried_by"] != float64(retryID) {
			t.Fatalf("the original does not name its retry: %s", res.Body)
		}
		// The original stays failed; only its link changed.
		orig := w.get(t, w.readonly, w.opPath(failed, ""))
		if orig.JSON["outcome"] != "failed" || orig.JSON["context"].(map[string]any)["retried_by"] != float64(retryID) {
			t.Fatalf("original after retry: %s", orig.Body)
		}

		again := w.post(t, w.operator, w.opPath(failed, "retry"), "")
		expect(t, again, http.StatusOK)
		if again.JSON["changed"] != false || idOf(objectOf(t, again, "retry")) != retryID {
			t.Fatalf("second retry must answer the first: %s", again.Body)
		}
		got := w.runActions(t, failed)
		want := []string{"run.completed job ", fmt.Sprintf("run.retried user:%d worker fixed", w.userOf(t, w.operator))}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("audit of the original: %q, want %q", got, want)
		}
		// An active run cannot be retried.
		res = w.post(t, w.operator, w.opPath(retryID, "retry"), "")
		expect(t, res, http.StatusConflict)
	})
}

// userOf returns the id of the user a token belongs to.
func (w *world) userOf(t testing.TB, token string) int64 {
	t.Helper()
	var id int64
	w.tx(t, func(tx *store.Tx) error {
		u, err := access.AuthenticateToken(context.Background(), tx, token)
		if err == nil {
			id = u.ID
		}
		return err
	})
	return id
}

func TestCancelQueuedRunCancelsItsJobOnce(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		run := w.run(t, scopeOf(w.envA1), reckon.RunTypeReviewCompose, "cancel-me")

		expect(t, w.post(t, w.readonly, w.opPath(run.ID, "cancel"), ""), http.StatusForbidden)
		expect(t, w.post(t, w.outsider, w.opPath(run.ID, "cancel"), ""), http.StatusNotFound)
		res := w.post(t, w.operator, w.opPath(run.ID, "cancel"), `{"note": "wrong tenant"}`)
		expect(t, res, http.StatusOK)
		op := objectOf(t, res, "operation")
		if res.JSON["changed"] != true || op["outcome"] != "cancelled" || op["status"] != "completed" ||
			op["failure"].(map[string]any)["reason_code"] != reckon.ReasonCancelled {
			t.Fatalf("cancel: %s", res.Body)
		}
		w.tx(t, func(tx *store.Tx) error {
			jobs, err := tx.QueueJobs(context.Background(), string(reckon.RunTypeReviewCompose))
			for _, j := range jobs {
				if j.ID == run.JobID && j.State != "cancelled" {
					t.Errorf("job %d is %s, want cancelled", j.ID, j.State)
				}
			}
			return err
		})
		again := w.post(t, w.operator, w.opPath(run.ID, "cancel"), "")
		expect(t, again, http.StatusOK)
		if again.JSON["changed"] != false {
			t.Fatalf("cancelling a completed run changed it: %s", again.Body)
		}
		want := []string{fmt.Sprintf("run.completed user:%d wrong tenant", w.userOf(t, w.operator))}
		if got := w.runActions(t, run.ID); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("audit: %q, want %q", got, want)
		}
		// A cancelled compose can be retried: a compose of the newest
		// evidence, which needs some.
		res = w.post(t, w.operator, w.opPath(run.ID, "retry"), "")
		if expect(t, res, http.StatusUnprocessableEntity); res.errorCode() != "no_evidence" {
			t.Fatalf("retry without evidence: %s", res.Body)
		}
		env := fmt.Sprintf("/api/v1/workspaces/%s/environments/%d", w.wsA.Slug, w.envA1.ID)
		expect(t, w.post(t, w.operator, env+"/evidence-snapshots", snapshotV1), http.StatusCreated)
		res = w.post(t, w.operator, w.opPath(run.ID, "retry"), "")
		if expect(t, res, http.StatusOK); res.JSON["result"] != "queued" {
			t.Fatalf("retry of a cancelled run: %s", res.Body)
		}
	})
}

func TestAcknowledgeAndLaterSuccessResolveAttention(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		scope := scopeOf(w.envA1)
		failed := func(key string, typ reckon.RunType) int64 {
			r := w.run(t, scope, typ, key)
			w.complete(t, r.ID, &ledger.Completion{Outcome: reckon.OutcomeFailed, ReasonCode: reckon.ReasonStaleQueued, Actor: "job"})
			return r.ID
		}
		attention := func() store.RunAttention {
			var a store.RunAttention
			w.tx(t, func(tx *store.Tx) (err error) {
				a, err = tx.RunAttentionOf(context.Background(), scope, tx.Now())
				return err
			})
			return a
		}
		a := failed("a", reckon.RunTypeReviewCompose)
		b := failed("b", reckon.RunTypeRestoreExecute)
		if got := attention().Failed; got != 2 {
			t.Fatalf("failed before: %d, want 2", got)
		}

		expect(t, w.post(t, w.readonly, w.opPath(a, "acknowledge"), ""), http.StatusForbidden)
		expect(t, w.post(t, w.outsider, w.opPath(a, "acknowledge"), ""), http.StatusNotFound)
		res := w.post(t, w.operator, w.opPath(a, "acknowledge"), `{"note": "known outage"}`)
		expect(t, res, http.StatusOK)
		if res.JSON["changed"] != true || objectOf(t, res, "operation")["outcome"] != "failed" {
			t.Fatalf("acknowledge: %s", res.Body)
		}
		again := w.post(t, w.operator, w.opPath(a, "acknowledge"), "")
		if again.JSON["changed"] != false {
			t.Fatalf("second acknowledgement changed it: %s", again.Body)
		}
		if got := attention().Failed; got != 1 {
			t.Fatalf("failed after acknowledging one: %d, want 1", got)
		}
		want := []string{"run.completed job ", fmt.Sprintf("run.acknowledged user:%d known outage", w.userOf(t, w.operator))}
		if got := w.runActions(t, a); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("audit: %q, want %q", got, want)
		}
		// The list finds what is left unresolved.
		list := w.get(t, w.readonly, "/api/v1/workspaces/"+w.wsA.Slug+"/operations?unresolved=true")
		if got := operationIDs(t, list); fmt.Sprint(got) != fmt.Sprint([]int64{b}) {
			t.Fatalf("unresolved: %v, want [%d]", got, b)
		}

		// A later succeeded run of the same type and scope resolves b; one
		// of another type does not.
		c := w.run(t, scope, reckon.RunTypeReviewCompose, "c")
		w.complete(t, c.ID, &ledger.Completion{Outcome: reckon.OutcomeSucceeded, Actor: "job"})
		if got := attention().Failed; got != 1 {
			t.Fatalf("a success of another type resolved a restore: %d, want 1", got)
		}
		d := w.run(t, scope, reckon.RunTypeRestoreExecute, "d")
		w.complete(t, d.ID, &ledger.Completion{Outcome: reckon.OutcomeSucceeded, Actor: "job"})
		if got := attention().Failed; got != 0 {
			t.Fatalf("failed after a later success: %d, want 0", got)
		}

		// Only failed and blocked runs can be acknowledged.
		expect(t, w.post(t, w.operator, w.opPath(d.ID, "acknowledge"), ""), http.StatusConflict)
		expect(t, w.post(t, w.operator, w.opPath(a, "acknowledge"), `{"note": 7}`), http.StatusUnprocessableEntity)
	})
}

func TestRunTimeline(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		failed := w.failedCompose(t)
		expect(t, w.post(t, w.operator, w.opPath(failed, "acknowledge"), `{"note": "seen"}`), http.StatusOK)
		retry := idOf(objectOf(t, w.post(t, w.operator, w.opPath(failed, "retry"), ""), "retry"))

		expect(t, w.get(t, w.outsider, w.opPath(failed, "events")), http.StatusNotFound)
		res := w.get(t, w.readonly, w.opPath(failed, "events"))
		expect(t, res, http.StatusOK)
		var kinds []string
		for _, e := range res.JSON["events"].([]any) {
			kinds = append(kinds, e.(map[string]any)["kind"].(string))
		}
		if want := []string{"created", "completed", "acknowledged", "retried"}; fmt.Sprint(kinds) != fmt.Sprint(want) {
			t.Fatalf("events %v, want %v: %s", kinds, want, res.Body)
		}
		links := objectOf(t, res, "links")
		if links["retried_by"] != w.opPath(retry, "") || links["job_id"] == nil || links["evidence_snapshot_id"] == nil {
			t.Fatalf("links: %s", res.Body)
		}
		if ack := objectOf(t, res, "acknowledged"); ack["note"] != "seen" {
			t.Fatalf("acknowledgement: %s", res.Body)
		}
		back := w.get(t, w.readonly, w.opPath(retry, "events"))
		if objectOf(t, back, "links")["retry_of"] != w.opPath(failed, "") {
			t.Fatalf("retry's links: %s", back.Body)
		}
	})
}

// A run worked by the queue shows its attempt, with the worker that ran it.
func TestTimelineShowsTheQueueAttempt(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		env := fmt.Sprintf("/api/v1/workspaces/%s/environments/%d", w.wsA.Slug, w.envA1.ID)
		expect(t, w.post(t, w.operator, env+"/evidence-snapshots", snapshotV1), http.StatusCreated)
		id := idOf(objectOf(t, w.post(t, w.operator, env+"/reviews", ""), "operation"))
		w.startWorker(t)
		w.waitCompleted(t, w.readonly, w.opPath(id, ""))
		res := w.get(t, w.readonly, w.opPath(id, "events"))
		expect(t, res, http.StatusOK)
		seen := map[string]map[string]any{}
		for _, e := range res.JSON["events"].([]any) {
			seen[e.(map[string]any)["kind"].(string)] = e.(map[string]any)
		}
		attempt := seen["attempt_started"]
		if attempt == nil || attempt["attempt"] != 1.0 || attempt["node"] == nil || seen["completed"]["outcome"] != "succeeded" ||
			seen["created"]["actor"] != fmt.Sprintf("user:%d", w.userOf(t, w.operator)) {
			t.Fatalf("timeline of a worked run: %s", res.Body)
		}
		// The run completes inside the job's attempt; the queue finalizes
		// the job just after, so either state may be read here.
		if links := objectOf(t, res, "links"); links["review"] == nil || (links["job_state"] != "completed" && links["job_state"] != "running") {
			t.Fatalf("links of a worked run: %s", res.Body)
		}
	})
}
