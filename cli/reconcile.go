package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/reckonhq/reckon/metrics"
	"github.com/reckonhq/reckon/reconcile"
	"github.com/reckonhq/reckon/restore"
	"github.com/reckonhq/reckon/review"
)

var reconcileCommands = []command{
	{name: "reconcile", summary: "one reconciliation sweep now (--once); prints examined / settled / unchanged", run: runReconcile},
}

// wireReconciliation registers restores and the reconciliation adapters, and
// builds the reconciler with its metrics and, in a working process, the
// worker of its periodic sweep.
func (a *app) wireReconciliation() error {
	a.restores = restore.NewService(a.db, a.ledger, &restore.Options{Logger: a.log.With("component", "restore")})
	restore.Register(a.catalog, a.workers, a.restores)
	a.catalog.RegisterAdapter(review.Adapter{})
	m, err := metrics.New(a.registry, a.db, a.log.With("component", "metrics"))
	if err != nil {
		return err
	}
	a.reconciler = reconcile.New(a.db, a.ledger, &reconcile.Config{Logger: a.log.With("component", "reconcile"), Observer: m})
	if a.workers != nil {
		reconcile.Register(a.workers, a.reconciler)
	}
	return nil
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
	defer a.close()
	res, err := a.reconciler.Sweep(ctx)
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
