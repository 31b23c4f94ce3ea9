package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/reckonhq/reckon/reconcile"
)

var reconcileCommands = []command{
	{name: "reconcile", summary: "one reconciliation sweep now (--once); prints examined / settled / unchanged", run: runReconcile},
}

func runReconcile(ctx context.Context, e *env, args []string) error {
	var g globals
	var once bool
	fs := newFlagSet(e, "reconcile", &g)
	fs.BoolVar(&once, "once", false, "run one sweep now and exit")
	if err := parse(fs, args); err != nil {
		return err
	}
	if !once {
		return usagef("reconcile needs --once: the periodic reconciler runs inside serve and worker")
	}
	a, err := openApp(ctx, e, &g, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := a.Reconciler.Sweep(ctx)
	if err != nil && !errors.Is(err, reconcile.ErrUnjudged) {
		return err
	}
	if g.json {
		if perr := printJSON(e.stdout, res); perr != nil {
			return perr
		}
	} else {
		fmt.Fprintf(e.stdout, "examined %d, settled %d, unchanged %d\n", res.Examined, res.Settled, res.Unchanged)
	}
	if err != nil {
		return fmt.Errorf("%d runs could not be judged; they stay active for the next sweep (see the log)", res.Errors)
	}
	return nil
}
