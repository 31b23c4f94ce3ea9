package deploy_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v4"

	"github.com/reckonhq/reckon/internal/app"
	"github.com/reckonhq/reckon/reckontest"
	"github.com/reckonhq/reckon/store"
)

var metricName = regexp.MustCompile(`\breckon_[a-z0-9_]+`)

// Every series the alert rules and the dashboard query is one reckon
// registers, so that neither can name a metric that does not exist.
func TestRulesAndDashboardQueryRegisteredMetrics(t *testing.T) {
	t.Parallel()
	exprs := append(ruleExprs(t), dashboardExprs(t)...)
	if len(exprs) < 10 {
		t.Fatalf("only %d queries found in the rules and the dashboard", len(exprs))
	}
	registered := registeredNames(t)
	for _, e := range exprs {
		for _, name := range metricName.FindAllString(e.expr, -1) {
			if known(registered, name) {
				continue
			}
			t.Errorf("%s queries %s, which reckon does not register", e.where, name)
		}
	}
}

type query struct{ where, expr string }

func ruleExprs(t *testing.T) []query {
	t.Helper()
	b, err := os.ReadFile("reckon.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Groups []struct {
			Rules []struct {
				Alert  string `yaml:"alert"`
				Record string `yaml:"record"`
				Expr   string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("reckon.rules.yml: %v", err)
	}
	var out []query
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			out = append(out, query{"rule " + r.Alert + r.Record, r.Expr})
		}
	}
	return out
}

func dashboardExprs(t *testing.T) []query {
	t.Helper()
	b, err := os.ReadFile("reckon.dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Panels []struct {
			ID      int    `json:"id"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("reckon.dashboard.json is not JSON: %v", err)
	}
	var out []query
	ids := map[int]bool{}
	for _, p := range doc.Panels {
		if ids[p.ID] || len(p.Targets) == 0 {
			t.Errorf("panel %d %q: a repeated id or no query", p.ID, p.Title)
		}
		ids[p.ID] = true
		for _, tg := range p.Targets {
			out = append(out, query{"panel " + p.Title, tg.Expr})
		}
	}
	return out
}

// registeredNames are the metric names of a wired process's registry.
func registeredNames(t *testing.T) map[string]bool {
	t.Helper()
	a, err := app.New(reckontest.Open(t, store.SQLite, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	fqName := regexp.MustCompile(`fqName: "([^"]+)"`)
	ch := make(chan *prometheus.Desc)
	go func() {
		a.Registry.Describe(ch)
		close(ch)
	}()
	names := map[string]bool{}
	for d := range ch {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			names[m[1]] = true
		}
	}
	return names
}

// known accepts a histogram's _bucket, _sum and _count series by its name.
func known(registered map[string]bool, name string) bool {
	if registered[name] {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && registered[base] {
			return true
		}
	}
	return false
}
