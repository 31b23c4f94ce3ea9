// Package seed fills a database with demo data worth looking at in the
// console (reckon serve --demo): two workspaces, five environments and two
// weeks of history — reviews composed, published, superseded and archived,
// restores that succeeded, partly succeeded and failed, a worker that died
// mid-composition and the reconciler that settled its run, a run nobody
// worked, and an ambiguous case blocked for an operator.
//
// Every row is made the way production makes it: through the review and
// restore services, their jobs, the reconciler and the ledger, on a clock
// that walks through the two weeks. The only rows written by hand are the
// ones an older system might have left behind (a second current review of
// one evidence), and the reconciler's verdict on them is its own.
package seed

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/queue"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/restore"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

// DemoEmail is the demo login's email.
const DemoEmail = "ops@northwind.example"

// Options configure Demo.
type Options struct {
	// BaseURL is where the console listens, for the printed login.
	BaseURL string
	// Out receives the login; nil prints nothing.
	Out io.Writer
	// Now is when the history ends; the wall clock when nil.
	Now reckon.Clock
}

// Login is how to sign in to the demo.
type Login struct {
	URL      string
	Email    string
	Password string
	// Seeded is false when the database already held the demo: its data is
	// kept and only the password is new.
	Seeded bool
}

// Demo fills a's database with the demo, or — when it is already there —
// gives the demo login a new password, and prints how to sign in. clock
// must be the clock a's database was opened on: Demo walks it through the
// history and leaves it at the history's end. a's queue is never started
// here: each job is worked in turn, as a worker would, so the history is the
// same every time.
func Demo(ctx context.Context, a *app.App, clock *reckon.ManualClock, opts *Options) (*Login, error) {
	now := opts.Now
	if now == nil {
		now = reckon.SystemClock
	}
	end := now()
	clock.Set(end.Add(-14 * 24 * time.Hour).Truncate(time.Hour))
	password, err := newPassword()
	if err != nil {
		return nil, err
	}
	login := &Login{URL: strings.TrimSuffix(opts.BaseURL, "/") + "/login", Email: DemoEmail, Password: password}

	seeded := false
	err = a.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.WorkspaceBySlug(ctx, "northwind")
		seeded = err == nil
		if store.IsNotFound(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if seeded {
		clock.Set(end)
		if err := setPassword(ctx, a.DB, DemoEmail, password); err != nil {
			return nil, err
		}
	} else {
		d := newDemo(a, clock)
		if err := d.history(ctx, password); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		login.Seeded = true
	}
	if opts.Out != nil {
		if login.Seeded {
			fmt.Fprintln(opts.Out, "Demo data is ready: workspaces northwind and fabrikam, five environments, two weeks of operations and reviews.")
		} else {
			fmt.Fprintln(opts.Out, "The demo data is already there; the demo login has a new password.")
		}
		fmt.Fprintf(opts.Out, "Open %s and sign in as %s with the password %s\n", login.URL, login.Email, login.Password)
	}
	return login, nil
}

// newPassword returns a random password for the demo login.
func newPassword() (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}

func setPassword(ctx context.Context, db *store.DB, email, password string) error {
	hash, err := access.HashPassword(password)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("seed: the demo login %s: %w", email, err)
		}
		return tx.SetUserPassword(ctx, u.ID, hash)
	})
}

// demo is the history's wiring: the process's services on the demo's clock.
type demo struct {
	db       *store.DB
	clock    *reckon.ManualClock
	ledger   *ledger.Ledger
	reviews  *review.Service
	composer *review.Worker
	restores *restore.Service
	rec      *reconcile.Reconciler
	queue    *queue.Queue

	users map[string]*reckon.User
	envs  map[string]reckon.Scope
}

func newDemo(a *app.App, c *reckon.ManualClock) *demo {
	return &demo{db: a.DB, clock: c, ledger: a.Ledger, reviews: a.Reviews, composer: review.NewWorker(a.Reviews, nil),
		restores: a.Restores, rec: a.Reconciler, queue: a.Queue, users: map[string]*reckon.User{}, envs: map[string]reckon.Scope{}}
}

// event is one moment of the history: day and time after its start.
type event struct {
	day, hour, minute int
	do                func(ctx context.Context) error
}

func (e event) at(start time.Time) time.Time {
	return start.Add(time.Duration(e.day)*24*time.Hour + time.Duration(e.hour)*time.Hour + time.Duration(e.minute)*time.Minute)
}

