package cli

import (
	"context"
	"fmt"

	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/store"
)

var operationCommands = []command{
	{name: "operations retry", summary: "retry a failed, blocked or cancelled run (a new run, linked both ways)", run: runOperationAction("retry")},
	{name: "operations cancel", summary: "cancel a queued or running run and its queue job", run: runOperationAction("cancel")},
	{name: "operations acknowledge", summary: "acknowledge a failed or blocked run: it leaves the attention counts", run: runOperationAction("acknowledge")},
}

// runOperationAction runs one operator action on one run, audited as the
// CLI's ("cli"): the command is an administrator's tool, like the others.
func runOperationAction(action string) func(ctx context.Context, e *env, args []string) error {
	return func(ctx context.Context, e *env, args []string) error {
		var g globals
		var ws, note string
		var id int64
		fs := newFlagSet(e, "operations "+action, &g)
		fs.StringVar(&ws, "workspace", "", "workspace slug")
		fs.Int64Var(&id, "id", 0, "the run's id")
		fs.StringVar(&note, "note", "", "an optional note for the audit trail")
		if err := parse(fs, args); err != nil {
			return err
		}
		if err := require(map[string]string{"workspace": ws}); err != nil {
			return err
		}
		if id <= 0 {
			return usagef("missing --id")
		}
		a, err := openApp(ctx, e, &g, appOptions{})
		if err != nil {
			return err
		}
		defer a.DB.Close()
		var workspaceID int64
		if err := a.DB.InTx(ctx, func(tx *store.Tx) error {
			w, err := lookupWorkspace(ctx, tx, ws)
			if err == nil {
				workspaceID = w.ID
			}
			return err
		}); err != nil {
			return err
		}
		act := map[string]func(context.Context, int64, int64, operator.Actor, string) (*operator.Outcome, error){
			"retry": a.Operator.Retry, "cancel": a.Operator.Cancel, "acknowledge": a.Operator.Acknowledge,
		}[action]
		out, err := act(ctx, workspaceID, id, operator.Actor{Name: "cli"}, note)
		if err != nil {
			return err
		}
		var retryID int64
		if out.Retry != nil {
			retryID = out.Retry.ID
		}
		if g.json {
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
