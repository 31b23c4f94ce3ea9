package reckon

import (
	"errors"
	"fmt"
)

// ErrorCode classifies an error for callers. Transports map codes to their
// own status (HTTP status, exit code) in one place.
type ErrorCode string

// Error codes.
const (
	CodeValidation        ErrorCode = "validation_failed"
	CodeNotFound          ErrorCode = "not_found"
	CodeForbidden         ErrorCode = "forbidden"
	CodeUnauthorized      ErrorCode = "unauthorized"
	CodeConflict          ErrorCode = "conflict"
	CodeInvalidTransition ErrorCode = "invalid_transition"
	CodeNoEvidence        ErrorCode = "no_evidence"
	CodeTenantMismatch    ErrorCode = "tenant_mismatch"
	CodeTooLarge          ErrorCode = "too_large"
	CodeMalformed         ErrorCode = "malformed"
	// CodeUnsupportedMediaType refuses a body sent as anything but JSON.
	CodeUnsupportedMediaType ErrorCode = "unsupported_media_type"
	CodeSchemaBehind         ErrorCode = "schema_behind"
	CodeUnavailable          ErrorCode = "unavailable"
	CodeInternal             ErrorCode = "internal"
)

// Message is a translatable text: a catalog key and its named arguments.
type Message struct {
	Key  string
	Args map[string]any
}

// Error is reckon's coded error. Code and Message are safe to show; Err is the
// cause, for logs only.
type Error struct {
	Code    ErrorCode
	Message Message
	// Fields holds one message per invalid input field, keyed by the field's
	// path in the input (e.g. "findings[2].severity").
	Fields map[string]Message
	Err    error
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Message.Key
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns a coded error with a message key and named arguments given
// as alternating name, value pairs.
func Errorf(code ErrorCode, key string, args ...any) *Error {
	return &Error{Code: code, Message: Msg(key, args...)}
}

// Msg builds a Message from a key and alternating name, value pairs.
func Msg(key string, args ...any) Message {
	m := Message{Key: key}
	if len(args) > 0 {
		m.Args = make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			m.Args[fmt.Sprint(args[i])] = args[i+1]
		}
	}
	return m
}

// ErrorCodeOf returns the code of err, CodeInternal for an uncoded error and
// "" for nil.
func ErrorCodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ValidationErrors collects field errors while validating input.
type ValidationErrors map[string]Message

// Add records a message for a field.
func (v ValidationErrors) Add(field, key string, args ...any) { v[field] = Msg(key, args...) }

// Err returns a validation error when any field failed, else nil.
func (v ValidationErrors) Err() error {
	if len(v) == 0 {
		return nil
	}
	return &Error{Code: CodeValidation, Message: Msg("error.validation_failed"), Fields: v}
}
