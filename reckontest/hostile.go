package reckontest

import (
	"encoding/base64"
	"strings"
)

// The hostile-input corpus the API and console suites send into every
// route: one list, so that both surfaces meet the same bytes.

// HostileSegments are path segments an attacker sends in place of a
// workspace slug or an id, as they appear in the URL: NUL, invalid UTF-8,
// an encoded lone surrogate, an overlong encoding, non-canonical, huge and
// negative numbers, dot segments and encoded slashes.
var HostileSegments = []string{
	"%00", "a%00b", "1%00", "%ff", "%fe%ff", "%ed%a0%80", "%c0%ae%c0%ae", "%C0%80",
	"0", "-1", "01", "+1", "%2B1", "1e3", "0x10", "9223372036854775807", "9223372036854775808",
	"-9223372036854775809", "99999999999999999999999999", "1.0", "%20", "%201",
	".", "..", "%2e%2e", "%2E", "a%2Fb", "%2F", "%5C", "%5C%5Cevil.example", "%27%3B--", "%25", "%7B%7D",
	strings.Repeat("9", 400), strings.Repeat("a", 2000),
}

// HostileQueries go after every route, valid path or not.
var HostileQueries = []string{
	"limit=%00", "limit=1e999999", "limit=-1", "limit=99999999999999999999", "limit=01",
	"cursor=%ff", "cursor=%00", "cursor=" + base64.RawURLEncoding.EncodeToString([]byte("k1:+2")),
	"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("k1:01")),
	"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("k1:\x00")),
	"environment=-1", "environment=01", "environment=%00", "environment=99999999999999999999",
	"status=%00", "status=%ff", "type=%ed%a0%80", "outcome=%C0%80", "reconciled=%ff", "format=%00",
	"format=scubagear%00", "x=%00&%ff=1", "%00", "&&==&",
}

// HostileValues replace one JSON value of a valid body at a time: NUL, a
// lone surrogate, raw invalid UTF-8, numbers past any range, extreme and
// future times, huge and negative ids and the wrong JSON types.
var HostileValues = []string{
	`"\u0000"`, `"a\u0000b"`, `"\ud800"`, `"\udfff\ud800"`, "\"\xff\xfe\"", "\"\xc0\xae\"",
	`1e999999`, `-1e999999`, `1e-999999`, `0e-20000`, `1e-5000`, `9223372036854775808`, `-9223372036854775809`, `-1`, `0`,
	`123456789012345678901234567890`, `"9999-12-31T23:59:59-23:59"`, `"0000-01-01T00:00:00+23:59"`,
	`"10000-01-01T00:00:00Z"`, `"2099-01-01T00:00:00Z"`, `"1969-12-31T23:59:59Z"`, `"2026-02-30T00:00:00Z"`,
	`null`, `true`, `{}`, `[]`, `""`, `" "`, `"` + strings.Repeat("x", 10000) + `"`,
	`"<script>alert(1)</script>"`, `"' OR 1=1 --"`, `{"$gt": ""}`,
}
