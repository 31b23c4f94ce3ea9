package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/internal/seed"
)

var serveCommands = []command{
	{name: "serve", summary: "console + API + job workers + periodic reconciler in one process", run: runServe},
	{name: "worker", summary: "job workers + periodic reconciler only", run: runWorker},
}

type serveFlags struct {
	addr            string
	worker          bool
	demo            bool
	secureCookies   bool
	trustedProxies  string
	maxWorkers      int
	shutdownTimeout time.Duration
}

func runServe(ctx context.Context, e *env, args []string) error {
	var g globals
	var f serveFlags
	fs := newFlagSet(e, "serve", &g)
	fs.StringVar(&f.addr, "addr", envOr(e, "RECKON_ADDR", "127.0.0.1:8080"), "listen address (env RECKON_ADDR)")
	fs.BoolVar(&f.worker, "worker", envBool(e, "RECKON_WORKER", true), "also work jobs and run the periodic reconciler (env RECKON_WORKER)")
	fs.BoolVar(&f.demo, "demo", false, "seed a demo workspace and print a login")
	fs.BoolVar(&f.secureCookies, "secure-cookies", envBool(e, "RECKON_SECURE_COOKIES", false),
		"mark console cookies Secure: set it behind a TLS-terminating proxy (env RECKON_SECURE_COOKIES)")
	fs.StringVar(&f.trustedProxies, "trusted-proxies", envOr(e, "RECKON_TRUSTED_PROXIES", ""),
		"comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client address for sign-in throttling; none by default (env RECKON_TRUSTED_PROXIES)")
	fs.IntVar(&f.maxWorkers, "max-workers", 10, "jobs worked at once")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long jobs in flight may take to finish on SIGINT/SIGTERM")
	if err := parse(fs, args); err != nil {
		return err
	}
	proxies, err := parsePrefixes(f.trustedProxies)
	if err != nil {
		return usagef("--trusted-proxies: %v", err)
	}
	opts := appOptions{work: f.worker, maxWorkers: f.maxWorkers}
	// The demo is seeded through this process's own wiring, on a clock that
	// walks through its history and then follows the wall clock.
	var demoClock *reckon.ManualClock
	if f.demo {
		demoClock = reckon.NewManualClock(reckon.SystemClock())
		opts.clock = demoClock.Now
	}
	a, err := openApp(ctx, e, &g, opts)
	if err != nil {
		return err
	}
	defer a.Close()

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	if f.demo {
		_, err := seed.Demo(ctx, a, demoClock, &seed.Options{BaseURL: "http://" + ln.Addr().String(), Out: e.stdout})
		demoClock.Follow()
		if err != nil {
			ln.Close()
			return err
		}
	}
	handler, err := a.Handler(f.secureCookies, proxies...)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          nil,
	}
	if f.worker {
		if err := a.StartWorking(ctx); err != nil {
			ln.Close()
			return err
		}
	}
	a.Log.Info("reckon serving", "addr", "http://"+ln.Addr().String(), "database", a.DB.Source(), "engine", a.DB.Engine(), "worker", f.worker)
	fmt.Fprintf(e.stdout, "reckon is listening on http://%s\n", ln.Addr())

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case <-ctx.Done():
	}
	a.Log.Info("shutting down", "timeout", f.shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	httpErr := srv.Shutdown(shutdownCtx)
	var queueErr error
	if f.worker {
		queueErr = a.StopWorking(shutdownCtx)
	}
	return errors.Join(httpErr, queueErr)
}

func runWorker(ctx context.Context, e *env, args []string) error {
	var g globals
	var f serveFlags
	fs := newFlagSet(e, "worker", &g)
	fs.IntVar(&f.maxWorkers, "max-workers", 10, "jobs worked at once")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long jobs in flight may take to finish on SIGINT/SIGTERM")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, e, &g, appOptions{work: true, maxWorkers: f.maxWorkers})
	if err != nil {
		return err
	}
	defer a.Close()
	return a.Work(ctx, f.shutdownTimeout)
}
