package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/store"
)

// StatusOf maps reckon's error codes to HTTP: the one place where that
// happens.
func StatusOf(code reckon.ErrorCode) int {
	switch code {
	case reckon.CodeMalformed:
		return http.StatusBadRequest
	case reckon.CodeUnauthorized:
		return http.StatusUnauthorized
	case reckon.CodeForbidden:
		return http.StatusForbidden
	case reckon.CodeNotFound:
		return http.StatusNotFound
	case reckon.CodeConflict, reckon.CodeInvalidTransition:
		return http.StatusConflict
	case reckon.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case reckon.CodeUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	case reckon.CodeValidation, reckon.CodeNoEvidence, reckon.CodeTenantMismatch:
		return http.StatusUnprocessableEntity
	case reckon.CodeSchemaBehind, reckon.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// RetryAfterSeconds is the Retry-After of an answer about a database that
// is unavailable for the moment: long enough for a connection cut or a
// server restart to pass.
const RetryAfterSeconds = "2"

// RetryAfter sets Retry-After on an answer with code that the caller should
// simply send again later.
func RetryAfter(w http.ResponseWriter, code reckon.ErrorCode) {
	if code == reckon.CodeUnavailable {
		w.Header().Set("Retry-After", RetryAfterSeconds)
	}
}

// Explain returns the coded error a request's err answers with, and
// whether it is internal. An error without a code, and a code that answers
// 5xx, is internal: its cause goes to the log under the request id, and
// the caller is shown no more than the code (CodeInternal when it had
// none). A database that stayed unavailable through the store's retries
// answers CodeUnavailable, whatever code was wrapped around it.
func Explain(log *slog.Logger, r *http.Request, err error) (e *reckon.Error, internal bool) {
	switch {
	case store.IsUnavailable(err):
		e = &reckon.Error{Code: reckon.CodeUnavailable}
	case !errors.As(err, &e):
		e = &reckon.Error{Code: reckon.CodeInternal}
	}
	if StatusOf(e.Code) < 500 {
		return e, false
	}
	log.ErrorContext(r.Context(), "request failed", "request_id", RequestID(r.Context()), "route", r.Pattern, "error", err)
	return e, true
}
