package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

var reviewCommands = []command{
	{name: "reviews compose", summary: "compose the reviews of a workspace's stale, all or listed environments at once", run: runReviewsCompose},
}

// composedJSON is one environment's result with --json.
type composedJSON struct {
	EnvironmentID int64         `json:"environment_id"`
	Environment   string        `json:"environment"`
	Result        review.Result `json:"result"`
	OperationID   *int64        `json:"operation_id"`
	ReviewID      *int64        `json:"review_id"`
}

// runReviewsCompose composes as the API's bulk compose does, in one
// transaction, and prints one line per environment: its slug, the result
// and the run or review it points to.
func runReviewsCompose(ctx context.Context, e *env, args []string) error {
	var g globals
	var ws, envs string
	var stale, all bool
	fs := newFlagSet(e, "reviews compose", &g)
	fs.StringVar(&ws, "workspace", "", "workspace slug")
	fs.BoolVar(&stale, "stale", false, "every environment whose latest review is stale")
	fs.BoolVar(&all, "all", false, "every environment of the workspace")
	fs.StringVar(&envs, "environments", "", "comma-separated environment slugs")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := require(map[string]string{"workspace": ws}); err != nil {
		return err
	}
	var slugs []string
	for _, s := range strings.Split(envs, ",") {
		if s = strings.TrimSpace(s); s != "" {
			slugs = append(slugs, s)
		}
	}
	if n := btoi(stale) + btoi(all) + btoi(len(slugs) > 0); n != 1 {
		return usagef("give one of --stale, --all or --environments")
	}
	a, err := openApp(ctx, e, &g, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	sel := &review.Selection{Stale: stale, All: all}
	names := map[int64]string{}
	err = a.DB.InTx(ctx, func(tx *store.Tx) error {
		w, err := lookupWorkspace(ctx, tx, ws)
		if err != nil {
			return err
		}
		sel.Scope, sel.IDs = store.FleetScope{WorkspaceID: w.ID}, nil
		list, err := tx.Environments(ctx, w.ID)
		if err != nil {
			return err
		}
		for _, env := range list {
			names[env.ID] = env.Slug
		}
		for _, slug := range slugs {
			env, err := lookupEnvironment(ctx, tx, w, slug)
			if err != nil {
				return err
			}
			sel.IDs = append(sel.IDs, env.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	results, err := a.Reviews.ComposeMany(ctx, sel, 0)
	if err != nil {
		return err
	}
	out := make([]composedJSON, len(results))
	for i, r := range results {
		out[i] = composedJSON{EnvironmentID: r.EnvironmentID, Environment: names[r.EnvironmentID], Result: r.Result}
		if r.Run != nil {
			out[i].OperationID = &r.Run.ID
		}
		if r.Review != nil {
			out[i].ReviewID = &r.Review.ID
		}
	}
	if g.json {
		return printJSON(e.stdout, map[string]any{"results": out})
	}
	if len(out) == 0 {
		fmt.Fprintln(e.stdout, "no environment to compose")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	for _, r := range out {
		line := r.Environment + "\t" + string(r.Result)
		switch {
		case r.OperationID != nil:
			line += fmt.Sprintf("\trun %d", *r.OperationID)
		case r.ReviewID != nil:
			line += fmt.Sprintf("\treview %d", *r.ReviewID)
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
