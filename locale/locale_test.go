package locale

import (
	"testing"

	"github.com/reckonhq/reckon"
)

// TestCatalogsComplete fails on a key that one language has and another lacks.
func TestCatalogsComplete(t *testing.T) {
	t.Parallel()
	c := Default()
	for _, lang := range Languages {
		for _, other := range Languages {
			for _, k := range c.Keys(lang) {
				if !c.Has(other, k) {
					t.Errorf("key %q is in %s but missing in %s", k, lang, other)
				}
			}
		}
	}
}

func TestTranslate(t *testing.T) {
	t.Parallel()
	c := Default()
	got := c.Translate("de", "error.schema_behind", map[string]any{"current": 1, "want": 2})
	want := "Das Datenbankschema hat Version 1, dieses Programm braucht 2: führen Sie reckon migrate aus."
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := Negotiate("de-DE,de;q=0.9,en;q=0.8"); got != "de" {
		t.Fatalf("Negotiate = %q", got)
	}
	if got := Negotiate("fr"); got != "en" {
		t.Fatalf("Negotiate(fr) = %q", got)
	}
	if got := FormatInt("de", 1234567); got != "1.234.567" {
		t.Fatalf("FormatInt = %q", got)
	}
}

// A Message argument is translated in the text's language.
func TestMessageArgumentsAreTranslated(t *testing.T) {
	t.Parallel()
	c := Catalog{
		"en": {"t": "now {status}", "s": "Ready"},
		"de": {"t": "jetzt {status}", "s": "Bereit"},
	}
	if got := c.Translate("de", "t", map[string]any{"status": reckon.Msg("s")}); got != "jetzt Bereit" {
		t.Fatalf("got %q", got)
	}
}
