package evidence_test

import (
	"context"
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

func importNative(t *testing.T, svc *evidence.Service, scope reckon.Scope, capturedAt time.Time, findings []reckon.Finding) {
	t.Helper()
	if _, _, err := svc.Import(context.Background(), scope, reckon.SnapshotInput{
		CapturedAt: capturedAt, Findings: findings, Source: reckon.SnapshotSource{Format: reckon.SnapshotFormatNative}}); err != nil {
		t.Fatalf("import snapshot: %v", err)
	}
}

func TestImportSnapshot(t *testing.T) {
	t.Parallel()
	reckontest.EachEngineAt(t, reckontest.EpochClock().Now, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fx := reckontest.NewFixture(t, db)
		svc := evidence.NewService(db)
		scope := fx.Scope()
		at := reckontest.Epoch().AddDate(0, 0, -27)
		in := reckon.SnapshotInput{CapturedAt: at, Findings: reckontest.Findings(),
			Source: reckon.SnapshotSource{Format: reckon.SnapshotFormatScubaGear, ExternalID: "report-1", TenantID: "TENANT-A", ToolVersion: "1.5.0"}}
		snap, existed, err := svc.Import(ctx, scope, in)
		if err != nil || existed {
			t.Fatalf("import: %v existed=%v", err, existed)
		}
		if snap.ContentHash != evidence.ContentHash(reckontest.Findings()) || snap.FindingCount != 6 || !snap.CapturedAt.Equal(at) {
			t.Errorf("stored %+v", snap)
		}
		got, err := svc.Snapshot(ctx, scope.WorkspaceID, snap.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Findings[0].ControlID != "AAD.1" || len(got.Findings) != 6 || got.Source != in.Source {
			t.Errorf("read back %+v", got)
		}

		// The same report again, findings in another order: the same row.
		again := in
		again.Findings = append([]reckon.Finding(nil), in.Findings...)
		again.Findings[0], again.Findings[5] = again.Findings[5], again.Findings[0]
		snap2, existed, err := svc.Import(ctx, scope, again)
		if err != nil || !existed || snap2.ID != snap.ID {
			t.Fatalf("re-import: %v existed=%v id=%d", err, existed, snap2.ID)
		}
		// The same external id with other findings is a conflict.
		other := in
		other.Findings = reckontest.Findings()[:3]
		_, _, err = svc.Import(ctx, scope, other)
		if e := codedErr(t, err); e.Code != reckon.CodeConflict {
			t.Fatalf("conflicting re-import: %v", err)
		}

		// The tenant was recorded by the first import; another is refused
		// and writes nothing.
		wrong := in
		wrong.Source.ExternalID, wrong.Source.TenantID = "report-2", "tenant-b"
		_, _, err = svc.Import(ctx, scope, wrong)
		if e := codedErr(t, err); e.Code != reckon.CodeTenantMismatch {
			t.Fatalf("foreign tenant: %v", err)
		}
		list, next, err := svc.List(ctx, scope, reckon.Page{})
		if err != nil || len(list) != 1 || next != 0 {
			t.Fatalf("after refused imports: %d snapshots, next %d, %v", len(list), next, err)
		}
		// Tenant ids compare without case; no tenant at all is fine.
		right := in
		right.Source.ExternalID, right.Source.TenantID = "report-3", "tenant-a"
		if _, _, err := svc.Import(ctx, scope, right); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			importNative(t, svc, scope, at.Add(time.Duration(i)*time.Hour), reckontest.Findings())
		}

		// Newest import first, in pages.
		page1, next, err := svc.List(ctx, scope, reckon.Page{Limit: 3})
		if err != nil || len(page1) != 3 || next == 0 || page1[0].ID < page1[1].ID || page1[0].Findings != nil {
			t.Fatalf("page 1: %d %d %v", len(page1), next, err)
		}
		page2, next2, err := svc.List(ctx, scope, reckon.Page{Limit: 3, Cursor: next})
		if err != nil || len(page2) != 2 || next2 != 0 || page2[0].ID >= page1[2].ID {
			t.Fatalf("page 2: %d %d %v", len(page2), next2, err)
		}

		// A fresh environment records the tenant of its first import.
		scope2 := fx.Scope()
		fresh := in
		fresh.Source.TenantID = "tenant-c"
		if _, _, err := svc.Import(ctx, scope2, fresh); err != nil {
			t.Fatal(err)
		}
		var env *reckon.Environment
		_ = db.InTx(ctx, func(tx *store.Tx) (err error) {
			env, err = tx.Environment(ctx, scope2.WorkspaceID, scope2.EnvironmentID)
			return err
		})
		if env.TenantID != "tenant-c" {
			t.Errorf("tenant recorded %q", env.TenantID)
		}

		// Bad input and foreign scopes.
		bad := in
		bad.Findings = []reckon.Finding{{ControlID: "X"}}
		if _, _, err := svc.Import(ctx, scope, bad); codedErr(t, err).Code != reckon.CodeValidation {
			t.Errorf("invalid input: %v", err)
		}
		foreign := reckon.Scope{WorkspaceID: scope.WorkspaceID, EnvironmentID: scope2.EnvironmentID}
		if _, _, err := svc.Import(ctx, foreign, in); codedErr(t, err).Code != reckon.CodeNotFound {
			t.Errorf("environment of another workspace: %v", err)
		}
		if _, err := svc.Snapshot(ctx, scope2.WorkspaceID, snap.ID); codedErr(t, err).Code != reckon.CodeNotFound {
			t.Errorf("snapshot of another workspace: %v", err)
		}
	})
}
