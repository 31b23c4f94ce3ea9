// Package validate holds the checks every edge applies before input reaches
// storage, so that the same hostile input gets the same answer on SQLite
// and PostgreSQL. Each check is what the stricter engine (or JSON) can store
// and give back: PostgreSQL refuses NUL and invalid UTF-8 in text and jsonb,
// numbers beyond its numeric range, and JSON cannot encode a year past 9999;
// SQLite would store them all and fail later, or differently.
package validate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/reckonhq/reckon"
)

// Text reports whether s can be stored and read back by both engines as it
// is: valid UTF-8 without NUL.
func Text(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// MinTime and MaxTime bound the instants both engines store and JSON
// encodes (RFC 3339 has four-digit years), in UTC.
var (
	MinTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// Time reports whether t lies within MinTime and MaxTime once in UTC: an
// offset can carry a four-digit year past either end.
func Time(t time.Time) bool {
	return !t.Before(MinTime) && !t.After(MaxTime)
}

// CaptureSkew is how far in the future a capture time may lie: clocks of
// the machines that capture evidence drift a little, never by hours.
const CaptureSkew = 5 * time.Minute

// CapturedAt reports whether a capture time is storable and not later than
// now plus CaptureSkew: evidence from the future would stay "newest" and
// pin every later review to it.
func CapturedAt(t, now time.Time) bool {
	return Time(t) && !t.After(now.Add(CaptureSkew))
}

// ID parses a record id in its one canonical form: a positive decimal
// without sign, leading zero or spaces that fits in 63 bits. "01", "+1" and
// "1e3" are not ids, so one record has one URL.
func ID(s string) (int64, bool) {
	if s == "" || len(s) > 19 || s[0] < '1' || s[0] > '9' {
		return 0, false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// JSONError says where in a JSON document a value cannot be stored.
type JSONError struct {
	Pointer string // RFC 6901 pointer to the value ("" for the document)
	Reason  string // "text", "number", "duplicate", "syntax"
}

func (e *JSONError) Error() string {
	return fmt.Sprintf("validate: JSON value at %q: %s", e.Pointer, e.Reason)
}

// JSON checks a whole JSON document for what either engine would refuse or
// change: every string (names too) must be Text, every number finite in
// float64 range, no name repeated within an object, and the UTF-8 valid
// with no lone surrogate escape. It returns a *JSONError naming the first
// offending value.
func JSON(doc []byte) error {
	dec := jsontext.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.ReadToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if errors.Is(err, jsontext.ErrDuplicateName) {
			return &JSONError{Pointer: string(dec.StackPointer()), Reason: "duplicate"}
		}
		if err != nil {
			return &JSONError{Pointer: string(dec.StackPointer()), Reason: "syntax"}
		}
		switch tok.Kind() {
		case '"':
			if !Text(tok.String()) {
				return &JSONError{Pointer: string(dec.StackPointer()), Reason: "text"}
			}
		case '0':
			if !number(tok.String()) {
				return &JSONError{Pointer: string(dec.StackPointer()), Reason: "number"}
			}
		}
	}
}

// MaxNumberLength bounds the characters of a JSON number: far more than
// float64 can tell apart, far less than PostgreSQL's numeric refuses.
const MaxNumberLength = 1000

// MaxExponent bounds the exponent of a JSON number: float64 needs no
// more than ±400 (with the digits of the mantissa), and PostgreSQL's
// numeric refuses even 0e-16384.
const MaxExponent = 400

// number reports whether a JSON number token is finite in float64 range,
// not so small that it only reads as zero (PostgreSQL refuses 1e-999999,
// as it refuses 1e999999), with a bounded exponent and of a sane length.
func number(s string) bool {
	if len(s) > MaxNumberLength {
		return false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return false
	}
	mantissa, exponent, scientific := strings.Cut(strings.ToLower(s), "e")
	if scientific {
		if e, err := strconv.Atoi(exponent); err != nil || e < -MaxExponent || e > MaxExponent {
			return false
		}
	}
	return f != 0 || !strings.ContainsAny(mantissa, "123456789")
}

// Field names the offending value as reckon's field errors do:
// "items[0].payload.kind" for /items/0/payload/kind, "body" for the
// document itself. An array index is a pointer token of digits; an object
// name of digits reads the same, which a message can live with.
func (e *JSONError) Field() string {
	if e.Pointer == "" {
		return "body"
	}
	var b strings.Builder
	for i, tok := range strings.Split(e.Pointer[1:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		if _, isIndex := ID(tok); isIndex || tok == "0" {
			fmt.Fprintf(&b, "[%s]", tok)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// Document checks a JSON document that encoding/json has parsed with JSON,
// and returns what it refuses as a reckon validation error on the
// offending field (a repeated name, a number past float64, text with NUL
// or not UTF-8, which encoding/json lets through or silently replaces);
// nil when both engines can store the document as it is.
func Document(doc []byte) error {
	var je *JSONError
	if !errors.As(JSON(doc), &je) {
		return nil
	}
	key := "input.text" // what jsontext refuses in parsed JSON is its text
	switch je.Reason {
	case "number":
		key = "input.number"
	case "duplicate":
		key = "input.duplicate_name"
	}
	v := reckon.ValidationErrors{}
	v.Add(je.Field(), key)
	return v.Err()
}

// UnknownField returns the name of the field that encoding/json's
// DisallowUnknownFields refused, which it reports only as text.
func UnknownField(err error) (string, bool) {
	const prefix = "json: unknown field "
	if err == nil || !strings.HasPrefix(err.Error(), prefix) {
		return "", false
	}
	return strings.Trim(strings.TrimPrefix(err.Error(), prefix), `"`), true
}
