package demo_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/reckonhq/reckon/internal/demo"
)

func TestTourShowsEveryStepAndLeavesNothingActive(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	start := time.Now()
	if err := demo.Run(context.Background(), &out, &demo.Options{Dir: t.TempDir()}); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the tour took %s; it should take seconds", d)
	}
	for _, want := range []string{
		"trigger 1 → queued          run 1",
		"trigger 3 → already_running run 1",
		"reconciler sweep at Sat 10:05: examined 0, settled 0",
		"run 1: completed / failed — review.compose_stalled (decided by adapter, adapter environment.review.compose)",
		"run 2: completed / succeeded — review.took_over_stale_draft",
		"compose once more → up_to_date, review 1",
		"completed / blocked — review.ambiguous",
		"teams/external-access            failed — restore.item_missing_kind",
		"run 4: completed / partially_succeeded",
		"agrees: partially_succeeded, restore.partial",
		"active runs: 0;",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the tour does not show %q:\n%s", want, out.String())
		}
	}
}
