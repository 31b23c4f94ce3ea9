package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// nodeDiedReasons are the failure reasons of a run the reconciler settled
// because its deadline passed with no attempt finishing. In the fault test
// every attempt takes well under a second against a deadline of tens of
// seconds, so such a run failed because the node working it died and
// nobody took the work over.
var nodeDiedReasons = []string{
	"review.compose_stalled",
	"review.not_produced",
	"review.superseded_without_current",
	"run.stale_running",
	"run.stale_queued",
}

// window is a span of wall time, such as the PostgreSQL restart.
type window struct{ from, to time.Time }

func (w window) contains(t time.Time) bool {
	return !w.from.IsZero() && !t.Before(w.from) && !t.After(w.to)
}

// summary is everything the test prints at the end.
type summary struct {
	Duration time.Duration
	Nodes    int

	Calls       int
	Unreachable int // transport errors: the serve node was down or the answer was cut off
	Status5xx   int // every 5xx, 503s included
	Status500   int // 5xx other than 503
	Status503   int
	// 503s and other 5xx that came while PostgreSQL restarted.
	In503Restart, InOther5xxRestart int
	Restart                         window         // zero when the server was not restarted
	FiveXXBy                        map[string]int // route, status and error code of each 5xx
	SnapshotsImported               int
	ComposeCalls                    int

	Kills, Restarts, Cuts int
	Exits                 int // nodes that ended by themselves

	Runs        int
	RunsByState map[string]int // "completed/succeeded", "running/pending", …
	FailedBy    map[string]int // failure reason of failed runs
	// NodeDied is the number of failed runs with a reason in nodeDiedReasons;
	// NodeDiedInFlight those of them that were in flight on a killed node.
	NodeDied, NodeDiedInFlight int

	// InFlight runs were running on a node when it was killed. Resumed
	// holds, for each one that got a fresh attempt, the time from the kill
	// to that attempt; the others never resumed.
	InFlight int
	Resumed  []time.Duration
	// PollEvery is the granularity of Resumed.
	PollEvery time.Duration

	Violations []violation
}

// violation is one failed invariant, with the offending rows.
type violation struct {
	Invariant string
	Detail    string
}

// goal is one of the fault test's targets for a healing system, judged from
// the summary.
type goal struct {
	Name   string
	Pass   bool
	Detail string
}

// percentile is the nearest-rank percentile p (0 < p ≤ 100) of ds; zero for none.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(float64(len(s))*p/100 + 0.999999)
	rank = max(1, min(rank, len(s)))
	return s[rank-1]
}

// maxResume is the target of goal 3.
const maxResume = 60 * time.Second

func (s *summary) goals() []goal {
	outside503 := s.Status503 - s.In503Restart
	g1 := goal{Name: "no 5xx outside the PostgreSQL restart (503 allowed only inside it)",
		Pass:   s.Status500 == 0 && outside503 == 0,
		Detail: fmt.Sprintf("%d non-503 5xx, %d 503 outside the restart", s.Status500, outside503)}
	g2 := goal{Name: "no run failed because a node died",
		Pass:   s.NodeDied == 0,
		Detail: fmt.Sprintf("%d failed (%d of them in flight on a killed node)", s.NodeDied, s.NodeDiedInFlight)}
	g3 := goal{Name: fmt.Sprintf("every in-flight run of a killed node resumed within %s", maxResume)}
	switch {
	case s.InFlight == 0:
		g3.Detail = "no run was in flight at a kill: nothing measured"
	case len(s.Resumed) == 0:
		g3.Detail = fmt.Sprintf("none of %d resumed", s.InFlight)
	default:
		mx := percentile(s.Resumed, 100)
		g3.Pass = len(s.Resumed) == s.InFlight && mx <= maxResume
		g3.Detail = fmt.Sprintf("%d of %d resumed, max %s", len(s.Resumed), s.InFlight, mx)
	}
	return []goal{g1, g2, g3}
}

// print writes the summary, the invariants and the goals.
func (s *summary) print(w io.Writer) {
	fmt.Fprintf(w, "== fault test summary (%s of load, %d nodes)\n", s.Duration.Round(time.Second), s.Nodes)
	fmt.Fprintf(w, "calls              %d (%d compose, %d snapshot imports answered 201, %d unreachable)\n",
		s.Calls, s.ComposeCalls, s.SnapshotsImported, s.Unreachable)
	restart := "no PostgreSQL restart"
	if !s.Restart.from.IsZero() {
		restart = fmt.Sprintf("restart window %s (%s)", s.Restart.to.Sub(s.Restart.from).Round(10*time.Millisecond),
			s.Restart.from.Format("15:04:05.000"))
	}
	fmt.Fprintf(w, "5xx                %d: %d are 503 (%d inside the restart), %d other 5xx (%d inside the restart); %s\n",
		s.Status5xx, s.Status503, s.In503Restart, s.Status500, s.InOther5xxRestart, restart)
	if len(s.FiveXXBy) > 0 {
		fmt.Fprintf(w, "5xx by answer      %s\n", countList(s.FiveXXBy))
	}
	fmt.Fprintf(w, "faults             %d kills, %d connection cuts; %d nodes exited by themselves; %d restarts\n",
		s.Kills, s.Cuts, s.Exits, s.Restarts)
	fmt.Fprintf(w, "runs               %d: %s\n", s.Runs, countList(s.RunsByState))
	fmt.Fprintf(w, "failed by reason   %s\n", countList(s.FailedBy))
	fmt.Fprintf(w, "node died          %d runs failed with %s; %d of them in flight on a killed node\n",
		s.NodeDied, strings.Join(nodeDiedReasons, "/"), s.NodeDiedInFlight)
	if len(s.Resumed) > 0 {
		fmt.Fprintf(w, "resume after kill  %d in flight, %d resumed: p50 %s, max %s (polled every %s)\n", s.InFlight, len(s.Resumed),
			percentile(s.Resumed, 50).Round(10*time.Millisecond), percentile(s.Resumed, 100).Round(10*time.Millisecond), s.PollEvery)
	} else {
		fmt.Fprintf(w, "resume after kill  %d in flight, none resumed\n", s.InFlight)
	}
	if len(s.Violations) == 0 {
		fmt.Fprintln(w, "invariants         all hold")
	}
	for _, v := range s.Violations {
		fmt.Fprintf(w, "INVARIANT FAILED   %s: %s\n", v.Invariant, v.Detail)
	}
	for _, g := range s.goals() {
		verdict := "FAIL"
		if g.Pass {
			verdict = "PASS"
		}
		fmt.Fprintf(w, "%s goal: %s — %s\n", verdict, g.Name, g.Detail)
	}
}

// countList renders a count map as "a 3, b 1", largest first, then by name.
func countList(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
