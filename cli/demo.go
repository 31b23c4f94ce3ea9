package cli

import (
	"context"

	"github.com/reckonhq/reckon/internal/demo"
)

var demoCommands = []command{
	{name: "demo", summary: "a scripted tour on a temporary database: deduplication, reconciliation, recovery", run: runDemo},
}

func runDemo(ctx context.Context, e *env, args []string) error {
	var g globals
	var dir string
	fs := newFlagSet(e, "demo", &g)
	fs.StringVar(&dir, "dir", "", "keep the tour's SQLite database in this directory instead of a temporary one")
	if err := parse(fs, args); err != nil {
		return err
	}
	return demo.Run(ctx, e.stdout, &demo.Options{Dir: dir})
}
