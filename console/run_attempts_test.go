package console_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/store"
)

// The operation page's timeline says on which node each attempt ran and
// from which dead node the work was handed on, in the caller's language.
func TestOperationPageShowsAttemptsAndHandOns(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		run := w.queuedRun(t, w.envA1, "attempts")
		var list []*store.RunAttempt
		w.tx(t, func(tx *store.Tx) error {
			ctx := context.Background()
			a, err := tx.RegisterNode(ctx, "host-a-101", "client-a")
			if err != nil {
				return err
			}
			b, err := tx.RegisterNode(ctx, "host-b-202", "client-b")
			if err != nil {
				return err
			}
			if err := tx.StartRunAttempt(ctx, run.ID, 1, a.ID); err != nil {
				return err
			}
			if _, err := tx.HandOnAttempt(ctx, run.ID, 1); err != nil {
				return err
			}
			if err := tx.StartRunAttempt(ctx, run.ID, 2, b.ID); err != nil {
				return err
			}
			list, err = tx.RunAttempts(ctx, run.ID)
			return err
		})
		handed := *list[0].HandedOnAt
		reader := w.as(t, "readonly")
		p := reader.get(t, opPath(w.wsA, run.ID))
		expect(t, p, http.StatusOK, en("console.timeline.heading"),
			en("console.attempts.attempt", "n", 1, "node", "host-a-101"),
			en("console.attempts.attempt_handed_on", "n", 2, "node", "host-b-202", "from", "host-a-101", "at", locale.FormatTime("en", handed)))
		reader.lang = "de"
		p = reader.get(t, opPath(w.wsA, run.ID))
		expect(t, p, http.StatusOK, de("console.timeline.heading"),
			de("console.attempts.attempt_handed_on", "n", 2, "node", "host-b-202", "from", "host-a-101", "at", locale.FormatTime("de", handed)))
	})
}
