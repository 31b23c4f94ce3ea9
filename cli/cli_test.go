package cli

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

// syncBuffer is a goroutine-safe output buffer.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs one command in-process against dbURL.
func runCLI(t *testing.T, dbURL, stdin string, args ...string) result {
	t.Helper()
	var out, errOut syncBuffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, getenv: func(k string) string {
		if k == "RECKON_DATABASE_URL" {
			return dbURL
		}
		return ""
	}}
	code := run(context.Background(), e, args)
	return result{code, out.String(), errOut.String()}
}

func TestAdminCommands(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			dbURL := reckontest.URL(t, engine)
			ok := func(r result) result {
				t.Helper()
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				return r
			}
			ok(runCLI(t, dbURL, "", "migrate"))
			ok(runCLI(t, dbURL, "", "workspaces", "create", "--slug", "acme", "--name", "Acme"))
			ok(runCLI(t, dbURL, "", "environments", "create", "--workspace", "acme", "--slug", "prod", "--name", "Production"))
			ok(runCLI(t, dbURL, "correct horse battery staple\n", "users", "create", "--email", "Ops@Example.test", "--name", "Ops", "--password-stdin"))
			ok(runCLI(t, dbURL, "", "members", "add", "--workspace", "acme", "--email", "ops@example.test", "--role", "operator", "--environments", "prod"))
			tok := ok(runCLI(t, dbURL, "", "tokens", "create", "--email", "ops@example.test"))
			if !strings.HasPrefix(tok.stdout, "rk_") || len(strings.TrimSpace(tok.stdout)) < 40 {
				t.Fatalf("token output %q", tok.stdout)
			}
			list := ok(runCLI(t, dbURL, "", "workspaces", "list", "--json"))
			if !strings.Contains(list.stdout, `"slug": "acme"`) {
				t.Fatalf("workspaces list: %s", list.stdout)
			}

			dup := runCLI(t, dbURL, "", "workspaces", "create", "--slug", "acme", "--name", "Again")
			if dup.code != 1 || strings.TrimSpace(dup.stderr) != `reckon: workspace "acme" already exists` {
				t.Fatalf("duplicate workspace: exit %d, %q", dup.code, dup.stderr)
			}
			for _, args := range [][]string{
				{"workspaces", "create", "--slug", "acme"},
				{"workspaces", "create", "--slug", "Not A Slug", "--name", "x"},
				{"members", "add", "--workspace", "acme", "--email", "ops@example.test", "--role", "admin"},
				{"users", "create", "--email", "x@example.test", "--name", "X"},
				{"no-such-command"},
			} {
				r := runCLI(t, dbURL, "", args...)
				if r.code != 2 || !strings.HasPrefix(r.stderr, "reckon: ") || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
					t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", args, r.code, r.stderr)
				}
			}
			short := runCLI(t, dbURL, "short\n", "users", "create", "--email", "y@example.test", "--name", "Y", "--password-stdin")
			if short.code != 1 || !strings.Contains(short.stderr, "at least") {
				t.Fatalf("short password: exit %d, %q", short.code, short.stderr)
			}
		})
	}
}

func TestBadDatabaseURLs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ url, want string }{
		{"mysql://x", "is not supported"},
		{"postgres://nobody@127.0.0.1:1/x", "is unreachable"},
		{"sqlite:", "names no file"},
	} {
		r := runCLI(t, tc.url, "", "migrate")
		if r.code != 1 || !strings.Contains(r.stderr, tc.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("%s: exit %d, stderr %q; want one line containing %q", tc.url, r.code, r.stderr, tc.want)
		}
	}
}

func TestSchemaBehindRefused(t *testing.T) {
	t.Parallel()
	dbURL := reckontest.URL(t, store.SQLite)
	r := runCLI(t, dbURL, "", "workspaces", "list", "--auto-migrate=false")
	if r.code != 1 || !strings.Contains(r.stderr, "run reckon migrate") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// serving is a serve command running in this process.
type serving struct {
	base   string
	lines  []string // what serve printed up to its listening line
	errOut *syncBuffer
	cancel context.CancelFunc
	done   chan int
}

// startServe runs serve on dbURL with args and waits for its listening line.
func startServe(t *testing.T, dbURL string, args ...string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pr, pw := io.Pipe()
	s := &serving{errOut: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	e := &env{stdin: strings.NewReader(""), stdout: pw, stderr: s.errOut, getenv: func(k string) string {
		if k == "RECKON_DATABASE_URL" {
			return dbURL
		}
		return ""
	}}
	go func() {
		code := run(ctx, e, append([]string{"serve", "--addr", "127.0.0.1:0", "--shutdown-timeout", "5s"}, args...))
		pw.Close() // unblock the reader if serve failed before it printed
		s.done <- code
	}()
	r := bufio.NewReader(pr)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("no listening line: %v (%s)", err, s.errOut.String())
		}
		s.lines = append(s.lines, line)
		if strings.HasPrefix(line, "reckon is listening on ") {
			s.base = strings.TrimSpace(strings.TrimPrefix(line, "reckon is listening on "))
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, r) }()
	return s
}

// stop cancels serve's context, as SIGTERM does, and wants a clean exit.
func (s *serving) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, s.errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestServeLifecycle starts serve, checks the operations endpoints and stops
// it with a cancelled context, as SIGTERM does.
func TestServeLifecycle(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			s := startServe(t, reckontest.URL(t, engine))
			base := s.base
			for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "go_goroutines"} {
				resp, err := http.Get(base + path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
					t.Errorf("%s: %d %q", path, resp.StatusCode, body)
				}
			}
			s.stop(t)
		})
	}
}

// TestServeDemoSignsIn seeds the demo through serve's own wiring and signs
// in with the printed login.
func TestServeDemoSignsIn(t *testing.T) {
	t.Parallel()
	for _, engine := range reckontest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			s := startServe(t, reckontest.URL(t, engine), "--demo", "--worker=false")
			printed := strings.Join(s.lines, "")
			m := regexp.MustCompile(`sign in as (\S+) with the password (\S+)`).FindStringSubmatch(printed)
			if m == nil || !strings.Contains(printed, "Demo data is ready") {
				t.Fatalf("printed %q", printed)
			}
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			req, _ := http.NewRequest(http.MethodPost, s.base+"/login", strings.NewReader(url.Values{"email": {m[1]}, "password": {m[2]}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", s.base)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
				t.Fatalf("sign-in answered %d, location %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			s.stop(t)
		})
	}
}
