package reckon_test

import (
	"go/build"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// The docs are part of the product: a README that stops rendering halfway,
// or points at files that moved, misleads every new reader. These tests read
// README.md and docs/*.md as a renderer would and check what can go stale.

// docFiles are the Markdown files checked, relative to the repository root
// (the test's working directory).
func docFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{"README.md"}, files...)
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if len(files) < 2 {
		t.Fatalf("no docs/*.md found next to README.md")
	}
	return files
}

// mdLine is a line of Markdown outside any fenced code block.
type mdLine struct {
	no   int
	text string
}

var fenceRE = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})(.*)$")

// prose returns a Markdown file's lines outside fenced code blocks, and the
// line of a fence that is never closed (0 when all close): such a fence
// swallows the rest of the file, headings included.
func prose(t *testing.T, file string) (lines []mdLine, unclosed int) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var open string // the opening fence run, "" outside a block
	openedAt := 0
	for i, line := range strings.Split(string(b), "\n") {
		m := fenceRE.FindStringSubmatch(line)
		switch {
		case open == "" && m != nil:
			open, openedAt = m[1], i+1
		case open != "":
			// A block closes with a run of the same character, at least as
			// long, and nothing but spaces after it.
			if m != nil && m[1][0] == open[0] && len(m[1]) >= len(open) && strings.TrimSpace(m[2]) == "" {
				open = ""
			}
		default:
			lines = append(lines, mdLine{i + 1, line})
		}
	}
	if open != "" {
		unclosed = openedAt
	}
	return lines, unclosed
}

func TestDocsFencesBalanceAndHeadingsStandAlone(t *testing.T) {
	t.Parallel()
	// A heading glued to a table row ("|## …") renders as a table cell.
	glued := regexp.MustCompile(`\|\s*#{1,6} `)
	for _, f := range docFiles(t) {
		lines, unclosed := prose(t, f)
		if unclosed > 0 {
			t.Errorf("%s:%d: this code fence is never closed", f, unclosed)
		}
		for _, l := range lines {
			if glued.MatchString(l.text) {
				t.Errorf("%s:%d: a heading inside a table row: %q", f, l.no, l.text)
			}
		}
	}
}

var (
	codeSpanRE = regexp.MustCompile("`+([^`]+)`+")
	linkRE     = regexp.MustCompile(`\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	headingRE  = regexp.MustCompile(`^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$`)
)

// anchors returns the GitHub anchors of a Markdown file's headings.
func anchors(t *testing.T, file string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	lines, _ := prose(t, file)
	for _, l := range lines {
		if m := headingRE.FindStringSubmatch(l.text); m != nil {
			out[slug(m[1])] = true
		}
	}
	return out
}

// slug is GitHub's heading anchor: lower case, punctuation other than '-'
// and '_' dropped, spaces as '-'.
func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestDocsRelativeLinksResolve(t *testing.T) {
	t.Parallel()
	for _, f := range docFiles(t) {
		lines, _ := prose(t, f)
		for _, l := range lines {
			text := codeSpanRE.ReplaceAllString(l.text, "")
			for _, m := range linkRE.FindAllStringSubmatch(text, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				file, anchor, _ := strings.Cut(target, "#")
				resolved := f
				if file != "" {
					resolved = filepath.Join(filepath.Dir(f), filepath.FromSlash(file))
					if _, err := os.Stat(resolved); err != nil {
						t.Errorf("%s:%d: link %q: %s does not exist", f, l.no, target, resolved)
						continue
					}
				}
				if anchor != "" && strings.HasSuffix(resolved, ".md") && !anchors(t, resolved)[anchor] {
					t.Errorf("%s:%d: link %q: %s has no heading with anchor #%s", f, l.no, target, resolved, anchor)
				}
			}
		}
	}
}

// pathExtensions are the endings that make a backticked word a file name
// even without a slash.
var pathExtensions = []string{".go", ".md", ".sh", ".mod", ".sum", ".sql", ".json", ".yml", ".yaml", ".html", ".css", ".js", ".txt"}

// repoPath says whether a backticked token names a path in this repository,
// and returns it cleaned. URLs, flags, placeholders, absolute paths, URL
// routes, Go module paths and standard-library packages are not.
func repoPath(tok string) (string, bool) {
	if tok == "" || strings.ContainsAny(tok, " \t{}<>*…|:?=,()[]") || strings.HasPrefix(tok, "-") || strings.HasPrefix(tok, "/") {
		return "", false
	}
	tok = strings.TrimPrefix(tok, "./")
	hasExt := false
	for _, ext := range pathExtensions {
		hasExt = hasExt || strings.HasSuffix(tok, ext)
	}
	if !strings.Contains(tok, "/") && !hasExt {
		return "", false
	}
	clean := path.Clean(tok)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", false // outside the repository
	}
	first, _, _ := strings.Cut(clean, "/")
	if strings.Contains(first, ".") && !strings.HasPrefix(first, ".") && strings.Contains(tok, "/") {
		if _, err := os.Stat(first); err != nil {
			return "", false // a module path such as github.com/…
		}
	}
	if strings.Contains(tok, "/") {
		if p, err := build.Default.Import(clean, "", build.FindOnly); err == nil && p.Goroot {
			return "", false // html/template, log/slog, …
		}
	}
	return clean, true
}

func TestDocsReferencedPathsExist(t *testing.T) {
	t.Parallel()
	checked := 0
	for _, f := range docFiles(t) {
		lines, _ := prose(t, f)
		for _, l := range lines {
			for _, m := range codeSpanRE.FindAllStringSubmatch(l.text, -1) {
				p, ok := repoPath(strings.TrimSpace(m[1]))
				if !ok {
					continue
				}
				checked++
				if _, err := os.Stat(filepath.FromSlash(p)); err != nil {
					t.Errorf("%s:%d: `%s` names a repository path that does not exist", f, l.no, m[1])
				}
			}
		}
	}
	// The README names a good dozen files; finding none means the scan broke.
	if checked < 5 {
		t.Errorf("only %d repository paths found in the docs; the scan is broken", checked)
	}
}

func TestRepoPathRecognisesPathsOnly(t *testing.T) {
	t.Parallel()
	for tok, want := range map[string]string{
		"cli/app.go":                  "cli/app.go",
		"./scripts/test.sh":           "scripts/test.sh",
		".ci/run":                     ".ci/run",
		"docs/api.md":                 "docs/api.md",
		"go.mod":                      "go.mod",
		"cli/":                        "cli",
		"github.com/riverqueue/river": "",
		"html/template":               "",
		"postgres://…":                "",
		"--database URL":              "",
		"/admin/workspaces/{ws}":      "",
		"ScubaResults_*.json":         "",
		"../shared/vulndb":            "",
		"review.available":            "",
		"native|scubagear":            "",
	} {
		got, ok := repoPath(tok)
		if ok != (want != "") || got != want {
			t.Errorf("repoPath(%q) = %q, %v; want %q", tok, got, ok, want)
		}
	}
}
