package app_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/store"
)

// importEvidence gives scope a snapshot to compose from.
func importEvidence(t *testing.T, db *store.DB, scope reckon.Scope) {
	t.Helper()
	if _, _, err := evidence.NewService(db).Import(context.Background(), scope, reckon.SnapshotInput{CapturedAt: db.Now().Add(-time.Hour),
		Findings: []reckon.Finding{{ControlID: "AAD.1", Title: "MFA for admins", Severity: reckon.SeverityCritical, Status: reckon.FindingFail}},
		Source:   reckon.SnapshotSource{Format: reckon.SnapshotFormatNative}}); err != nil {
		t.Fatal(err)
	}
}

// serve serves a's HTTP surface until the test ends.
func serve(t *testing.T, a *app.App) *httptest.Server {
	t.Helper()
	h, err := a.Handler(false)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// work works a's jobs until the test ends.
func work(t *testing.T, a *app.App) {
	t.Helper()
	if err := a.Queue.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Queue.Stop(stop)
	})
}
