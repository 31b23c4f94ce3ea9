package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/store"
)

var operationCommands = []command{
	{name: "operations retry", summary: "retry a failed, blocked or cancelled run (a new run, linked both ways)", run: runOperationAction("retry")},
	{name: "operations cancel", summary: "cancel a queued or running run and its queue job", run: runOperationAction("cancel")},
	{name: "operations acknowledge", summary: "acknowledge a failed or blocked run: it leaves the attention counts", run: runOperationAction("acknowledge")},
	{name: "operations resolve", summary: "resolve a run blocked by several current reviews: keep one, archive or supersede the others", run: runOperationResolve},
}

// operationFlags are the flags every operator action on one run takes.
type operationFlags struct {
	g    globals
	ws   string
	id   int64
	note string
}

func newOperationFlags(e *env, name string) (*flag.FlagSet, *operationFlags) {
	f := &operationFlags{}
	fs := newFlagSet(e, name, &f.g)
	fs.StringVar(&f.ws, "workspace", "", "workspace slug")
	fs.Int64Var(&f.id, "id", 0, "the run's id")
	fs.StringVar(&f.note, "note", "", "an optional note for the audit trail")
	return fs, f
}

// check refuses a command line without the run.
func (f *operationFlags) check() error {
	if err := require(map[string]string{"workspace": f.ws}); err != nil {
		return err
	}
	if f.id <= 0 {
		return usagef("missing --id")
	}
	return nil
}

// open opens the app and finds the workspace.
func (f *operationFlags) open(ctx context.Context, e *env) (*app.App, int64, error) {
	a, err := openApp(ctx, e, &f.g, appOptions{})
	if err != nil {
		return nil, 0, err
	}
	var workspaceID int64
	if err := a.DB.InTx(ctx, func(tx *store.Tx) error {
		w, err := lookupWorkspace(ctx, tx, f.ws)
		if err == nil {
			workspaceID = w.ID
		}
		return err
	}); err != nil {
		a.DB.Close()
		return nil, 0, err
	}
	return a, workspaceID, nil
}

// cliActor is the CLI in the audit trail: the command is an
// administrator's tool, like the others.
var cliActor = operator.Actor{Name: "cli"}

// runOperationAction runs one operator action on one run, audited as the
// CLI's ("cli").
func runOperationAction(action string) func(ctx context.Context, e *env, args []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		fs, f := newOperationFlags(e, "operations "+action)
		if err := parse(fs, args); err != nil {
			return err
		}
		if err := f.check(); err != nil {
			return err
		}
		a, workspaceID, err := f.open(ctx, e)
		if err != nil {
			return err
		}
		defer a.DB.Close()
		act := map[string]func(context.Context, int64, int64, operator.Actor, string) (*operator.Outcome, error){
			"retry": a.Operator.Retry, "cancel": a.Operator.Cancel, "acknowledge": a.Operator.Acknowledge,
		}[action]
		out, err := act(ctx, workspaceID, f.id, cliActor, f.note)
		if err != nil {
			return err
		}
		var retryID int64
		if out.Retry != nil {
			retryID = out.Retry.ID
		}
		if f.g.json {
			return printJSON(e.stdout, map[string]any{"id": out.Run.ID, "status": out.Run.Status, "outcome": out.Run.Outcome,
				"changed": out.Changed, "retry_id": retryID, "result": out.Compose})
		}
		switch {
		case action == "retry" && retryID != 0:
			fmt.Fprintf(e.stdout, "run %d retried by run %d", out.Run.ID, retryID)
			if out.Compose != "" {
				fmt.Fprintf(e.stdout, " (%s)", out.Compose)
			}
			fmt.Fprintln(e.stdout)
		case action == "retry":
			fmt.Fprintf(e.stdout, "run %d: its review is up to date; nothing to run\n", out.Run.ID)
		case !out.Changed:
			fmt.Fprintf(e.stdout, "run %d is %s %s; nothing changed\n", out.Run.ID, out.Run.Status, out.Run.Outcome)
		default:
			fmt.Fprintf(e.stdout, "run %d %s: %s %s\n", out.Run.ID, map[string]string{"cancel": "cancelled",
				"acknowledge": "acknowledged"}[action], out.Run.Status, out.Run.Outcome)
		}
		return nil
	}
}

// runOperationResolve settles a run blocked by an ambiguity, audited as
// the CLI's.
func runOperationResolve(ctx context.Context, e *env, args []string) error {
	fs, f := newOperationFlags(e, "operations resolve")
	var (
		keep    int64
		publish bool
	)
	fs.Int64Var(&keep, "keep", 0, "the review to keep: one of the current reviews the run found")
	fs.BoolVar(&publish, "publish", false, "publish the kept review when it is ready")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := f.check(); err != nil {
		return err
	}
	if keep <= 0 {
		return usagef("missing --keep")
	}
	a, workspaceID, err := f.open(ctx, e)
	if err != nil {
		return err
	}
	defer a.DB.Close()
	out, err := a.Operator.Resolve(ctx, workspaceID, f.id, cliActor, operator.ResolveParams{KeepReviewID: keep, Publish: publish, Note: f.note})
	if err != nil {
		return err
	}
	if f.g.json {
		return printJSON(e.stdout, map[string]any{"id": out.Run.ID, "status": out.Run.Status, "outcome": out.Run.Outcome,
			"changed": out.Changed, "retry_id": out.Retry.ID, "review_id": out.Review.ID, "review_status": out.Review.Status})
	}
	if !out.Changed {
		fmt.Fprintf(e.stdout, "run %d was resolved already: review %d kept, run %d records it; nothing changed\n",
			out.Run.ID, out.Review.ID, out.Retry.ID)
		return nil
	}
	fmt.Fprintf(e.stdout, "run %d resolved: review %d kept (%s), run %d %s %s records it\n",
		out.Run.ID, out.Review.ID, out.Review.Status, out.Retry.ID, out.Retry.Status, out.Retry.Outcome)
	return nil
}
