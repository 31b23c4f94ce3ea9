package scubagear

import (
	"html"
	"strings"
	"unicode/utf8"
)

// plainText turns a ScubaGear text field, which may hold HTML (links, <br/>,
// <b>, comments), into plain text of at most max runes: tags and comments
// are dropped, <br>, <p>, <div> and <li> start a new line, entities are
// decoded, runs of spaces collapse, blank lines go, and an over-long text
// is cut with an ellipsis.
func plainText(s string, max int) string {
	var b strings.Builder
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i:]
		if strings.HasPrefix(s, "<!--") {
			end := strings.Index(s[4:], "-->")
			if end < 0 {
				break // an unterminated comment runs to the end
			}
			s = s[4+end+3:]
			continue
		}
		name, ok := tagName(s)
		end := strings.IndexByte(s, '>')
		if !ok || end < 0 {
			// Not a tag ("a < b"): keep the character.
			b.WriteByte('<')
			s = s[1:]
			continue
		}
		switch name {
		case "br", "p", "div", "li", "tr":
			b.WriteByte('\n')
		}
		s = s[end+1:]
	}
	return clip(tidy(html.UnescapeString(b.String())), max)
}

// tagName returns the lower-case element name of an opening or closing tag
// at the start of s ("<a href=…>", "</b>", "<br/>").
func tagName(s string) (string, bool) {
	s = strings.TrimPrefix(s[1:], "/")
	n := 0
	for n < len(s) && (s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z' || n > 0 && s[n] >= '0' && s[n] <= '9') {
		n++
	}
	if n == 0 {
		return "", false
	}
	return strings.ToLower(s[:n]), true
}

// tidy collapses white space inside each line, trims lines and drops the
// blank ones.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

// clip cuts s to at most max runes, ending an over-long text with "…".
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return strings.TrimRight(s[:i], " \n") + "…"
		}
		n++
	}
	return s
}
