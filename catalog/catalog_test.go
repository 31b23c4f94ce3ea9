package catalog

import (
	"testing"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/locale"
)

func TestDefaultCatalogValid(t *testing.T) {
	t.Parallel()
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, key := range []reckon.RunType{reckon.RunTypeReviewCompose, reckon.RunTypeRestoreExecute} {
		rt, ok := c.Lookup(key)
		if !ok {
			t.Fatalf("%s missing", key)
		}
		if rt.Label("en") == "" || rt.Label("de") == "" || rt.Label("de") == rt.Label("en") {
			t.Errorf("%s: labels %q / %q", key, rt.Label("en"), rt.Label("de"))
		}
		if rt.Label("fr") != rt.Label("en") {
			t.Errorf("%s: an unknown language should fall back to English", key)
		}
	}
}

// Overrides shorten every deadline, and keep the promise that a job's
// timeout is shorter than its running deadline.
func TestApplyOverrides(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Apply(Overrides{QueuedDeadline: 2 * time.Second, RunningDeadline: 4 * time.Second})
	for _, rt := range c.Types() {
		if rt.QueuedDeadline != 2*time.Second || rt.RunningDeadline != 4*time.Second {
			t.Errorf("%s: deadlines %s / %s", rt.Key, rt.QueuedDeadline, rt.RunningDeadline)
		}
		if rt.JobTimeout >= rt.RunningDeadline {
			t.Errorf("%s: job timeout %s not below running deadline %s", rt.Key, rt.JobTimeout, rt.RunningDeadline)
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Apply(Overrides{}) // zero changes nothing
	if rt := c.MustLookup(reckon.RunTypeReviewCompose); rt.QueuedDeadline != 2*time.Second {
		t.Errorf("zero override changed the queued deadline to %s", rt.QueuedDeadline)
	}
}

func TestValidateRejectsJobTimeoutPastDeadline(t *testing.T) {
	t.Parallel()
	c := Default()
	c.MustLookup(reckon.RunTypeRestoreExecute).JobTimeout = 3 * time.Hour
	if err := c.Validate(); err == nil {
		t.Fatal("a job timeout longer than the running deadline was accepted")
	}
}

// The labels of the run types reckon ships live in the locale catalogs, so
// the missing-key test covers every language.
func TestShippedLabelsAreInTheLocaleCatalogs(t *testing.T) {
	t.Parallel()
	for _, rt := range Default().Types() {
		if rt.Labels != nil || !locale.Default().Has("en", LabelKey(rt.Key)) {
			t.Errorf("%s: labels %v, locale key %s", rt.Key, rt.Labels, LabelKey(rt.Key))
		}
	}
}

func TestAddRefusesADuplicateOrABrokenPromise(t *testing.T) {
	t.Parallel()
	c := Default()
	if err := c.Add(&RunType{Key: reckon.RunTypeRestoreExecute, QueuedDeadline: time.Minute, RunningDeadline: time.Hour, JobTimeout: time.Minute}); err == nil {
		t.Error("a shipped key was registered twice")
	}
	if err := c.Add(&RunType{Key: "inventory.sync", QueuedDeadline: time.Minute, RunningDeadline: time.Minute, JobTimeout: time.Minute}); err == nil {
		t.Error("a job timeout as long as the running deadline was accepted")
	}
	custom := &RunType{Key: "inventory.sync", Labels: map[string]string{"en": "Sync inventory"},
		QueuedDeadline: time.Minute, RunningDeadline: time.Hour, JobTimeout: time.Minute}
	if err := c.Add(custom); err != nil || c.MustLookup("inventory.sync").Label("de") != "Sync inventory" {
		t.Fatalf("add: %v", err)
	}
}

// A running deadline must leave room for an attempt cut off at its
// timeout, the detection of the dead node and one more full attempt.
func TestValidateWantsRoomForAHandedOnAttempt(t *testing.T) {
	t.Parallel()
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
	rt := c.MustLookup(reckon.RunTypeReviewCompose)
	rt.JobTimeout = (rt.RunningDeadline - c.Liveness.DetectionDelay()) / 2
	if err := c.Validate(); err != nil {
		t.Fatalf("exactly enough room: %v", err)
	}
	rt.JobTimeout += time.Second
	if err := c.Validate(); err == nil {
		t.Fatal("a job timeout that leaves no room for a handed-on attempt was accepted")
	}
	if got, want := Default().RescueAfter(), 55*time.Minute+20*time.Second; got != want {
		t.Errorf("RescueAfter: %s, want the longest job timeout and the detection delay, %s", got, want)
	}
}

// Short test deadlines shorten the liveness with them.
func TestApplyShortensLivenessForShortDeadlines(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Apply(Overrides{RunningDeadline: 8 * time.Second})
	if d := c.Liveness.DetectionDelay(); d > 2*time.Second {
		t.Errorf("detection delay %s for an 8s running deadline", d)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
