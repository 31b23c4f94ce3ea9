// Package locale holds reckon's visible text in English and German and
// translates message keys at the edge (API messages, console pages, CLI).
//
// Catalogs are flat JSON files, key → text, one set per language under
// catalog/<lang>/, split by area so that each part of the code base owns its
// keys. Text refers to named arguments as {name}. Loading fails on a key
// defined twice, and a test fails on a key missing in any language.
package locale

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	// The zone database travels with the binary, so that a reader's zone
	// works on a host without one.
	_ "time/tzdata"

	"golang.org/x/text/language"

	"github.com/reckonhq/reckon"
)

// Languages reckon speaks; the first is the fallback.
var Languages = []string{"en", "de"}

//go:embed catalog
var catalogFS embed.FS

// Catalog maps language → key → text.
type Catalog map[string]map[string]string

var defaultCatalog = mustLoad(catalogFS)

// Default returns the embedded catalog.
func Default() Catalog { return defaultCatalog }

func mustLoad(fsys fs.FS) Catalog {
	c, err := Load(fsys)
	if err != nil {
		panic(err)
	}
	return c
}

// Load reads catalog/<lang>/*.json from fsys.
func Load(fsys fs.FS) (Catalog, error) {
	c := Catalog{}
	for _, lang := range Languages {
		c[lang] = map[string]string{}
		files, err := fs.Glob(fsys, path.Join("catalog", lang, "*.json"))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			b, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, err
			}
			var m map[string]string
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, fmt.Errorf("locale: %s: %w", f, err)
			}
			for k, v := range m {
				if _, dup := c[lang][k]; dup {
					return nil, fmt.Errorf("locale: %s: key %q is defined twice", f, k)
				}
				c[lang][k] = v
			}
		}
	}
	return c, nil
}

// Keys returns every key of a language, sorted.
func (c Catalog) Keys(lang string) []string {
	keys := make([]string, 0, len(c[lang]))
	for k := range c[lang] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Has reports whether lang defines key.
func (c Catalog) Has(lang, key string) bool {
	_, ok := c[lang][key]
	return ok
}

// Translate returns the text of key in lang with {name} arguments filled
// in. An unknown language falls back to English; an unknown key returns the
// key itself, which the catalog tests catch.
func (c Catalog) Translate(lang, key string, args map[string]any) string {
	text, ok := c[lang][key]
	if !ok {
		text, ok = c[Languages[0]][key]
	}
	if !ok {
		return key
	}
	if len(args) == 0 || !strings.Contains(text, "{") {
		return text
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '{')
		if i < 0 {
			b.WriteString(text)
			break
		}
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			b.WriteString(text)
			break
		}
		name := text[i+1 : i+j]
		b.WriteString(text[:i])
		if v, ok := args[name]; ok {
			b.WriteString(c.formatArg(lang, v))
		} else {
			b.WriteString(text[i : i+j+1])
		}
		text = text[i+j+1:]
	}
	return b.String()
}

// Message translates a coded message.
func (c Catalog) Message(lang string, m reckon.Message) string {
	return c.Translate(lang, m.Key, m.Args)
}

// formatArg writes an argument the language's way: numbers grouped, times
// in the local notation, and a Message argument (a status name, say)
// translated itself.
func (c Catalog) formatArg(lang string, v any) string {
	switch x := v.(type) {
	case reckon.Message:
		return c.Message(lang, x)
	case int:
		return FormatInt(lang, int64(x))
	case int64:
		return FormatInt(lang, x)
	case time.Time:
		return FormatTime(lang, x)
	default:
		return fmt.Sprint(v)
	}
}

// Negotiate picks a supported language from an Accept-Language header,
// English when none matches.
func Negotiate(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return Languages[0]
	}
	for _, t := range tags {
		base, _ := t.Base()
		for _, l := range Languages {
			if base.String() == l {
				return l
			}
		}
	}
	return Languages[0]
}

// Supported reports whether lang is one of reckon's languages.
func Supported(lang string) bool {
	for _, l := range Languages {
		if l == lang {
			return true
		}
	}
	return false
}

// FormatInt formats an integer with the language's digit grouping
// (1,234 in English, 1.234 in German).
func FormatInt(lang string, n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	sep := ","
	if lang == "de" {
		sep = "."
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// FormatTime formats an absolute time in UTC the way the language writes it.
func FormatTime(lang string, t time.Time) string { return FormatTimeIn(lang, t, nil) }

// FormatTimeIn formats an absolute time in a zone the way the language
// writes it, named by the zone's abbreviation; nil is UTC.
func FormatTimeIn(lang string, t time.Time, zone *time.Location) string {
	layout := "2006-01-02 15:04:05 MST"
	if lang == "de" {
		layout = "02.01.2006, 15:04:05 MST"
	}
	if zone == nil {
		zone = time.UTC
	}
	return t.In(zone).Format(layout)
}

// Zone loads a reader's time zone by its IANA name. "Local" and "" are
// refused: they would be the server's zone, not the reader's.
func Zone(name string) (*time.Location, bool) {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	return loc, err == nil
}

// Reason returns the sentence of a reason code in lang. A reason code is
// its own catalog key in every domain ("review.not_produced",
// "run.stale_queued"); ok is false for a code without a sentence.
func (c Catalog) Reason(lang, code string) (string, bool) {
	if code == "" || !c.Has(Languages[0], code) {
		return "", false
	}
	return c.Translate(lang, code, nil), true
}
