package scubagear

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/reckonhq/reckon"
)

// explain turns an error met while reading the report into a coded error
// that says what is wrong and where. Only an error of the underlying reader
// stays uncoded: it is not the report's fault.
func (s *source) explain(err error) error {
	var (
		se       *jsontext.SyntacticError
		trailing errTrailing
		maxBytes *http.MaxBytesError
	)
	switch {
	case errors.Is(err, errTooLarge):
		return tooLarge(s.limit, err)
	case errors.As(err, &maxBytes):
		return tooLarge(maxBytes.Limit, err)
	case s.readErr != nil && errors.Is(err, s.readErr):
		return fmt.Errorf("scubagear: read the report: %w", err)
	case s.utf16:
		return wrap(reckon.Errorf(reckon.CodeMalformed, "scubagear.utf16"), err)
	case errors.Is(err, errNotReport):
		return wrap(reckon.Errorf(reckon.CodeValidation, "scubagear.not_a_report"), err)
	case !s.nonBlank:
		return wrap(reckon.Errorf(reckon.CodeMalformed, "scubagear.empty"), err)
	case errors.As(err, &trailing):
		return s.malformed("scubagear.trailing", s.at(trailing.offset), err)
	case errors.As(err, &se):
		p := s.at(se.ByteOffset)
		switch {
		case errors.Is(se.Err, io.ErrUnexpectedEOF):
			return s.malformed("scubagear.malformed_end", s.end(), err)
		case errors.Is(se.Err, jsontext.ErrDuplicateName):
			e := s.malformed("scubagear.duplicate_name", p, err)
			e.Message.Args["name"] = strconv.Quote(clip(se.JSONPointer.LastToken(), 64))
			return e
		case p.Found == "":
			return s.malformed("scubagear.malformed_end", p, err)
		}
		return s.malformed("scubagear.malformed", p, err)
	}
	// An unexpected end or any other decoder complaint about the bytes.
	return s.malformed("scubagear.malformed_end", s.end(), err)
}

func (s *source) malformed(key string, p position, cause error) *reckon.Error {
	line, column := any(p.Line), any(p.Column)
	if p.Line == 0 {
		line, column = "?", "?"
	}
	e := reckon.Errorf(reckon.CodeMalformed, key, "offset", p.Offset, "line", line, "column", column, "found", p.Found)
	e.Err = cause
	return e
}

func tooLarge(limit int64, cause error) error {
	return wrap(reckon.Errorf(reckon.CodeTooLarge, "scubagear.too_large", "max", limit), cause)
}

func wrap(e *reckon.Error, cause error) *reckon.Error {
	e.Err = cause
	return e
}

// foundChar shows the character at the start of b for an error message:
// 'x', 'ä', or '\x00' for a control or a byte that is not UTF-8.
func foundChar(b []byte) string {
	r, size := utf8.DecodeRune(b)
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf(`'\x%02x'`, b[0])
	}
	if !unicode.IsPrint(r) {
		return strconv.QuoteRuneToASCII(r)
	}
	return strconv.QuoteRune(r)
}
