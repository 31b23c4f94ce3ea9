// Package catalog is the typed registry of run types: their labels (kept in
// the locale catalogs), whether they are environment-scoped, their deadlines, the job
// that executes them and the reconciliation adapter that proves their truth.
package catalog

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/store"
)

// Adapter proves a run's truth from its domain's rows. It reads; only the
// ledger writes. now is the reconciler's clock reading, to judge deadlines.
// A run type names its adapter (RunType.Adapter, Catalog.RegisterAdapter).
type Adapter interface {
	// Name identifies the adapter in reconciliation records.
	Name() string
	// Reconcile decides from rows in the run's own scope.
	Reconcile(ctx context.Context, tx *store.Tx, run *reckon.Run, now time.Time) (reckon.Decision, error)
}

// ReconcileFunc is the Reconcile method of an adapter, as a function.
type ReconcileFunc func(ctx context.Context, tx *store.Tx, run *reckon.Run, now time.Time) (reckon.Decision, error)

// AdapterFunc returns the adapter called name that decides with reconcile,
// for an adapter that needs no state of its own (as river.WorkFunc is for a
// worker).
func AdapterFunc(name string, reconcile ReconcileFunc) Adapter {
	return funcAdapter{name: name, reconcile: reconcile}
}

type funcAdapter struct {
	name      string
	reconcile ReconcileFunc
}

func (a funcAdapter) Name() string { return a.name }

func (a funcAdapter) Reconcile(ctx context.Context, tx *store.Tx, run *reckon.Run, now time.Time) (reckon.Decision, error) {
	return a.reconcile(ctx, tx, run, now)
}

// RunType describes one kind of operation run.
type RunType struct {
	Key reckon.RunType
	// Labels by language ("en", "de"), for run types added by a service
	// that imports reckon, published for reckon's console and API by
	// Publish; the types reckon ships keep theirs in the locale catalogs
	// under LabelKey.
	Labels            map[string]string
	EnvironmentScoped bool
	// QueuedDeadline bounds how long a run may wait for a worker;
	// RunningDeadline how long it may run once started.
	QueuedDeadline  time.Duration
	RunningDeadline time.Duration
	// JobTimeout bounds one attempt of the job; it must be shorter than the
	// running deadline so that the job and the reconciler never fight.
	JobTimeout time.Duration
	// JobArgs builds the queue job that executes a run; nil for run types
	// that are executed elsewhere.
	JobArgs func(runID int64) river.JobArgs
	// Adapter proves the run's truth; nil takes the generic stale path.
	Adapter Adapter
}

// LabelKey is the locale key of a run type's label.
func LabelKey(key reckon.RunType) string { return "run_type." + string(key) }

// Label returns the type's label in lang, falling back to English, and to
// the key itself for a type labelled nowhere.
func (t *RunType) Label(lang string) string {
	if l, ok := t.Labels[lang]; ok {
		return l
	}
	if l, ok := t.Labels["en"]; ok {
		return l
	}
	if c := locale.Default(); c.Has("en", LabelKey(t.Key)) {
		return c.Translate(lang, LabelKey(t.Key), nil)
	}
	return string(t.Key)
}

// Catalog is the registry of run types.
type Catalog struct {
	types map[reckon.RunType]*RunType
	// Liveness says how nodes that work jobs prove they are alive.
	Liveness Liveness
}

// New returns an empty catalog, for a service that runs only run types of
// its own: a process's reconciler judges the run types in its catalog and
// no others (see Catalog.Keys).
func New() *Catalog {
	return &Catalog{types: map[reckon.RunType]*RunType{}, Liveness: DefaultLiveness()}
}

// Default returns the catalog of the run types reckon ships, without jobs or
// adapters (the domain packages register those).
func Default() *Catalog {
	c := New()
	c.types[reckon.RunTypeReviewCompose] = &RunType{
		Key:               reckon.RunTypeReviewCompose,
		EnvironmentScoped: true,
		QueuedDeadline:    15 * time.Minute,
		RunningDeadline:   30 * time.Minute,
		JobTimeout:        10 * time.Minute,
	}
	c.types[reckon.RunTypeRestoreExecute] = &RunType{
		Key:               reckon.RunTypeRestoreExecute,
		EnvironmentScoped: true,
		QueuedDeadline:    30 * time.Minute,
		RunningDeadline:   2 * time.Hour,
		// Short enough that an attempt cut off by a dead node and one more
		// full attempt fit in the running deadline.
		JobTimeout: 55 * time.Minute,
	}
	return c
}

// Add registers a run type of a service that imports reckon. Its key must
// be new, and its deadlines and job timeout must keep Validate's promises.
func (c *Catalog) Add(t *RunType) error {
	if _, dup := c.types[t.Key]; dup || t.Key == "" {
		return fmt.Errorf("catalog: run type %q is empty or already registered", t.Key)
	}
	if err := c.check(t); err != nil {
		return err
	}
	c.types[t.Key] = t
	return nil
}

// Overrides change every type's deadlines for one process (tests and demos
// shorten them). Zero leaves a deadline as it is.
type Overrides struct {
	QueuedDeadline  time.Duration
	RunningDeadline time.Duration
}

