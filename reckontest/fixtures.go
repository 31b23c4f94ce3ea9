package reckontest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

var seq atomic.Int64

// Fixture creates rows for tests.
type Fixture struct {
	t  testing.TB
	DB *store.DB
}

// NewFixture returns a fixture factory on db.
func NewFixture(t testing.TB, db *store.DB) *Fixture { return &Fixture{t: t, DB: db} }

func (f *Fixture) tx(fn func(tx *store.Tx) error) {
	f.t.Helper()
	Tx(f.t, f.DB, func(_ context.Context, tx *store.Tx) error { return fn(tx) })
}

// Workspace creates a workspace with a unique slug.
func (f *Fixture) Workspace() *reckon.Workspace {
	f.t.Helper()
	n := seq.Add(1)
	var w *reckon.Workspace
	f.tx(func(tx *store.Tx) (err error) {
		w, err = tx.CreateWorkspace(context.Background(), fmt.Sprintf("ws-%d", n), fmt.Sprintf("Workspace %d", n))
		return err
	})
	return w
}

// Environment creates an environment in a workspace.
func (f *Fixture) Environment(w *reckon.Workspace) *reckon.Environment {
	f.t.Helper()
	n := seq.Add(1)
	var e *reckon.Environment
	f.tx(func(tx *store.Tx) (err error) {
		e, err = tx.CreateEnvironment(context.Background(), w.ID, fmt.Sprintf("env-%d", n), fmt.Sprintf("Environment %d", n), "")
		return err
	})
	return e
}

// Scope creates a workspace with one environment and returns its scope.
func (f *Fixture) Scope() reckon.Scope {
	f.t.Helper()
	w := f.Workspace()
	e := f.Environment(w)
	return reckon.Scope{WorkspaceID: w.ID, EnvironmentID: e.ID}
}

// User creates a user with a unique email and the given password hash.
func (f *Fixture) User(passwordHash string) *reckon.User {
	f.t.Helper()
	n := seq.Add(1)
	u := &reckon.User{Email: fmt.Sprintf("user%d@example.test", n), Name: fmt.Sprintf("User %d", n), PasswordHash: passwordHash}
	f.tx(func(tx *store.Tx) error { return tx.CreateUser(context.Background(), u) })
	return u
}

// Member gives a user a role in a workspace, limited to environments when
// any are given.
func (f *Fixture) Member(w *reckon.Workspace, u *reckon.User, role reckon.Role, environments ...int64) {
	f.t.Helper()
	f.tx(func(tx *store.Tx) error {
		return tx.PutMembership(context.Background(), &reckon.Membership{WorkspaceID: w.ID, UserID: u.ID, Role: role, Environments: environments})
	})
}

// ReadyTwin creates a second current review of v's evidence: ready, with
// v's fingerprint and content, linked to no run — what an older system or
// a migration may leave behind. A compose run of that fingerprint then
// finds two current reviews and is blocked as ambiguous (v must not be
// ready itself: one ready review per fingerprint is all the index allows).
func (f *Fixture) ReadyTwin(v *reckon.Review) *reckon.Review {
	f.t.Helper()
	var twin *reckon.Review
	f.tx(func(tx *store.Tx) (err error) {
		ctx := context.Background()
		original, err := tx.Review(ctx, v.WorkspaceID, v.ID)
		if err != nil {
			return err
		}
		twin, err = tx.InsertDraftReview(ctx, &store.DraftReviewInsert{
			Scope:              reckon.Scope{WorkspaceID: v.WorkspaceID, EnvironmentID: v.EnvironmentID},
			EvidenceSnapshotID: v.EvidenceSnapshotID, Fingerprint: v.Fingerprint})
		if err != nil {
			return err
		}
		now := tx.Now()
		twin.Status, twin.Content, twin.ComposedAt = reckon.ReviewReady, original.Content, &now
		return tx.UpdateReview(ctx, twin)
	})
	return twin
}

// Finding is a finding of control id with the given severity and status,
// titled after its control.
func Finding(id string, sev reckon.Severity, st reckon.FindingStatus) reckon.Finding {
	return reckon.Finding{ControlID: id, Title: "Control " + id, Severity: sev, Status: st}
}

// Findings is a small snapshot's findings, with every severity and status.
func Findings() []reckon.Finding {
	return []reckon.Finding{
		Finding("AAD.1", reckon.SeverityCritical, reckon.FindingFail),
		Finding("AAD.2", reckon.SeverityHigh, reckon.FindingPass),
		Finding("AAD.3", reckon.SeverityMedium, reckon.FindingWarning),
		Finding("EXO.1", reckon.SeverityLow, reckon.FindingNotApplicable),
		Finding("EXO.2", reckon.SeverityInfo, reckon.FindingError),
		Finding("EXO.3", reckon.SeverityHigh, reckon.FindingFail),
	}
}
