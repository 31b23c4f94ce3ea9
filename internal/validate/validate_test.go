package validate_test

import (
	"errors"
	"testing"
	"time"

	"github.com/reckonhq/reckon/internal/validate"
)

func TestText(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"": true, "plain": true, "Prüfung ✓": true, "emoji 🛡": true,
		"a\x00b": false, "\xff": false, "\xed\xa0\x80": false, // NUL, a stray byte, an encoded surrogate
	} {
		if got := validate.Text(s); got != want {
			t.Errorf("Text(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestTime(t *testing.T) {
	t.Parallel()
	east, west := time.FixedZone("+23:59", 23*3600+59*60), time.FixedZone("-23:59", -(23*3600+59*60))
	for _, tc := range []struct {
		t    time.Time
		want bool
	}{
		{time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC), true},
		{validate.MinTime, true},
		{validate.MaxTime, true},
		// Four-digit years that are out of range once in UTC.
		{time.Date(9999, 12, 31, 23, 59, 59, 0, west), false},
		{time.Date(0, 1, 1, 0, 0, 0, 0, east), false},
		{time.Date(1, 1, 1, 0, 0, 0, 0, east), false},
		{time.Time{}.Add(-time.Nanosecond), false},
	} {
		if got := validate.Time(tc.t); got != tc.want {
			t.Errorf("Time(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}
}

func TestCapturedAt(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]bool{
		-24 * time.Hour: true, 0: true, validate.CaptureSkew: true,
		validate.CaptureSkew + time.Second: false, 24 * time.Hour * 365 * 70: false,
	} {
		if got := validate.CapturedAt(now.Add(d), now); got != want {
			t.Errorf("CapturedAt(now%+v) = %v, want %v", d, got, want)
		}
	}
}

func TestID(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]int64{"1": 1, "42": 42, "9223372036854775807": 1<<63 - 1} {
		if got, ok := validate.ID(s); !ok || got != want {
			t.Errorf("ID(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "0", "01", "+1", "-1", " 1", "1 ", "1e3", "0x1", "9223372036854775808",
		"99999999999999999999", "1\x00", "١"} {
		if got, ok := validate.ID(s); ok {
			t.Errorf("ID(%q) = %d, accepted", s, got)
		}
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{`{}`, `{"a": [1, 2.5, -3e10, "x", true, null, {"b": "ü"}]}`, `"\ud83d\udee1"`,
		`[0, -0, 0.0, 0e-400, 1e-320, 1.7976931348623157e308, 12.5E+3]`} {
		if err := validate.JSON([]byte(doc)); err != nil {
			t.Errorf("JSON(%s): %v", doc, err)
		}
	}
	for doc, want := range map[string]validate.JSONError{
		`{"a": "x\u0000y"}`:               {Pointer: "/a", Reason: "text"},
		`{"a\u0000": 1}`:                  {Pointer: "/a\x00", Reason: "text"},
		`{"a": ["ok", "\ud800"]}`:         {Pointer: "/a/0", Reason: "syntax"},
		"{\"a\": \"\xff\"}":               {Pointer: "/a", Reason: "syntax"},
		`{"n": 1e999999}`:                 {Pointer: "/n", Reason: "number"},
		`{"n": -1e400}`:                   {Pointer: "/n", Reason: "number"},
		`{"n": 1e-999999}`:                {Pointer: "/n", Reason: "number"},
		`{"n": -0.1e-400}`:                {Pointer: "/n", Reason: "number"},
		`{"n": 0e-20000}`:                 {Pointer: "/n", Reason: "number"},
		`{"a": 1, "a": 2}`:                {Pointer: "/a", Reason: "duplicate"},
		`{"a": {"b": [1, {"c": 1e999}]}}`: {Pointer: "/a/b/1/c", Reason: "number"},
	} {
		err := validate.JSON([]byte(doc))
		var je *validate.JSONError
		if !errors.As(err, &je) || je.Reason != want.Reason || (want.Reason != "syntax" && je.Pointer != want.Pointer) {
			t.Errorf("JSON(%q) = %v, want %s at %q", doc, err, want.Reason, want.Pointer)
		}
	}
}

func TestJSONErrorField(t *testing.T) {
	t.Parallel()
	for pointer, want := range map[string]string{
		"": "body", "/backup_ref": "backup_ref", "/items/0/payload": "items[0].payload",
		"/findings/12/title": "findings[12].title", "/a~1b/c~0d": "a/b.c~d",
	} {
		if got := (&validate.JSONError{Pointer: pointer}).Field(); got != want {
			t.Errorf("Field(%q) = %q, want %q", pointer, got, want)
		}
	}
}
