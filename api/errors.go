package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/reckonhq/reckon"
)

// StatusOf is the HTTP status of an error code, for the other surfaces
// that answer over HTTP (the console).
func StatusOf(code reckon.ErrorCode) int { return statusOf(code) }

// statusOf maps reckon's error codes to HTTP: the one place where that
// happens.
func statusOf(code reckon.ErrorCode) int {
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
	case reckon.CodeValidation, reckon.CodeNoEvidence, reckon.CodeTenantMismatch:
		return http.StatusUnprocessableEntity
	case reckon.CodeSchemaBehind:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorJSON `json:"error"`
}

type errorJSON struct {
	Code      reckon.ErrorCode  `json:"code"`
	Message   string            `json:"message"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// writeError answers err in the request's language. Coded errors show their
// code and message; anything else is an internal error whose cause goes to
// the log under the request id and never into the response.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, lang string, err error) {
	reqID := RequestID(r.Context())
	var e *reckon.Error
	if !errors.As(err, &e) || statusOf(e.Code) >= 500 {
		code := reckon.CodeInternal
		if e != nil {
			code = e.Code
		}
		s.log.ErrorContext(r.Context(), "request failed", "request_id", reqID, "route", r.Pattern, "error", err)
		key := "error.internal"
		if code == reckon.CodeSchemaBehind {
			key = "api.unavailable"
		}
		writeJSON(w, statusOf(code), errorBody{Error: errorJSON{Code: code,
			Message: s.text.Translate(lang, key, nil), RequestID: reqID}})
		return
	}
	body := errorJSON{Code: e.Code, Message: s.text.Message(lang, e.Message), RequestID: reqID}
	if len(e.Fields) > 0 {
		body.Fields = make(map[string]string, len(e.Fields))
		for field, m := range e.Fields {
			body.Fields[field] = s.text.Message(lang, m)
		}
	}
	if e.Err != nil {
		s.log.DebugContext(r.Context(), "request refused", "request_id", reqID, "code", string(e.Code), slog.Any("cause", e.Err))
	}
	writeJSON(w, statusOf(e.Code), errorBody{Error: body})
}

// malformed is a 400 answer about the request itself.
func malformed(key string, args ...any) error {
	return &reckon.Error{Code: reckon.CodeMalformed, Message: reckon.Msg(key, args...)}
}
