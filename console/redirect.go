package console

import (
	"net/url"
	"path"
	"strings"
	"unicode"

	"github.com/reckonhq/reckon/internal/validate"
)

// localPath returns the page on this site that p names, else fallback, so
// that a "next" or "return" parameter never sends anyone elsewhere. The
// answer is rebuilt from p's parsed and cleaned path and its query, never
// p itself: a string check on p says nothing of what http.Redirect and the
// browser make of it ("/x/../\evil.example" cleans to "/\evil.example",
// which a browser reads as "//evil.example", another host).
func localPath(p, fallback string) string {
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Opaque != "" || u.User != nil || u.Host != "" || !strings.HasPrefix(u.Path, "/") {
		return fallback
	}
	clean := path.Clean(u.Path)
	if strings.HasPrefix(clean, "//") || strings.ContainsRune(clean, '\\') || !validate.Text(clean) ||
		strings.ContainsFunc(clean, unicode.IsControl) {
		return fallback
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fallback
	}
	return (&url.URL{Path: clean, RawQuery: query.Encode()}).String()
}
