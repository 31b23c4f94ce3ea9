package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timeLayout is SQLite's storage format for times: fixed width, UTC,
// microseconds, so that text order equals time order.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// timeValue scans a time column of either engine into *t.
type timeValue struct{ t *time.Time }

func (v timeValue) Scan(src any) error {
	switch s := src.(type) {
	case time.Time:
		*v.t = s.UTC()
	case string:
		return v.parse(s)
	case []byte:
		return v.parse(string(s))
	default:
		return fmt.Errorf("store: cannot scan %T into a time", src)
	}
	return nil
}

func (v timeValue) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("store: bad time %q: %w", s, err)
	}
	*v.t = t.UTC()
	return nil
}

// nullTimeValue scans a nullable time column into **t.
type nullTimeValue struct{ t **time.Time }

func (v nullTimeValue) Scan(src any) error {
	if src == nil {
		*v.t = nil
		return nil
	}
	var t time.Time
	if err := (timeValue{&t}).Scan(src); err != nil {
		return err
	}
	*v.t = &t
	return nil
}

func scanTime(t *time.Time) sql.Scanner      { return timeValue{t} }
func scanNullTime(t **time.Time) sql.Scanner { return nullTimeValue{t} }

// nullID scans a nullable id into *id, 0 for NULL.
type nullID struct{ id *int64 }

func (v nullID) Scan(src any) error {
	var n sql.NullInt64
	if err := n.Scan(src); err != nil {
		return err
	}
	*v.id = n.Int64
	return nil
}

func scanNullID(id *int64) sql.Scanner { return nullID{id} }

// nullString scans a nullable text column into *s, "" for NULL.
type nullString struct{ s *string }

func (v nullString) Scan(src any) error {
	var n sql.NullString
	if err := n.Scan(src); err != nil {
		return err
	}
	*v.s = n.String
	return nil
}

func scanNullString(s *string) sql.Scanner { return nullString{s} }

// jsonValue scans a JSON column of either engine into raw bytes; NULL is nil.
type jsonValue struct{ b *[]byte }

func (v jsonValue) Scan(src any) error {
	switch s := src.(type) {
	case nil:
		*v.b = nil
	case string:
		*v.b = []byte(s)
	case []byte:
		*v.b = append([]byte(nil), s...)
	case map[string]any, []any:
		// pgx may decode json into Go values for some targets.
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		*v.b = b
	default:
		return fmt.Errorf("store: cannot scan %T into JSON", src)
	}
	return nil
}

func scanJSON(b *[]byte) sql.Scanner { return jsonValue{b} }

// nullable returns nil for a zero id, so that it is stored as NULL.
func nullable(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// nullableString returns nil for "", so that it is stored as NULL.
func nullableString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// jsonArg returns a JSON document as a text argument, or nil for an empty one.
func jsonArg(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// marshal encodes v as a JSON text argument.
func marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("store: encode: %w", err)
	}
	return string(b), nil
}

// idList appends ids to args and returns their placeholders, one each, so
// that the text is the same on both engines (SQLite has no arrays).
func idList(args *[]any, ids []int64) string {
	ph := make([]string, len(ids))
	for i, id := range ids {
		*args = append(*args, id)
		ph[i] = "$" + strconv.Itoa(len(*args))
	}
	return strings.Join(ph, ", ")
}
