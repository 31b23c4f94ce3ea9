package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/evidence"
	"github.com/reckonhq/reckon/store"
)

var snapshotCommands = []command{
	{name: "snapshots import", summary: "import an evidence snapshot (native JSON or a ScubaGear report) into an environment, or with --dir every ScubaGear report of a folder by tenant", run: runSnapshotsImport},
}

func runSnapshotsImport(ctx context.Context, e *env, args []string) error {
	var g globals
	var ws, envSlug, file, format, dir string
	fs := newFlagSet(e, "snapshots import", &g)
	fs.StringVar(&ws, "workspace", "", "workspace slug")
	fs.StringVar(&envSlug, "environment", "", "environment slug")
	fs.StringVar(&file, "file", "", "the snapshot file; - reads standard input")
	fs.StringVar(&format, "format", reckon.SnapshotFormatNative, "native (the API's snapshot body) or scubagear (ScubaResults_*.json)")
	fs.StringVar(&dir, "dir", "", "a folder: import every ScubaResults_*.json in it into the environment that recorded its tenant id (with --format scubagear, without --environment and --file)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if dir != "" {
		return importDir(ctx, e, &g, ws, dir, format, envSlug, file)
	}
	if err := require(map[string]string{"workspace": ws, "environment": envSlug, "file": file}); err != nil {
		return err
	}
	decode, ok := evidence.Decoder(format)
	if !ok {
		return usagef("--format %q: use native or scubagear", format)
	}
	in, err := readSnapshot(e, file, decode)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, e, &g, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	var scope reckon.Scope
	if err := a.DB.InTx(ctx, func(tx *store.Tx) error {
		w, err := lookupWorkspace(ctx, tx, ws)
		if err != nil {
			return err
		}
		env, err := lookupEnvironment(ctx, tx, w, envSlug)
		if err != nil {
			return err
		}
		scope = reckon.Scope{WorkspaceID: w.ID, EnvironmentID: env.ID}
		return nil
	}); err != nil {
		return err
	}
	snap, existed, err := evidence.NewService(a.DB).Import(ctx, scope, in)
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(e.stdout, map[string]any{"id": snap.ID, "environment_id": snap.EnvironmentID,
			"captured_at": snap.CapturedAt.Format(time.RFC3339Nano), "content_hash": snap.ContentHash,
			"finding_count": snap.FindingCount, "existed": existed})
	}
	if existed {
		fmt.Fprintf(e.stdout, "snapshot %d already holds this report (%d findings, %s); nothing imported\n",
			snap.ID, snap.FindingCount, snap.ContentHash)
		return nil
	}
	fmt.Fprintf(e.stdout, "snapshot %d imported into %s/%s: %d findings captured %s, %s\n",
		snap.ID, ws, envSlug, snap.FindingCount, snap.CapturedAt.Format(time.RFC3339), snap.ContentHash)
	return nil
}

// readSnapshot decodes the snapshot file (or standard input for "-").
func readSnapshot(e *env, file string, decode evidence.DecodeFunc) (reckon.SnapshotInput, error) {
	if file == "-" {
		return decode(e.stdin)
	}
	f, err := os.Open(file)
	if err != nil {
		return reckon.SnapshotInput{}, fmt.Errorf("snapshot file: %w", err)
	}
	defer f.Close()
	in, err := decode(f)
	if err != nil {
		return reckon.SnapshotInput{}, fmt.Errorf("%s: %w", file, err)
	}
	return in, nil
}
