package main

import (
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	s := time.Second
	ds := []time.Duration{5 * s, 1 * s, 4 * s, 2 * s, 3 * s}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 3 * s}, {100, 5 * s}, {1, 1 * s}, {90, 5 * s}, {40, 2 * s}} {
		if got := percentile(ds, c.p); got != c.want {
			t.Errorf("p%v = %s, want %s", c.p, got, c.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("p50 of nothing = %s", got)
	}
	if ds[0] != 5*s {
		t.Error("percentile sorted its input")
	}
}

func TestClientIDTime(t *testing.T) {
	t.Parallel()
	got, ok := clientIDTime("ci_host_name_2026_12_01T20_14_03_123456")
	want := time.Date(2026, 12, 1, 20, 14, 3, 123456000, time.UTC)
	if !ok || !got.Equal(want) {
		t.Errorf("clientIDTime = %s, %v; want %s", got, ok, want)
	}
	if _, ok := clientIDTime("short"); ok {
		t.Error("a short id parsed")
	}
}

func TestIncarnationOwnsItsClient(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 20, 0, 10, 0, time.UTC)
	l := incarnation{started: at, ready: at.Add(400 * time.Millisecond)}
	if !l.owns("h_2026_12_01T20_00_10_200000") {
		t.Error("the incarnation's client is not owned")
	}
	if l.owns("h_2026_12_01T20_00_09_900000") {
		t.Error("a client made before the start is owned")
	}
	if l.owns("h_2026_12_01T20_00_11_000000") {
		t.Error("a client made after the node was ready is owned")
	}
	if (incarnation{started: at}).owns("h_2026_12_01T20_00_10_200000") {
		t.Error("an incarnation that never got ready owns a client")
	}
}

func TestCountCallsAndGoals(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	s := &summary{Restart: window{from: at.Add(10 * time.Second), to: at.Add(15 * time.Second)}}
	countCalls(s, []call{
		{at: at, status: 200}, {at: at, status: 0},
		{at: at, status: 500, what: "POST reviews 500 internal_error"}, {at: at, status: 503, what: "POST reviews 503 unavailable"},
		{at: at.Add(12 * time.Second), status: 503, what: "POST reviews 503 unavailable"},
		{at: at.Add(12 * time.Second), status: 500, what: "POST reviews 500 internal_error"},
		{at: at.Add(20 * time.Second), status: 201},
	})
	if s.Calls != 7 || s.Unreachable != 1 || s.Status5xx != 4 || s.Status503 != 2 || s.Status500 != 2 ||
		s.In503Restart != 1 || s.InOther5xxRestart != 1 {
		t.Fatalf("counts %+v", s)
	}
	if s.FiveXXBy["POST reviews 500 internal_error"] != 2 || s.FiveXXBy["POST reviews 503 unavailable"] != 2 {
		t.Errorf("5xx by answer %v", s.FiveXXBy)
	}
	g := s.goals()
	if g[0].Pass {
		t.Error("5xx goal passed with a 500 and a 503 outside the restart")
	}
	if g[2].Pass {
		t.Error("resume goal passed with nothing measured")
	}

	ok := &summary{Status5xx: 3, Status503: 3, In503Restart: 3, InFlight: 2,
		Resumed: []time.Duration{4 * time.Second, 20 * time.Second}}
	for _, g := range ok.goals() {
		if !g.Pass {
			t.Errorf("goal %q failed: %s", g.Name, g.Detail)
		}
	}
	ok.Resumed = ok.Resumed[:1]
	if ok.goals()[2].Pass {
		t.Error("resume goal passed with a run that never resumed")
	}
	ok.Resumed = []time.Duration{4 * time.Second, 61 * time.Second}
	if ok.goals()[2].Pass {
		t.Error("resume goal passed past 60 s")
	}
}

func TestPrint(t *testing.T) {
	t.Parallel()
	s := &summary{Duration: time.Minute, Nodes: 3, Calls: 10, Kills: 2, Cuts: 1, Runs: 4,
		RunsByState: map[string]int{"completed/succeeded": 3, "completed/failed": 1},
		FailedBy:    map[string]int{"review.compose_stalled": 1}, NodeDied: 1, NodeDiedInFlight: 1,
		InFlight: 1, Violations: []violation{{"nothing active past its deadline", "run 7"}}}
	var b strings.Builder
	s.print(&b)
	out := b.String()
	for _, want := range []string{
		"calls              10",
		"runs               4: completed/succeeded 3, completed/failed 1",
		"INVARIANT FAILED   nothing active past its deadline: run 7",
		"PASS goal: no 5xx",
		"FAIL goal: no run failed because a node died — 1 failed (1 of them in flight on a killed node)",
		"FAIL goal: every in-flight run of a killed node resumed within 1m0s — none of 1 resumed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestRoute(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]string{
		"/environments/3/reviews":            "reviews",
		"/environments/3/evidence-snapshots": "evidence-snapshots",
		"/operations/42":                     "operations",
	} {
		if got := route(path); got != want {
			t.Errorf("route(%q) = %q, want %q", path, got, want)
		}
	}
}
