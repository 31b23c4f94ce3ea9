package console

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/store"
)

//go:embed templates/*.html
var templateFS embed.FS

// shared templates are parsed into every page.
var shared = []string{"templates/layout.html", "templates/partials.html", "templates/run_attempts.html",
	"templates/review_content.html", "templates/run_operator.html", "templates/runs_chart.html"}

// views holds one parsed template set per page.
type views struct {
	pages map[string]*template.Template
}

// textKeyLiteral finds the text keys a template names with the t function.
var textKeyLiteral = regexp.MustCompile(`\bt\s+"([a-z0-9_.]+)"`)

// parseViews parses every page with the shared templates and checks each
// against the catalog: a page that does not parse, lacks its blocks, or
// names a key missing in a language stops the console from starting.
func parseViews(text locale.Catalog) (*views, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	v := &views{pages: map[string]*template.Template{}}
	for _, f := range files {
		src, err := fs.ReadFile(templateFS, f)
		if err != nil {
			return nil, err
		}
		for _, m := range textKeyLiteral.FindAllSubmatch(src, -1) {
			for _, lang := range locale.Languages {
				if !text.Has(lang, string(m[1])) {
					return nil, fmt.Errorf("console: %s names text %q, which %s lacks", f, m[1], lang)
				}
			}
		}
		if isShared(f) {
			continue
		}
		name := strings.TrimSuffix(path.Base(f), ".html")
		t, err := template.New(name).Funcs(templateFuncs(tr{text: text, lang: locale.Languages[0]})).
			Option("missingkey=error").ParseFS(templateFS, append(append([]string{}, shared...), f)...)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", f, err)
		}
		for _, block := range []string{"layout", "title", "content"} {
			if t.Lookup(block) == nil {
				return nil, fmt.Errorf("console: template %s defines no %q", f, block)
			}
		}
		v.pages[name] = t
	}
	return v, nil
}

func isShared(f string) bool {
	for _, s := range shared {
		if s == f {
			return true
		}
	}
	return false
}

// templateFuncs binds the request's language. Most text is prepared by the
// handlers; templates translate their fixed words with t.
func templateFuncs(t tr) template.FuncMap {
	return template.FuncMap{
		"t":   t.T,
		"num": func(n any) string { return t.Num(toInt64(n)) },
	}
}

func toInt64(n any) int64 {
	switch x := n.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	}
	panic(fmt.Sprintf("console: num of %T", n))
}

// liveHeader marks the page script's refreshes of a page.
const liveHeader = "X-Reckon-Live"

// layout is what every page shows around its content.
type layout struct {
	Lang      string
	Title     string
	User      *reckon.User
	Unread    int64
	Workspace *reckon.Workspace
	Section   string // the navigation entry of the page
	Return    string // this page, for the language switch to come back to
	Flash     *flashView
	Support   bool
	LiveMS    int64
	Languages []languageOption
}

type languageOption struct {
	Code, Name string
	Current    bool
}

type flashView struct {
	Level     string
	Text      string
	LinkLabel string
	LinkHref  string
	Run       int64 // the active run the message is about, 0 for none
}

// languageNames are written in their own language, so that everyone finds
// theirs.
var languageNames = map[string]string{"en": "English", "de": "Deutsch"}

// page fills the layout of a page: the user's unread count, the message
// left by the last form, the language switch.
func (s *Server) page(ctx context.Context, r *http.Request, c *call, title, section string, ws *reckon.Workspace) (*layout, error) {
	t := s.tr(c)
	l := &layout{Lang: c.lang, Title: title, User: c.User, Workspace: ws, Section: section,
		Return: r.URL.RequestURI(), LiveMS: s.live.Milliseconds()}
	for _, code := range locale.Languages {
		l.Languages = append(l.Languages, languageOption{Code: code, Name: languageNames[code], Current: code == c.lang})
	}
	if c.User == nil {
		return l, nil
	}
	l.Support = c.User.IsPlatformSupport
	var f *flash
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		if l.Unread, err = tx.CountNotificationsOf(ctx, c.User.ID, notificationFilter("unread", c)); err != nil {
			return err
		}
		// The page script's refreshes leave the message of the last form
		// for the page a person opens.
		if r.Header.Get(liveHeader) != "" {
			return nil
		}
		f, err = s.takeFlash(ctx, tx, c)
		return err
	})
	if err != nil {
		return nil, err
	}
	if f != nil {
		m := f.Message
		if len(f.Keys) > 0 {
			args := make(map[string]any, len(m.Args)+len(f.Keys))
			for k, v := range m.Args {
				args[k] = v
			}
			for k, key := range f.Keys {
				args[k] = t.T(key)
			}
			m.Args = args
		}
		l.Flash = &flashView{Level: f.Level, Text: t.Msg(m), Run: f.Run}
		if f.Link != nil {
			l.Flash.LinkLabel, l.Flash.LinkHref = t.T(f.Link.Label), localPath(f.Link.Href, "")
		}
	}
	return l, nil
}

// render writes a page. The page is executed into a buffer first, so that
// a template error answers the error page, not half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, c *call, status int, name string, data any) error {
	base, ok := s.views.pages[name]
	if !ok {
		return fmt.Errorf("console: no page %q", name)
	}
	t, err := base.Clone()
	if err != nil {
		return err
	}
	t.Funcs(templateFuncs(s.tr(c)))
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("console: render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", c.lang)
	h.Set("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	_, err = w.Write(buf.Bytes())
	return err
}
