package console

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Small charts, drawn on the server as inline SVG: no script, no style
// attributes (the stylesheet colours them by class), and a text equivalent
// for whoever cannot see them — the SVG is an image named by its title, and
// a visually hidden list says every point in words.
//
// A chart is its points, the range of values it draws and its size; Line
// draws a sparkline (a review score's trend), Bars a bar chart (a count per
// day). Both return the whole figure, ready for a template.

// chartPoint is one value of a chart and the words that say it.
type chartPoint struct {
	Value float64
	Label string
}

// chart is a small chart.
type chart struct {
	// Title names the chart (the image's accessible name and tooltip).
	Title  string
	Points []chartPoint
	// Min and Max are the values at the bottom and the top; Max > Min.
	Min, Max float64
	// Width and Height are the drawing's size in CSS pixels.
	Width, Height int
}

// chartPad keeps strokes and dots inside the drawing.
const chartPad = 3

// x and y place a point in the drawing.
func (c *chart) x(i int) float64 {
	if len(c.Points) < 2 {
		return float64(c.Width) / 2
	}
	return chartPad + float64(i)*float64(c.Width-2*chartPad)/float64(len(c.Points)-1)
}

func (c *chart) y(v float64) float64 {
	v = min(max(v, c.Min), c.Max)
	return chartPad + (c.Max-v)*float64(c.Height-2*chartPad)/(c.Max-c.Min)
}

// Line draws the points left to right as a line, the last one a dot; a
// single point is a dot alone. Nothing for no points.
func (c *chart) Line() template.HTML {
	if len(c.Points) == 0 || c.Max <= c.Min {
		return ""
	}
	var b strings.Builder
	c.open(&b, "chart-line")
	if len(c.Points) > 1 {
		b.WriteString(`<polyline class="chart-stroke" points="`)
		for i, p := range c.Points {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(coord(c.x(i)) + "," + coord(c.y(p.Value)))
		}
		b.WriteString(`"/>`)
	}
	last := len(c.Points) - 1
	fmt.Fprintf(&b, `<circle class="chart-dot" cx="%s" cy="%s" r="2.5"/>`, coord(c.x(last)), coord(c.y(c.Points[last].Value)))
	return c.close(&b)
}

// Bars draws each point as a bar rising from Min, left to right. Nothing
// for no points.
func (c *chart) Bars() template.HTML {
	if len(c.Points) == 0 || c.Max <= c.Min {
		return ""
	}
	var b strings.Builder
	c.open(&b, "chart-bars")
	step := float64(c.Width) / float64(len(c.Points))
	for i, p := range c.Points {
		top := c.y(p.Value)
		fmt.Fprintf(&b, `<rect class="chart-bar" x="%s" y="%s" width="%s" height="%s"/>`,
			coord(float64(i)*step+step*0.15), coord(top), coord(step*0.7), coord(float64(c.Height-chartPad)-top))
	}
	return c.close(&b)
}

func (c *chart) open(b *strings.Builder, class string) {
	title := template.HTMLEscapeString(c.Title)
	fmt.Fprintf(b, `<div class="chart %s"><svg role="img" aria-label="%s" width="%d" height="%d" viewBox="0 0 %d %d"><title>%s</title>`,
		class, title, c.Width, c.Height, c.Width, c.Height, title)
}

func (c *chart) close(b *strings.Builder) template.HTML {
	b.WriteString(`</svg><ol class="visually-hidden">`)
	for _, p := range c.Points {
		b.WriteString("<li>" + template.HTMLEscapeString(p.Label) + "</li>")
	}
	b.WriteString(`</ol></div>`)
	// Built from numbers and escaped text only.
	return template.HTML(b.String())
}

// coord writes a coordinate with at most two decimals.
func coord(v float64) string { return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) }
