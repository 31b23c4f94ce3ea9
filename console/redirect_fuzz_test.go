package console

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzLocalPath holds localPath to its promise for any input: the answer
// is the fallback or a path on this site that a browser cannot read as
// another host, and it is stable (rebuilding it changes nothing).
func FuzzLocalPath(f *testing.F) {
	for _, seed := range []string{"/admin", "/admin/workspaces/a/operations?status=queued", `/x/../\evil.example`,
		`/./\evil.example`, "//evil.example", "/%5Cevil", "https://evil.example", "/\t/evil", "/a/../../..//evil",
		"/\x00", "/\xff", "javascript:alert(1)", "/a?b=%zz", "/@evil.example", ""} {
		f.Add(seed)
	}
	base, _ := url.Parse("http://console.example/page")
	f.Fuzz(func(t *testing.T, p string) {
		got := localPath(p, "/fallback")
		if got == "/fallback" {
			return
		}
		u, err := url.Parse(got)
		if err != nil || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\t\r\n\x00") {
			t.Fatalf("localPath(%q) = %q", p, got)
		}
		if to := base.ResolveReference(u); to.Host != "console.example" {
			t.Fatalf("localPath(%q) = %q goes to %s", p, got, to.Host)
		}
		if again := localPath(got, "/fallback"); again != got {
			t.Fatalf("localPath(%q) = %q, and again %q", p, got, again)
		}
	})
}
