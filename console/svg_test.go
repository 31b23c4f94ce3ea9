package console

import (
	"regexp"
	"strings"
	"testing"
)

// A line is drawn inside its box, its last point a dot; its name and its
// points in words come with it, escaped.
func TestChartLine(t *testing.T) {
	t.Parallel()
	c := &chart{Title: `Trend <of> "scores"`, Min: 0, Max: 100, Width: 100, Height: 26,
		Points: []chartPoint{{Value: 100, Label: "a <b>"}, {Value: 50, Label: "c"}, {Value: 0, Label: "d"}}}
	got := string(c.Line())
	for _, want := range []string{
		`<svg role="img" aria-label="Trend &lt;of&gt; &#34;scores&#34;" width="100" height="26" viewBox="0 0 100 26">`,
		`<title>Trend &lt;of&gt; &#34;scores&#34;</title>`,
		`<polyline class="chart-stroke" points="3,3 50,13 97,23"/>`,
		`<circle class="chart-dot" cx="97" cy="23" r="2.5"/>`,
		`<ol class="visually-hidden"><li>a &lt;b&gt;</li><li>c</li><li>d</li></ol>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("line lacks %s:\n%s", want, got)
		}
	}
	// One point is a dot in the middle; values outside the range stay in
	// the box; nothing to draw is nothing.
	one := &chart{Title: "t", Min: 0, Max: 100, Width: 100, Height: 26, Points: []chartPoint{{Value: 140, Label: "x"}}}
	if got := string(one.Line()); strings.Contains(got, "polyline") || !strings.Contains(got, `cx="50" cy="3"`) {
		t.Errorf("one point: %s", got)
	}
	if (&chart{Title: "t", Min: 0, Max: 100, Width: 10, Height: 10}).Line() != "" {
		t.Error("a line of no points")
	}
}

// Bars rise from the bottom of the box, one per point.
func TestChartBars(t *testing.T) {
	t.Parallel()
	c := &chart{Title: "Runs per day", Min: 0, Max: 10, Width: 40, Height: 26,
		Points: []chartPoint{{Value: 10, Label: "Mon: 10"}, {Value: 0, Label: "Tue: 0"}}}
	got := string(c.Bars())
	if n := len(regexp.MustCompile(`<rect class="chart-bar"`).FindAllString(got, -1)); n != 2 {
		t.Fatalf("%d bars: %s", n, got)
	}
	for _, want := range []string{`<rect class="chart-bar" x="3" y="3" width="14" height="20"/>`,
		`<rect class="chart-bar" x="23" y="23" width="14" height="0"/>`, `<li>Mon: 10</li><li>Tue: 0</li>`} {
		if !strings.Contains(got, want) {
			t.Errorf("bars lack %s:\n%s", want, got)
		}
	}
}