// history plays every environment's events in the order they happen, so
// that ids and times of the rows agree.
func (d *demo) history(ctx context.Context, password string) error {
	start := d.clock.Now()
	if err := d.people(ctx, password); err != nil {
		return err
	}
	var events []event
	for _, story := range []func() []event{d.contosoProduction, d.contosoStaging, d.adatum, d.clinics} {
		events = append(events, story()...)
	}
	slices.SortStableFunc(events, func(a, b event) int { return a.at(start).Compare(b.at(start)) })
	for _, e := range events {
		d.clock.Set(e.at(start))
		if err := e.do(ctx); err != nil {
			return err
		}
	}
	if err := d.pruneFinishedJobs(ctx); err != nil {
		return err
	}
	return d.readOlderNotifications(ctx)
}

// pruneFinishedJobs removes the queue jobs of the runs that have ended.
// The history works its jobs in this process, outside the queue, and the
// reconciler settles some runs before any worker came: their jobs would
// otherwise wait in the queue and run, with nothing to do, when the demo
// starts working, as if they were the runs' attempts. Deleted, they look
// as the queue's pruning leaves a finished run's job.
func (d *demo) pruneFinishedJobs(ctx context.Context) error {
	workspaces := map[int64]bool{}
	for _, scope := range d.envs {
		workspaces[scope.WorkspaceID] = true
	}
	return d.db.InTx(ctx, func(tx *store.Tx) error {
		for ws := range workspaces {
			runs, err := tx.ListRuns(ctx, &store.RunFilter{WorkspaceID: ws, Status: reckon.RunCompleted, Limit: 1000})
			if err != nil {
				return err
			}
			for _, run := range runs {
				if run.JobID == 0 {
					continue
				}
				if err := d.queue.DeleteTx(ctx, tx, run.JobID); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// people creates the workspaces, environments and members.
func (d *demo) people(ctx context.Context, password string) error {
	hash, err := access.HashPassword(password)
	if err != nil {
		return err
	}
	other, err := newPassword()
	if err != nil {
		return err
	}
	otherHash, err := access.HashPassword(other + other)
	if err != nil {
		return err
	}
	return d.db.InTx(ctx, func(tx *store.Tx) error {
		for _, u := range []*reckon.User{
			{Email: DemoEmail, Name: "Alex Morgan", PasswordHash: hash, IsPlatformSupport: true},
			{Email: "sam@northwind.example", Name: "Sam Patel", PasswordHash: otherHash},
			{Email: "robin@fabrikam.example", Name: "Robin Keller", PasswordHash: otherHash, Locale: "de"},
		} {
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			d.users[strings.Split(u.Email, "@")[0]] = u
		}
		workspaces := []struct {
			slug, name string
			envs       [][2]string
			members    map[string]reckon.Role
		}{
			{"northwind", "Northwind Managed Services",
				[][2]string{{"contoso-prod", "Contoso production tenant"}, {"contoso-staging", "Contoso staging tenant"}, {"adatum", "Adatum Corporation tenant"}},
				map[string]reckon.Role{"ops": reckon.RoleOwner, "sam": reckon.RoleReadonly}},
			{"fabrikam", "Fabrikam Health IT",
				[][2]string{{"clinic-east", "Clinic East tenant"}, {"clinic-west", "Clinic West tenant"}},
				map[string]reckon.Role{"ops": reckon.RoleManager, "robin": reckon.RoleOperator}},
		}
		for _, w := range workspaces {
			ws, err := tx.CreateWorkspace(ctx, w.slug, w.name)
			if err != nil {
				return err
			}
			for _, e := range w.envs {
				env, err := tx.CreateEnvironment(ctx, ws.ID, e[0], e[1], "")
				if err != nil {
					return err
				}
				d.envs[e[0]] = reckon.Scope{WorkspaceID: ws.ID, EnvironmentID: env.ID}
			}
			for name, role := range w.members {
				if err := access.PutMembership(ctx, tx, &reckon.Membership{WorkspaceID: ws.ID, UserID: d.users[name].ID, Role: role}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// evidence imports an assessment of an environment, captured a quarter of
// an hour before now.
func (d *demo) evidence(ctx context.Context, env string, a assessment) error {
	_, _, err := evidence.NewService(d.db).Import(ctx, d.envs[env], reckon.SnapshotInput{
		CapturedAt: d.clock.Now().Add(-15 * time.Minute), Findings: a.findings(),
		Source: reckon.SnapshotSource{Format: reckon.SnapshotFormatNative, ToolVersion: "1.5.0"},
	})
	return err
}

// compose composes the environment's newest evidence as a user would, and
// returns the run.
func (d *demo) compose(ctx context.Context, env, user string) (*reckon.Run, error) {
	res, err := d.reviews.Compose(ctx, d.envs[env], d.users[user].ID)
	if err != nil {
		return nil, err
	}
	if res.Run == nil {
		return nil, fmt.Errorf("compose %s: %s", env, res.Result)
	}
	return res.Run, nil
}

// work delivers a compose run's job to a worker, a minute later.
func (d *demo) work(ctx context.Context, w *review.Worker, runID int64) error {
	d.clock.Advance(time.Minute)
	return app.WorkCompose(ctx, w, runID)
}

// composed composes and works the job: a ready review.
func (d *demo) composed(ctx context.Context, env, user string, a assessment) (*reckon.Review, error) {
	if err := d.evidence(ctx, env, a); err != nil {
		return nil, err
	}
	run, err := d.compose(ctx, env, user)
	if err != nil {
		return nil, err
	}
	if err := d.work(ctx, d.composer, run.ID); err != nil {
		return nil, err
	}
	var v *reckon.Review
	err = d.db.InTx(ctx, func(tx *store.Tx) (err error) {
		v, err = tx.ReviewOfRun(ctx, run.WorkspaceID, run.ID)
		return err
	})
	return v, err
}

func (d *demo) publish(ctx context.Context, v *reckon.Review, user string) error {
	d.clock.Advance(20 * time.Minute)
	_, err := d.reviews.Publish(ctx, v.WorkspaceID, v.ID, d.users[user].ID)
	return err
}

// restore starts a restore and works its job with the built-in provider.
func (d *demo) restore(ctx context.Context, env, user, backup string, items ...restore.Item) error {
	st, err := d.restores.Start(ctx, d.envs[env], backup, items, d.users[user].ID)
	if err != nil {
		return err
	}
	d.clock.Advance(2 * time.Minute)
	return d.restores.Execute(ctx, st.Run.ID)
}

func item(key, payload string) restore.Item {
	return restore.Item{Key: key, Payload: json.RawMessage(payload)}
}

// sweep is the periodic reconciler's pass.
func (d *demo) sweep(ctx context.Context) error {
	_, err := d.rec.Sweep(ctx)
	return err
}

var errCrash = errors.New("the worker process died")

// backup names a backup taken the night before now.
func (d *demo) backup(kind string) string {
	return kind + "-" + d.clock.Now().Add(-24*time.Hour).Format("2006-01-02")
}

// contosoProduction: two weeks of reviews, published, superseded and
// archived; a worker that died mid-composition, the reconciler that
// settled its run and the next compose that took its draft over; a restore.
func (d *demo) contosoProduction() []event {
	const env = "contoso-prod"
	var first, third *reckon.Review
	var crashed *reckon.Run
	return []event{
		{0, 9, 0, func(ctx context.Context) (err error) {
			first, err = d.composed(ctx, env, "ops", assessment{"MS.AAD.3.1v1": fail, "MS.AAD.3.6v1": fail, "MS.AAD.7.1v1": fail,
				"MS.EXO.1.1v1": fail, "MS.EXO.4.1v1": fail, "MS.DEFENDER.1.1v1": fail, "MS.SHAREPOINT.1.1v1": fail,
				"MS.SHAREPOINT.2.1v1": warn, "MS.TEAMS.2.1v1": fail, "MS.TEAMS.4.1v1": na, "MS.DEFENDER.6.1v1": absent})
			return err
		}},
		{0, 9, 30, func(ctx context.Context) error { return d.publish(ctx, first, "ops") }},
		{4, 10, 0, func(ctx context.Context) error {
			_, err := d.composed(ctx, env, "ops", assessment{"MS.AAD.3.1v1": fail, "MS.AAD.7.1v1": fail,
				"MS.EXO.4.1v1": fail, "MS.DEFENDER.1.1v1": fail, "MS.SHAREPOINT.2.1v1": warn, "MS.TEAMS.2.1v1": fail,
				"MS.TEAMS.4.1v1": na, "MS.DEFENDER.6.1v1": absent})
			return err
		}},
		{7, 10, 0, func(ctx context.Context) (err error) {
			third, err = d.composed(ctx, env, "ops", assessment{"MS.AAD.3.1v1": fail, "MS.EXO.4.1v1": fail,
				"MS.EXO.2.2v2": fail, "MS.SHAREPOINT.2.1v1": warn, "MS.TEAMS.4.1v1": na, "MS.DEFENDER.6.1v1": fail})
			return err
		}},
		{7, 11, 0, func(ctx context.Context) error { return d.publish(ctx, third, "ops") }},
		// The worker composing a review dies after writing its draft.
		{9, 14, 0, func(ctx context.Context) (err error) {
			if err := d.evidence(ctx, env, assessment{"MS.AAD.3.1v1": fail, "MS.EXO.2.2v2": fail, "MS.SHAREPOINT.2.1v1": warn,
				"MS.TEAMS.4.1v1": na, "MS.TEAMS.1.1v1": fail, "MS.DEFENDER.6.1v1": errd}); err != nil {
				return err
			}
			if crashed, err = d.compose(ctx, env, "ops"); err != nil {
				return err
			}
			dying := review.NewWorker(d.reviews, &review.WorkerOptions{Hook: func(step string) error {
				if step == review.StepDraft {
					return errCrash
				}
				return nil
			}})
			if err := d.work(ctx, dying, crashed.ID); !errors.Is(err, errCrash) {
				return fmt.Errorf("the crashing worker returned %v", err)
			}
			return nil
		}},
		// Past the running deadline, the periodic reconciler settles it.
		{9, 14, 35, d.sweep},
		// The next compose takes the orphaned draft over.
		{9, 15, 10, func(ctx context.Context) error {
			run, err := d.compose(ctx, env, "ops")
			if err != nil {
				return err
			}
			return d.work(ctx, d.composer, run.ID)
		}},
		{12, 16, 0, func(ctx context.Context) error {
			return d.restore(ctx, env, "ops", d.backup("nightly"),
				item("conditional-access/require-mfa-admins", `{"kind": "conditional_access_policy", "state": "enabled"}`),
				item("exchange/block-external-forwarding", `{"kind": "transport_rule", "mode": "enforce"}`),
				item("sharepoint/sharing-policy", `{"kind": "sharing_policy", "scope": "existing_guests"}`),
				item("teams/external-access", `{"kind": "teams_federation", "allowed_domains": ["fabrikam.example"]}`))
		}},
	}
}

// contosoStaging: a review, restores that partly and wholly failed, and a
// compose run that waited past its deadline while the workers were down.
func (d *demo) contosoStaging() []event {
	const env = "contoso-staging"
	return []event{
		{1, 11, 0, func(ctx context.Context) error {
			_, err := d.composed(ctx, env, "ops", assessment{"MS.AAD.5.1v1": fail, "MS.EXO.13.1v1": fail, "MS.TEAMS.2.1v1": warn})
			return err
		}},
		{10, 9, 0, func(ctx context.Context) error {
			return d.restore(ctx, env, "ops", d.backup("weekly"),
				item("conditional-access/block-legacy-auth", `{"kind": "conditional_access_policy", "state": "enabled"}`),
				item("exchange/dmarc-record", `{"record": "v=DMARC1; p=reject"}`),
				item("sharepoint/default-link", `{"kind": "sharing_policy", "default_link": "specific_people"}`))
		}},
		{11, 9, 30, func(ctx context.Context) error {
			return d.restore(ctx, env, "ops", d.backup("weekly"),
				item("teams/meeting-policy", `"not an object"`),
				item("teams/messaging-policy", `{"kind": ""}`))
		}},
		{13, 8, 0, func(ctx context.Context) error {
			if err := d.evidence(ctx, env, assessment{"MS.AAD.5.1v1": fail, "MS.TEAMS.2.1v1": warn}); err != nil {
				return err
			}
			_, err := d.compose(ctx, env, "ops")
			return err
		}},
		{13, 8, 20, d.sweep},
	}
}

// adatum: a published review, then a run that finds two current reviews of
// its evidence — one left by the older system the tenant came from — and
// is blocked for an operator.
func (d *demo) adatum() []event {
	const env = "adatum"
	var v *reckon.Review
	return []event{
		{3, 10, 0, func(ctx context.Context) (err error) {
			v, err = d.composed(ctx, env, "ops", assessment{"MS.AAD.1.1v1": fail, "MS.EXO.1.1v1": fail, "MS.SHAREPOINT.1.1v1": warn})
			return err
		}},
		{3, 10, 30, func(ctx context.Context) error { return d.publish(ctx, v, "ops") }},
		{5, 10, 0, func(ctx context.Context) error {
			var run *reckon.Run
			err := d.db.InTx(ctx, func(tx *store.Tx) error {
				// The older system's copy: ready, of the same evidence, with
				// the same content.
				original, err := tx.Review(ctx, v.WorkspaceID, v.ID)
				if err != nil {
					return err
				}
				twin, err := tx.InsertDraftReview(ctx, &store.DraftReviewInsert{Scope: d.envs[env],
					EvidenceSnapshotID: v.EvidenceSnapshotID, Fingerprint: v.Fingerprint})
				if err != nil {
					return err
				}
				now := tx.Now()
				twin.Status, twin.Content, twin.ComposedAt = reckon.ReviewReady, original.Content, &now
				if err := tx.UpdateReview(ctx, twin); err != nil {
					return err
				}
				// The migration also queued a compose of the same inputs.
				run, _, err = d.ledger.Ensure(ctx, tx, &ledger.EnsureParams{Scope: d.envs[env], Type: reckon.RunTypeReviewCompose,
					Key: v.Fingerprint, InitiatorUserID: d.users["ops"].ID,
					Context: reckon.RunContext{Fingerprint: v.Fingerprint, EvidenceSnapshotID: v.EvidenceSnapshotID}})
				return err
			})
			if err != nil {
				return err
			}
			d.clock.Advance(5 * time.Minute)
			_, _, err = d.rec.ReconcileRun(ctx, run.WorkspaceID, run.ID, fmt.Sprintf("user:%d", d.users["ops"].ID))
			return err
		}},
	}
}

// clinics: Fabrikam's two environments, composed by a German-speaking
// operator, and a restore whose worker lost the tenant halfway through.
func (d *demo) clinics() []event {
	var first *reckon.Review
	return []event{
		{2, 10, 0, func(ctx context.Context) (err error) {
			first, err = d.composed(ctx, "clinic-east", "robin", assessment{"MS.AAD.3.1v1": fail, "MS.AAD.3.6v1": fail,
				"MS.EXO.4.1v1": fail, "MS.DEFENDER.1.1v1": warn, "MS.TEAMS.4.1v1": na})
			return err
		}},
		{2, 11, 0, func(ctx context.Context) error { return d.publish(ctx, first, "ops") }},
		{6, 15, 0, func(ctx context.Context) error {
			_, err := d.composed(ctx, "clinic-west", "robin", assessment{"MS.SHAREPOINT.1.1v1": fail, "MS.TEAMS.2.1v1": fail})
			return err
		}},
		{8, 10, 0, func(ctx context.Context) error {
			_, err := d.composed(ctx, "clinic-east", "robin", assessment{"MS.AAD.3.1v1": fail, "MS.EXO.4.1v1": fail,
				"MS.DEFENDER.1.1v1": warn, "MS.TEAMS.4.1v1": na})
			return err
		}},
		// The worker applying a restore loses the tenant after the first
		// item and never comes back; past the running deadline the
		// reconciler finds no proof either way and fails the run.
		{12, 9, 0, func(ctx context.Context) error {
			halfway := restore.NewService(d.db, d.ledger, &restore.Options{Provider: &brokenProvider{after: 1}})
			st, err := halfway.Start(ctx, d.envs["clinic-west"], d.backup("nightly"), []restore.Item{
				item("conditional-access/require-compliant-devices", `{"kind": "conditional_access_policy", "state": "enabled"}`),
				item("defender/preset-policies", `{"kind": "preset_security_policy", "level": "strict"}`),
				item("exchange/mailbox-audit", `{"kind": "audit_config", "enabled": true}`),
			}, d.users["robin"].ID)
			if err != nil {
				return err
			}
			d.clock.Advance(time.Minute)
			if err := halfway.Execute(ctx, st.Run.ID); err == nil {
				return errors.New("the broken restore finished")
			}
			return nil
		}},
		{12, 11, 5, d.sweep},
	}
}

// brokenProvider applies some items and then fails the way a lost
// connection does: an error that is not an item's fault.
type brokenProvider struct{ after, applied int }

func (p *brokenProvider) Apply(ctx context.Context, target reckon.Scope, it *reckon.RestoreItem) error {
	if p.applied >= p.after {
		return errors.New("connection to the tenant lost")
	}
	p.applied++
	return restore.Local{}.Apply(ctx, target, it)
}

// readOlderNotifications leaves the demo login's three newest notifications
// unread, as if the older ones had been seen.
func (d *demo) readOlderNotifications(ctx context.Context) error {
	return d.db.InTx(ctx, func(tx *store.Tx) error {
		for _, u := range d.users {
			list, err := tx.NotificationsOfUser(ctx, u.ID, 0, 200)
			if err != nil {
				return err
			}
			for i, n := range list {
				if i < 3 {
					continue
				}
				if err := tx.MarkNotificationRead(ctx, u.ID, n.ID); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
