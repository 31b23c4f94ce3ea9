package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// api is a caller of reckon's JSON API with one token.
type api struct {
	base      string // http://127.0.0.1:port/api/v1/workspaces/slug
	token     string
	client    *http.Client
	mu        sync.Mutex
	calls     []call
	imported  map[int64]int64 // snapshot id → environment id, for every 201
	composes  int
	snapshots int
}

// call is one API answer: its status (0 when the serve node could not be
// reached or the answer was cut off) and when it came.
type call struct {
	at     time.Time
	status int
	what   string // for a 5xx: the route and the error code, "POST reviews 500 internal_error"
}

func newAPI(base, token string) *api {
	return &api{base: base, token: token, imported: map[int64]int64{},
		client: &http.Client{Timeout: 15 * time.Second}}
}

// do sends one request and decodes a 2xx answer into out.
func (a *api) do(ctx context.Context, method, path string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	status := 0
	var b []byte
	if err == nil {
		b, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			status = resp.StatusCode
		}
	}
	if ctx.Err() != nil {
		return 0, ctx.Err() // the test stopped the call: not an answer
	}
	c := call{at: time.Now(), status: status}
	if status >= 500 {
		c.what = fmt.Sprintf("%s %s %d %s", method, route(path), status, errorCode(b))
	}
	a.mu.Lock()
	a.calls = append(a.calls, c)
	a.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if status/100 == 2 && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return status, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return status, nil
}

// route is the last word of a path that is not a number: what was called.
func route(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if _, err := strconv.ParseInt(parts[i], 10, 64); err != nil {
			return parts[i]
		}
	}
	return path
}

// errorCode is the code of an error answer, or "-" when it has none.
func errorCode(body []byte) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Code == "" {
		return "-"
	}
	return e.Error.Code
}

type snapshotAnswer struct {
	ID            int64 `json:"id"`
	EnvironmentID int64 `json:"environment_id"`
}

type composeAnswer struct {
	Result    string `json:"result"`
	Operation *struct {
		ID      int64  `json:"id"`
		Status  string `json:"status"`
		Outcome string `json:"outcome"`
	} `json:"operation"`
}

var severities = []string{"critical", "high", "medium", "low", "info"}
var findingStates = []string{"pass", "fail", "not_applicable", "error"}

// importSnapshot posts a fresh snapshot of an environment and records it when
// the answer is 201.
func (a *api) importSnapshot(ctx context.Context, rng *rand.Rand, env int64) error {
	type finding struct {
		ControlID string `json:"control_id"`
		Title     string `json:"title"`
		Severity  string `json:"severity"`
		Status    string `json:"status"`
		Detail    string `json:"detail"`
	}
	fs := make([]finding, 3+rng.IntN(8))
	for i := range fs {
		fs[i] = finding{ControlID: fmt.Sprintf("FT.%d", i+1), Title: fmt.Sprintf("Control %d", i+1),
			Severity: severities[rng.IntN(len(severities))], Status: findingStates[rng.IntN(len(findingStates))],
			Detail: fmt.Sprintf("sample %d", rng.Uint64())}
	}
	body := map[string]any{"captured_at": time.Now().UTC().Format(time.RFC3339Nano), "findings": fs}
	var s snapshotAnswer
	status, err := a.do(ctx, http.MethodPost, fmt.Sprintf("/environments/%d/evidence-snapshots", env), body, &s)
	if err != nil || status != http.StatusCreated {
		return err
	}
	a.mu.Lock()
	a.imported[s.ID] = env
	a.snapshots++
	a.mu.Unlock()
	return nil
}

// compose asks for a review of an environment.
func (a *api) compose(ctx context.Context, env int64) (int, composeAnswer, error) {
	var c composeAnswer
	status, err := a.do(ctx, http.MethodPost, fmt.Sprintf("/environments/%d/reviews", env), nil, &c)
	a.mu.Lock()
	a.composes++
	a.mu.Unlock()
	return status, c, err
}

// caller composes reviews and imports evidence until ctx ends: mostly a new
// snapshot then a compose (a new run), sometimes a compose alone (which
// meets a running or finished run of the same inputs), then it follows the
// operation it got until it ends. Waiting for its run keeps the load within
// what the machine can work: callers that only add runs outrun the workers
// on a small machine, and runs then fail by their queued deadline because
// of the backlog, whatever the faults do — the goals are about the faults.
func (a *api) caller(ctx context.Context, seed uint64, envs []int64) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for ctx.Err() == nil {
		env := envs[rng.IntN(len(envs))]
		if rng.IntN(4) > 0 {
			a.importSnapshot(ctx, rng, env)
		}
		_, c, err := a.compose(ctx, env)
		if err == nil && c.Operation != nil {
			a.follow(ctx, c.Operation.ID, c.Operation.Status)
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			// The serve node is down: do not spin while it restarts.
			sleep(ctx, 50*time.Millisecond)
		}
		sleep(ctx, time.Duration(20+rng.IntN(60))*time.Millisecond)
	}
}

// follow reads an operation until it has completed or ctx ends, through
// kills of the serve node.
func (a *api) follow(ctx context.Context, id int64, status string) {
	for status != "completed" && ctx.Err() == nil {
		sleep(ctx, 100*time.Millisecond)
		var op struct {
			Status string `json:"status"`
		}
		if code, err := a.do(ctx, http.MethodGet, fmt.Sprintf("/operations/%d", id), nil, &op); err == nil && code == http.StatusOK {
			status = op.Status
		}
	}
}

// settleCompose composes env once more and waits, until ctx ends, until the
// answer is up_to_date or the run it names has succeeded. Only the call is
// repeated when it gets no answer; a run that fails is an error.
func (a *api) settleCompose(ctx context.Context, env int64) error {
	var c composeAnswer
	last := "no answer"
	for {
		status, ans, err := a.compose(ctx, env)
		if err == nil && status/100 == 2 {
			c = ans
			break
		}
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("compose answered %d", status)
		}
		if sleep(ctx, 250*time.Millisecond); ctx.Err() != nil {
			return fmt.Errorf("environment %d: %s", env, last)
		}
	}
	if c.Result == "up_to_date" {
		return nil
	}
	if c.Operation == nil {
		return fmt.Errorf("environment %d: compose answered %s without a run", env, c.Result)
	}
	for {
		op := c.Operation
		if op.Status == "completed" {
			if op.Outcome != "succeeded" {
				return fmt.Errorf("environment %d: run %d ended %s", env, op.ID, op.Outcome)
			}
			return nil
		}
		if sleep(ctx, 250*time.Millisecond); ctx.Err() != nil {
			return fmt.Errorf("environment %d: run %d still %s", env, op.ID, op.Status)
		}
		a.do(ctx, http.MethodGet, fmt.Sprintf("/operations/%d", op.ID), nil, op)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
