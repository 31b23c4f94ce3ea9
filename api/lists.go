package api

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/internal/validate"
	"github.com/reckonhq/reckon/locale"
)

// List limits: the default page size and the most a caller may ask for;
// larger limits are lowered to MaxLimit.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// cursorPrefix versions the cursor format. Cursors are opaque to callers:
// base64url of a version tag and the keyset position (the last id shown).
const cursorPrefix = "k1:"

func encodeCursor(lastID int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(lastID, 10)))
}

// decodeCursor returns the keyset position of a cursor; "" is the start.
// Anything else that is not a cursor we made is a 400.
func decodeCursor(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !strings.HasPrefix(string(b), cursorPrefix) {
		return 0, malformed("api.bad_cursor")
	}
	id, ok := validate.ID(strings.TrimPrefix(string(b), cursorPrefix))
	if !ok {
		return 0, malformed("api.bad_cursor")
	}
	return id, nil
}

// cursorAfter is the next_cursor of a page whose last id is lastID; nil (no
// next page) for 0.
func cursorAfter(lastID int64) *string {
	if lastID == 0 {
		return nil
	}
	c := encodeCursor(lastID)
	return &c
}

// nextCursor returns the cursor after a page fetched with one extra row, and
// the page without it; nil when there is no next page.
func nextCursor[T any](items []T, limit int, id func(T) int64) ([]T, *string) {
	if len(items) <= limit {
		return items, nil
	}
	items = items[:limit]
	return items, cursorAfter(id(items[len(items)-1]))
}

// query reads list parameters, collecting field errors as it goes.
type query struct {
	values url.Values
	errs   reckon.ValidationErrors
}

func newQuery(u *url.URL) *query { return newQueryOf(u.Query()) }

func newQueryOf(v url.Values) *query { return &query{values: v, errs: reckon.ValidationErrors{}} }

// MaxSearchLength bounds the q= parameter, in bytes.
const MaxSearchLength = 200

// text reads an optional search text of at most MaxSearchLength bytes.
func (q *query) text(name string) string {
	s := strings.TrimSpace(q.values.Get(name))
	if len(s) > MaxSearchLength || !validate.Text(s) {
		q.errs.Add(name, "api.param_text", "max", MaxSearchLength)
		return ""
	}
	return s
}

// zone reads an optional IANA time zone; nil when absent.
func (q *query) zone(name string) *time.Location {
	s := q.values.Get(name)
	if s == "" {
		return nil
	}
	loc, ok := locale.Zone(s)
	if !ok {
		q.errs.Add(name, "api.param_zone")
	}
	return loc
}

// time reads an optional RFC 3339 instant.
func (q *query) time(name string) time.Time {
	s := q.values.Get(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !validate.Time(t) {
		q.errs.Add(name, "api.param_time")
		return time.Time{}
	}
	return t.UTC()
}

// id reads an optional positive id parameter; 0 when absent.
func (q *query) id(name string) int64 {
	s := q.values.Get(name)
	if s == "" {
		return 0
	}
	n, ok := validate.ID(s)
	if !ok {
		q.errs.Add(name, "api.param_id")
		return 0
	}
	return n
}

// limit reads the page size: DefaultLimit when absent, at most MaxLimit.
func (q *query) limit() int {
	s := q.values.Get("limit")
	if s == "" {
		return DefaultLimit
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		q.errs.Add("limit", "api.param_limit", "max", MaxLimit)
		return DefaultLimit
	}
	return min(n, MaxLimit)
}

// enum reads an optional parameter that must satisfy valid.
func (q *query) enum(name string, valid func(string) bool, allowed string) string {
	s := q.values.Get(name)
	if s != "" && !valid(s) {
		q.errs.Add(name, "api.param_enum", "allowed", allowed)
		return ""
	}
	return s
}

// bool reads an optional true/false parameter.
func (q *query) bool(name string) bool {
	s := q.values.Get(name)
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		q.errs.Add(name, "api.param_bool")
	}
	return b
}

// cursor reads the cursor; a bad one is a 400, not a field error.
func (q *query) cursor() (int64, error) { return decodeCursor(q.values.Get("cursor")) }

// err returns the collected field errors, if any.
func (q *query) err() error { return q.errs.Err() }
