package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// node is one reckon process (serve or worker) that the test kills and
// restarts. Each start is an incarnation with a River client of its own.
type node struct {
	name string
	bin  string
	args []string
	env  []string
	log  string // file the process's stdout and stderr go to

	// onExit is called when a ready incarnation ends without the test
	// killing or stopping it.
	onExit func(*node)

	mu    sync.Mutex
	cmd   *exec.Cmd
	done  chan struct{}
	lives []incarnation
}

// incarnation is one start of a node. River names its client after the
// host and the moment the client was made, which lies between the start
// and the log line that says the node works jobs: that window tells which
// incarnation a job's attempted_by names.
type incarnation struct {
	started, ready time.Time
	killed         time.Time
}

// readyMarkers are the log lines serve and worker write once their queue
// client has started.
var readyMarkers = []string{"reckon serving", "reckon worker started"}

// start starts a new incarnation and waits up to timeout until it works jobs.
func (n *node) start(timeout time.Duration) error {
	f, err := os.OpenFile(n.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	ready := make(chan struct{})
	cmd := exec.Command(n.bin, n.args...)
	cmd.Env = n.env
	cmd.Stdout = f
	cmd.Stderr = &readyWriter{w: f, ready: ready}
	cmd.SysProcAttr = childAttr()
	started := time.Now()
	fmt.Fprintf(f, "---- faultcheck: start %s at %s\n", n.name, started.Format(time.RFC3339Nano))
	if err := cmd.Start(); err != nil {
		f.Close()
		return err
	}
	done := make(chan struct{})
	n.mu.Lock()
	n.cmd, n.done = cmd, done
	n.lives = append(n.lives, incarnation{started: started})
	i := len(n.lives) - 1
	n.mu.Unlock()
	go func() {
		cmd.Wait()
		f.Close()
		n.mu.Lock()
		// kill and stop clear cmd first; a start that fails is the caller's.
		byItself := n.cmd == cmd && !n.lives[i].ready.IsZero()
		if byItself {
			n.cmd = nil
		}
		n.mu.Unlock()
		close(done)
		if byItself && n.onExit != nil {
			n.onExit(n)
		}
	}()
	select {
	case <-ready:
		n.mu.Lock()
		n.lives[i].ready = time.Now()
		n.mu.Unlock()
		return nil
	case <-done:
		return fmt.Errorf("%s exited during start-up", n.name)
	case <-time.After(timeout):
		return fmt.Errorf("%s not ready after %s", n.name, timeout)
	}
}

// kill sends SIGKILL, waits for the process to be gone and returns the
// incarnation it ended (zero when none ran).
func (n *node) kill() incarnation {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.cmd = nil
	n.mu.Unlock()
	if cmd == nil {
		return incarnation{}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
	n.mu.Lock()
	defer n.mu.Unlock()
	l := &n.lives[len(n.lives)-1]
	l.killed = time.Now()
	return *l
}

// stop asks the process to shut down and kills it when it does not within wait.
func (n *node) stop(wait time.Duration) {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.cmd = nil
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(wait):
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

// current is the incarnation that runs now; false when none does.
func (n *node) current() (incarnation, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || len(n.lives) == 0 {
		return incarnation{}, false
	}
	return n.lives[len(n.lives)-1], true
}

// owns says whether River client id was made by this incarnation.
func (l incarnation) owns(clientID string) bool {
	made, ok := clientIDTime(clientID)
	return ok && !l.ready.IsZero() && !made.Before(l.started) && !made.After(l.ready)
}

// clientIDTime reads the time out of River's default client id,
// host_2006_01_02T15_04_05_000000 in UTC.
func clientIDTime(id string) (time.Time, bool) {
	const layout = "2006_01_02T15_04_05_000000"
	if len(id) < len(layout) {
		return time.Time{}, false
	}
	s := id[len(id)-len(layout):]
	// The fraction is written with an underscore; Go parses it only after a dot.
	t, err := time.Parse("2006_01_02T15_04_05.000000", s[:19]+"."+s[20:])
	return t, err == nil
}

// tail returns the last n lines of the node's log.
func (n *node) tail(lines int) string {
	b, err := os.ReadFile(n.log)
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// readyWriter passes output on and closes ready at the first ready marker.
type readyWriter struct {
	w     *os.File
	ready chan struct{}
	buf   []byte
	seen  bool
}

func (r *readyWriter) Write(p []byte) (int, error) {
	if !r.seen {
		r.buf = append(r.buf, p...)
		sc := bufio.NewScanner(bytes.NewReader(r.buf))
		for sc.Scan() {
			for _, m := range readyMarkers {
				if strings.Contains(sc.Text(), m) {
					r.seen = true
				}
			}
		}
		if r.seen {
			close(r.ready)
			r.buf = nil
		}
	}
	return r.w.Write(p)
}

func logPath(dir, name string) string { return filepath.Join(dir, name+".log") }
