package reckon_test

import (
	"slices"
	"testing"

	"github.com/reckonhq/reckon"
)

// A run's evidence names the run in its own workspace and environment, and
// each call answers a slice of its own, so that an adapter may add to it.
func TestRunEvidenceNamesTheRunInItsScope(t *testing.T) {
	t.Parallel()
	run := &reckon.Run{ID: 7, WorkspaceID: 2, EnvironmentID: 3}
	ev := run.Evidence()
	if ev.WorkspaceID != 2 || ev.EnvironmentID != 3 || !slices.Equal(ev.RunIDs, []int64{7}) {
		t.Fatalf("evidence %+v", ev)
	}
	ev.RunIDs[0] = 8
	if again := run.Evidence(); again.RunIDs[0] != 7 {
		t.Errorf("a second call shares the first's run ids: %v", again.RunIDs)
	}
}
