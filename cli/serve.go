package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/reckonhq/reckon/api"
	"github.com/reckonhq/reckon/console"
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
	fs.IntVar(&f.maxWorkers, "max-workers", 10, "jobs worked at once")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long jobs in flight may take to finish on SIGINT/SIGTERM")
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, e, &g, appOptions{work: f.worker, maxWorkers: f.maxWorkers})
	if err != nil {
		return err
	}
	defer a.close()

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	if f.demo {
		if err := a.seedDemo(ctx, e, "http://"+ln.Addr().String()); err != nil {
			ln.Close()
			return err
		}
	}
	a.secureCookies = f.secureCookies
	handler, err := a.handler()
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
		if err := a.queue.Start(ctx); err != nil {
			ln.Close()
			return err
		}
	}
	a.log.Info("reckon serving", "addr", "http://"+ln.Addr().String(), "database", a.db.Source(), "engine", a.db.Engine(), "worker", f.worker)
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
	a.log.Info("shutting down", "timeout", f.shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	httpErr := srv.Shutdown(shutdownCtx)
	var queueErr error
	if f.worker {
		queueErr = a.queue.Stop(shutdownCtx)
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
	defer a.close()
	if err := a.queue.Start(ctx); err != nil {
		return err
	}
	a.log.Info("reckon worker started", "database", a.db.Source(), "engine", a.db.Engine())
	<-ctx.Done()
	a.log.Info("shutting down", "timeout", f.shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	return a.queue.Stop(shutdownCtx)
}

// handler is the process's HTTP surface: health, readiness and metrics, the
// JSON API under /api/v1/ and the console. It fails when the console's
// templates do not check out.
func (a *app) handler() (http.Handler, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", api.Health())
	mux.Handle("GET /readyz", api.Observe(a.log, api.Ready(a.db, a.log)))
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{}))
	mux.Handle("/api/v1/", api.New(api.Deps{DB: a.db, Catalog: a.catalog, Reviews: a.reviews,
		Restores: a.restores, Reconciler: a.reconciler, Logger: a.log.With("component", "api")}))
	ui, err := console.New(console.Deps{DB: a.db, Catalog: a.catalog, Reviews: a.reviews, Reconciler: a.reconciler,
		Logger: a.log.With("component", "console"), SecureCookies: a.secureCookies})
	if err != nil {
		return nil, err
	}
	mux.Handle("/", ui)
	return mux, nil
}

// seedDemo fills the database with the demo and prints a login.
func (a *app) seedDemo(ctx context.Context, e *env, baseURL string) error {
	_, err := seed.Demo(ctx, &seed.Options{DatabaseURL: a.g.database, BaseURL: baseURL, Out: e.stdout})
	return err
}
