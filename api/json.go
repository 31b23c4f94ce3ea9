package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/internal/validate"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// requireJSON refuses a body not declared as JSON with 415: a client that
// sends text/plain or a form gets told so instead of having it parsed as
// JSON anyway. application/json with parameters (charset=utf-8) is JSON.
// A request with no body and no type has nothing to refuse: its body is
// answered as empty.
func requireJSON(r *http.Request) error {
	if r.ContentLength == 0 && r.Header.Get("Content-Type") == "" {
		return nil
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && mt == "application/json" {
		if cs, ok := params["charset"]; !ok || strings.EqualFold(cs, "utf-8") {
			return nil
		}
	}
	return &reckon.Error{Code: reckon.CodeUnsupportedMediaType, Message: reckon.Msg("input.media_type")}
}

// readBody reads a JSON request body under the route's size limit: not
// declared as JSON is unsupported_media_type (415), over the limit
// too_large (413), an empty body malformed (400).
func readBody(r *http.Request) ([]byte, error) {
	if err := requireJSON(r); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, &reckon.Error{Code: reckon.CodeTooLarge, Message: reckon.Msg("api.body_too_large", "limit", tooLarge.Limit)}
	}
	if err != nil {
		return nil, malformed("api.body_unreadable")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, malformed("api.body_empty")
	}
	return b, nil
}

// decodeJSON reads a JSON object into v. Syntax errors are malformed (400)
// with the line and column; a value of the wrong JSON type, an unknown
// field, a repeated name and a value neither engine can store (NUL, a lone
// surrogate, invalid UTF-8, a number past float64) are validation errors
// (422) on that field. No decoder text reaches the caller: it names Go
// types.
func decodeJSON(r *http.Request, v any) error {
	b, err := readBody(r)
	if err != nil {
		return err
	}
	return unmarshalStrict(b, v)
}

func unmarshalStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			line, col := position(b, dec.InputOffset())
			return malformed("api.json_trailing", "line", line, "column", col)
		}
		return validate.Document(b)
	}
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		// Offset counts the offending byte as read.
		line, col := position(b, max(syntax.Offset-1, 0))
		return malformed("api.json_syntax", "line", line, "column", col)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return malformed("api.json_truncated")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return malformed("api.json_not_object")
		}
		return fieldError(field, "api.field_type", "want", jsonKind(typeErr.Type))
	}
	if name, ok := validate.UnknownField(err); ok {
		return fieldError(name, "api.field_unknown")
	}
	return malformed("api.json_invalid")
}

func fieldError(field, key string, args ...any) error {
	v := reckon.ValidationErrors{}
	v.Add(field, key, args...)
	return v.Err()
}

// position turns a byte offset into a 1-based line and column.
func position(b []byte, offset int64) (line, col int) {
	if offset > int64(len(b)) {
		offset = int64(len(b))
	}
	line, col = 1, 1
	for _, c := range b[:offset] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// jsonKind names the JSON type a Go type decodes from, for messages.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "value"
}