// Apply sets the overridden deadlines and keeps Validate's promise: a
// running deadline too short for the liveness defaults shortens them to a
// quarter of it for detection, and a job timeout that no longer leaves room
// for a handed-on attempt is cut to what does.
func (c *Catalog) Apply(o Overrides) {
	if o.RunningDeadline > 0 && c.Liveness.DetectionDelay() > o.RunningDeadline/4 {
		c.Liveness = Liveness{Interval: o.RunningDeadline / 16, DeadAfter: 3 * o.RunningDeadline / 16}
	}
	for _, t := range c.types {
		if o.QueuedDeadline > 0 {
			t.QueuedDeadline = o.QueuedDeadline
		}
		if o.RunningDeadline > 0 {
			t.RunningDeadline = o.RunningDeadline
			t.JobTimeout = min(t.JobTimeout, (t.RunningDeadline-c.Liveness.DetectionDelay())/2)
		}
	}
}

// Lookup returns a run type.
func (c *Catalog) Lookup(key reckon.RunType) (*RunType, bool) {
	t, ok := c.types[key]
	return t, ok
}

// MustLookup returns a run type and panics for an unknown key, which is a
// programming error.
func (c *Catalog) MustLookup(key reckon.RunType) *RunType {
	t, ok := c.types[key]
	if !ok {
		panic(fmt.Sprintf("catalog: unknown run type %q", key))
	}
	return t
}

// Types returns every run type, ordered by key.
func (c *Catalog) Types() []*RunType {
	out := make([]*RunType, 0, len(c.types))
	for _, t := range c.types {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *RunType) int {
		if a.Key < b.Key {
			return -1
		}
		if a.Key > b.Key {
			return 1
		}
		return 0
	})
	return out
}

// Keys returns the key of every run type, ordered.
func (c *Catalog) Keys() []reckon.RunType {
	keys := make([]reckon.RunType, 0, len(c.types))
	for _, t := range c.Types() {
		keys = append(keys, t.Key)
	}
	return keys
}

// Publish records in db the labels of the catalog's types that carry their
// own (Labels: a service's types), so that the console and API of a reckon
// process whose catalog does not hold them name them as the service does.
// Reconciler.StartNode publishes the catalog of a process that works jobs.
func (c *Catalog) Publish(ctx context.Context, db *store.DB) error {
	var labelled []*RunType
	for _, t := range c.Types() {
		if len(t.Labels) > 0 {
			labelled = append(labelled, t)
		}
	}
	if len(labelled) == 0 {
		return nil
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		for _, t := range labelled {
			if err := tx.PublishRunTypeLabels(ctx, t.Key, t.Labels); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetJob registers the job that executes a run type.
func (c *Catalog) SetJob(key reckon.RunType, args func(runID int64) river.JobArgs) {
	c.MustLookup(key).JobArgs = args
}

// RegisterAdapter attaches the adapter that proves a run type's truth.
func (c *Catalog) RegisterAdapter(key reckon.RunType, a Adapter) {
	c.MustLookup(key).Adapter = a
}

// Validate checks the catalog's promises: positive deadlines, a job
// timeout shorter than the running deadline, and room within the running
// deadline for an attempt that a dead node cut off at its timeout, the
// detection of that death, and one more full attempt on a live node.
func (c *Catalog) Validate() error {
	if err := c.Liveness.validate(); err != nil {
		return err
	}
	for _, t := range c.Types() {
		if err := c.check(t); err != nil {
			return err
		}
	}
	return nil
}

func (c *Catalog) check(t *RunType) error {
	if err := t.validate(); err != nil {
		return err
	}
	if need := 2*t.JobTimeout + c.Liveness.DetectionDelay(); t.RunningDeadline < need {
		return fmt.Errorf("catalog: run type %s: running deadline %s leaves no room for a handed-on attempt: "+
			"it needs job timeout %s + detection %s + another %s = %s", t.Key, t.RunningDeadline,
			t.JobTimeout, c.Liveness.DetectionDelay(), t.JobTimeout, need)
	}
	return nil
}

// RescueAfter is when River's own rescuer takes a job still running back:
// after the longest job timeout and a node's detection delay, so that it
// never takes a job from an attempt that is still within its timeout, and
// is the backstop for a job whose node lives but whose work hangs.
func (c *Catalog) RescueAfter() time.Duration {
	var longest time.Duration
	for _, t := range c.types {
		longest = max(longest, t.JobTimeout)
	}
	return longest + c.Liveness.DetectionDelay()
}

func (t *RunType) validate() error {
	if t.QueuedDeadline <= 0 || t.RunningDeadline <= 0 {
		return fmt.Errorf("catalog: run type %s needs positive deadlines", t.Key)
	}
	if t.JobTimeout <= 0 || t.JobTimeout >= t.RunningDeadline {
		return fmt.Errorf("catalog: run type %s: job timeout %s must be shorter than its running deadline %s",
			t.Key, t.JobTimeout, t.RunningDeadline)
	}
	return nil
}
