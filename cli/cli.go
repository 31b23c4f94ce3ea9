// Package cli is the reckon command: it parses flags and environment
// variables, opens the process through internal/app (app.go) and runs one command.
// Commands print data as text, or as JSON with --json.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/locale"
)

// env holds the process's streams and environment, so that commands can be
// run in tests without touching the real ones.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	seams          Seams
}

// Seams are what a test that drives whole reckon processes may change in
// them (MainWith); production runs Main, with none.
type Seams struct {
	// ComposeDelay slows the compose job down while its review is a draft,
	// so that a crash test finds runs in flight when it kills a node.
	ComposeDelay time.Duration
}

// command is one CLI command.
type command struct {
	name    string // e.g. "workspaces create"
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands lists every command. Each command file declares its own table;
// they are merged here so that help and lookup see them all.
func commands() []command {
	var all []command
	for _, group := range [][]command{serveCommands, migrateCommands, adminCommands,
		snapshotCommands, reconcileCommands, demoCommands, benchCommands, operationCommands, reviewCommands} {
		all = append(all, group...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
	return all
}

// Main runs the command named by args and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return MainWith(args, stdin, stdout, stderr, Seams{})
}

// MainWith is Main for a process that a test drives, with its seams.
func MainWith(args []string, stdin io.Reader, stdout, stderr io.Writer, seams Seams) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, seams: seams}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return run(ctx, e, args)
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		return 0
	}
	leading, args, err := splitGlobalFlags(e, args)
	if err != nil {
		fmt.Fprintln(e.stderr, "reckon: "+err.Error())
		return 2
	}
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "reckon: no command after the flags (run reckon help)")
		return 2
	}
	cmd, rest, ok := lookup(args)
	if !ok {
		fmt.Fprintf(e.stderr, "reckon: unknown command %q (run reckon help)\n", strings.Join(args, " "))
		return 2
	}
	// Global flags given before the command are parsed by the command's own
	// flag set, as if they came after it; later ones win, as usual.
	if err := cmd.run(ctx, e, append(leading, rest...)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(e.stderr, "reckon: "+describe(err))
		var usageErr usageError
		if errors.As(err, &usageErr) {
			return 2
		}
		return 1
	}
	return 0
}

// splitGlobalFlags takes the global flags that stand before the command
// (reckon --database URL migrate, as git and kubectl users write it) off the
// front of args. It refuses a flag before the command that is not global,
// naming it, since only the command knows its own flags.
func splitGlobalFlags(e *env, args []string) (leading, rest []string, err error) {
	global := newFlagSet(e, "", &globals{})
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" {
		arg := args[0]
		if arg == "--" {
			return leading, args[1:], nil
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		f := global.Lookup(name)
		if f == nil {
			return nil, nil, fmt.Errorf("flag %s is not a global flag: give a command's own flags after the command (run reckon help)", arg)
		}
		leading, args = append(leading, arg), args[1:]
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); hasValue || (ok && b.IsBoolFlag()) {
			continue
		}
		if len(args) == 0 {
			return nil, nil, fmt.Errorf("flag %s needs a value", arg)
		}
		leading, args = append(leading, args[0]), args[1:]
	}
	return leading, args, nil
}

// lookup finds the longest command name that prefixes args.
func lookup(args []string) (command, []string, bool) {
	var best command
	bestLen := 0
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(words) <= len(args) && len(words) > bestLen && strings.Join(args[:len(words)], " ") == c.name {
			best, bestLen = c, len(words)
		}
	}
	return best, args[min(bestLen, len(args)):], bestLen > 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "reckon keeps the books on long-running operations.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: reckon [global flags] <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-24s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Global flags, before or after the command: --database URL (env RECKON_DATABASE_URL;")
	fmt.Fprintln(w, "default sqlite:reckon.db), --json, --auto-migrate, --queued-deadline D,")
	fmt.Fprintln(w, "--running-deadline D, --reconcile-interval D.")
	fmt.Fprintln(w, "Run reckon <command> -h for its flags.")
}

// usageError marks a mistake in the command line (exit code 2).
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// describe turns an error into one line for the terminal: coded errors in
// English from the catalog, with field errors spelled out.
func describe(err error) string {
	var re *reckon.Error
	if !errors.As(err, &re) {
		return err.Error()
	}
	cat := locale.Default()
	msg := cat.Message("en", re.Message)
	if re.Code == reckon.CodeSchemaBehind && re.Err != nil {
		msg = re.Err.Error()
	}
	if len(re.Fields) > 0 {
		keys := make([]string, 0, len(re.Fields))
		for k := range re.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+": "+cat.Message("en", re.Fields[k]))
		}
		msg += " " + strings.Join(parts, "; ")
	}
	return msg
}

// globals are the flags every command takes.
type globals struct {
	database          string
	json              bool
	autoMigrate       bool
	queuedDeadline    time.Duration
	runningDeadline   time.Duration
	reconcileInterval time.Duration
}

// newFlagSet returns a flag set for a command with the global flags bound to
// g, their defaults taken from RECKON_* environment variables.
func newFlagSet(e *env, name string, g *globals) *flag.FlagSet {
	fs := flag.NewFlagSet("reckon "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&g.database, "database", envOr(e, "RECKON_DATABASE_URL", "sqlite:reckon.db"),
		"database URL: postgres://… or sqlite:PATH (env RECKON_DATABASE_URL)")
	fs.BoolVar(&g.json, "json", false, "print machine-readable JSON")
	fs.BoolVar(&g.autoMigrate, "auto-migrate", envBool(e, "RECKON_AUTO_MIGRATE", true),
		"bring the schema up to date before running; when false, refuse a schema that is behind (env RECKON_AUTO_MIGRATE)")
	fs.DurationVar(&g.queuedDeadline, "queued-deadline", envDuration(e, "RECKON_QUEUED_DEADLINE"),
		"override every run type's queued deadline (env RECKON_QUEUED_DEADLINE)")
	fs.DurationVar(&g.runningDeadline, "running-deadline", envDuration(e, "RECKON_RUNNING_DEADLINE"),
		"override every run type's running deadline (env RECKON_RUNNING_DEADLINE)")
	fs.DurationVar(&g.reconcileInterval, "reconcile-interval", envDurationOr(e, "RECKON_RECONCILE_INTERVAL", time.Minute),
		"how often the stale-run reconciler sweeps (env RECKON_RECONCILE_INTERVAL)")
	return fs
}

// parse parses args and rejects stray positional arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func envOr(e *env, key, def string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return def
}

func envBool(e *env, key string, def bool) bool {
	switch strings.ToLower(e.getenv(key)) {
	case "1", "true", "yes":
		return true
	case "0", "false", "no":
		return false
	}
	return def
}

func envDuration(e *env, key string) time.Duration { return envDurationOr(e, key, 0) }

func envDurationOr(e *env, key string, def time.Duration) time.Duration {
	if v := e.getenv(key); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// require checks that required string flags are set.
func require(flags map[string]string) error {
	names := make([]string, 0, len(flags))
	for name, v := range flags {
		if strings.TrimSpace(v) == "" {
			names = append(names, "--"+name)
		}
	}
	if len(names) > 0 {
		sort.Strings(names)
		return usagef("missing %s", strings.Join(names, ", "))
	}
	return nil
}
