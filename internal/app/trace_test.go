package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/internal/telemetry"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/store"
)

// One compose through the API is one trace: the request, the run's
// creation and the job's enqueue in its transaction; the job's work is a
// span of its own linked to the enqueue, with its transactions and the
// ledger's completion under it. No attribute carries a secret.
func TestOneComposeIsOneTraceWithTheWorkLinked(t *testing.T) {
	t.Parallel()
	reckontest.EachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rec := tracetest.NewSpanRecorder()
		tracing, err := telemetry.New(ctx, sdktrace.WithSpanProcessor(rec))
		if err != nil {
			t.Fatal(err)
		}
		a, err := app.New(db, &app.Options{Work: true, Tracing: tracing, PollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		fx := reckontest.NewFixture(t, db)
		ws := fx.Workspace()
		env := fx.Environment(ws)
		const password = "correct horse battery staple"
		user := fx.User(password)
		fx.Member(ws, user, reckon.RoleOwner)
		var secret string
		reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) (err error) {
			secret, _, err = access.IssueToken(ctx, tx, user.ID, "trace")
			return err
		})
		importEvidence(t, db, reckon.Scope{WorkspaceID: ws.ID, EnvironmentID: env.ID})
		srv := serve(t, a)
		work(t, a)

		const cookie = "session-cookie-value-0123456789"
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/workspaces/%s/environments/%d/reviews?password=%s",
			srv.URL, ws.Slug, env.ID, strings.ReplaceAll(password, " ", "+")), nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Cookie", "reckon_session="+cookie)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != http.StatusAccepted {
			t.Fatalf("compose: %d, want 202", res.StatusCode)
		}

		// The work span ends after its job's transaction committed.
		var spans []sdktrace.ReadOnlySpan
		for deadline := time.Now().Add(30 * time.Second); ; {
			spans = rec.Ended()
			if find(spans, func(s sdktrace.ReadOnlySpan) bool { return strings.HasPrefix(s.Name(), "river.work/") }) != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no work span in %s", names(spans))
			}
			time.Sleep(20 * time.Millisecond)
		}
		byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
		for _, s := range spans {
			byID[s.SpanContext().SpanID()] = s
		}
		under := func(s, ancestor sdktrace.ReadOnlySpan) bool {
			for p := s.Parent(); p.IsValid(); {
				if p.SpanID() == ancestor.SpanContext().SpanID() {
					return true
				}
				up, ok := byID[p.SpanID()]
				if !ok {
					return false
				}
				p = up.Parent()
			}
			return false
		}
		named := func(name string, in sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
			s := find(spans, func(s sdktrace.ReadOnlySpan) bool { return s.Name() == name && (in == nil || under(s, in)) })
			if s == nil {
				t.Fatalf("no span %q under %v in %s", name, in, names(spans))
			}
			return s
		}

		request := named("POST /api/v1/workspaces/{workspace}/environments/{env}/reviews", nil)
		if request.Parent().IsValid() || request.SpanKind() != trace.SpanKindServer {
			t.Errorf("request span: parent %v, kind %v; want a root server span", request.Parent(), request.SpanKind())
		}
		if v := attr(request, "http.route"); v != "/api/v1/workspaces/{workspace}/environments/{env}/reviews" {
			t.Errorf("request span http.route %q", v)
		}
		ensure := named("ledger.ensure", request)
		enqueue := named("river.insert_many", ensure)
		if attr(ensure, "reckon.run.type") != string(reckon.RunTypeReviewCompose) {
			t.Errorf("ensure span type %q", attr(ensure, "reckon.run.type"))
		}
		txOf := func(in sdktrace.ReadOnlySpan) sdktrace.ReadOnlySpan {
			s := find(spans, func(s sdktrace.ReadOnlySpan) bool { return strings.HasPrefix(s.Name(), "tx ") && under(s, in) })
			if s == nil {
				t.Fatalf("no transaction span under %s in %s", in.Name(), names(spans))
			}
			if attr(s, string(store.AttrEngine)) == "" || attr(s, string(store.AttrOperation)) == "" ||
				s.Name() != "tx "+attr(s, string(store.AttrOperation)) {
				t.Errorf("transaction span %q: attributes %v", s.Name(), s.Attributes())
			}
			return s
		}
		txOf(request)
		if tx, ok := byID[ensure.Parent().SpanID()]; !ok || !strings.HasPrefix(tx.Name(), "tx review.") {
			t.Errorf("ledger.ensure's parent is not the compose transaction: %s", names(spans))
		}

		work := named("river.work/"+string(reckon.RunTypeReviewCompose), nil)
		if work.Parent().IsValid() {
			t.Errorf("work span has parent %v; want its own trace, linked", work.Parent())
		}
		linked := false
		for _, l := range work.Links() {
			linked = linked || (l.SpanContext.TraceID() == request.SpanContext().TraceID() &&
				l.SpanContext.SpanID() == enqueue.SpanContext().SpanID())
		}
		if !linked {
			t.Errorf("work span links %v; want the enqueue span %v", work.Links(), enqueue.SpanContext())
		}
		txOf(work)
		complete := named("ledger.complete", work)
		if attr(complete, "reckon.run.outcome") != string(reckon.OutcomeSucceeded) {
			t.Errorf("completion span outcome %q", attr(complete, "reckon.run.outcome"))
		}

		// A sweep is a span with its counts: one run past its deadline.
		reckontest.Tx(t, db, func(ctx context.Context, tx *store.Tx) error {
			return tx.InsertRunBatch(ctx, &store.RunBatch{Scope: reckon.Scope{WorkspaceID: ws.ID, EnvironmentID: env.ID},
				Type: reckon.RunTypeRestoreExecute, Status: reckon.RunQueued, Count: 1, KeyPrefix: "stale",
				CreatedAt: db.Now().Add(-2 * time.Hour), DeadlineAt: db.Now().Add(-time.Hour)})
		})
		if res, err := a.Reconciler.Sweep(ctx); err != nil || res.Settled != 1 {
			t.Fatalf("sweep %+v: %v", res, err)
		}
		spans = rec.Ended()
		sweep := named("reconcile.sweep", nil)
		if attr(sweep, string(reconcile.AttrSettled)) != "1" || attr(sweep, string(reconcile.AttrExamined)) != "1" {
			t.Errorf("sweep span attributes %v", sweep.Attributes())
		}

		for _, s := range spans {
			for _, kv := range s.Attributes() {
				key, val := strings.ToLower(string(kv.Key)), kv.Value.String()
				for _, bad := range []string{secret, cookie, password, "correct+horse", "Bearer"} {
					if strings.Contains(val, bad) {
						t.Errorf("span %q attribute %s carries a secret: %q", s.Name(), kv.Key, val)
					}
				}
				if strings.Contains(key, "authorization") || strings.Contains(key, "cookie") || strings.Contains(key, "url.query") {
					t.Errorf("span %q has attribute %s", s.Name(), kv.Key)
				}
			}
		}
	})
}

func find(spans []sdktrace.ReadOnlySpan, ok func(sdktrace.ReadOnlySpan) bool) sdktrace.ReadOnlySpan {
	for _, s := range spans {
		if ok(s) {
			return s
		}
	}
	return nil
}

func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

func names(spans []sdktrace.ReadOnlySpan) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "\n  %s (parent %s, id %s)", s.Name(), s.Parent().SpanID(), s.SpanContext().SpanID())
	}
	return b.String()
}
