package api

import (
	"log/slog"
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/internal/web"
)

// RequestIDHeader carries the request id in every answer, so that a user
// can quote it and an operator find the log line.
const RequestIDHeader = web.RequestIDHeader

// Observe wraps a handler with reckon's request observation (web.Observe);
// a recovered panic answers a bare JSON 500 with the request id, while the
// stack goes to the log only.
func Observe(log *slog.Logger, next http.Handler) http.Handler {
	return web.Observe(log, next, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusInternalServerError, errorBody{Error: errorJSON{
			Code: reckon.CodeInternal, Message: "internal error", RequestID: web.RequestID(r.Context())}})
	})
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
	reqID := web.RequestID(r.Context())
	e, internal := web.Explain(s.log, r, err)
	if internal {
		key := "error.internal"
		if web.StatusOf(e.Code) == http.StatusServiceUnavailable {
			key = "api.unavailable"
		}
		web.RetryAfter(w, e.Code)
		writeJSON(w, web.StatusOf(e.Code), errorBody{Error: errorJSON{Code: e.Code,
			Message: s.text.Translate(lang, key, nil), RequestID: reqID}})
		return
	}
	body := s.errorView(lang, e)
	body.RequestID = reqID
	if e.Err != nil {
		s.log.DebugContext(r.Context(), "request refused", "request_id", reqID, "code", string(e.Code), slog.Any("cause", e.Err))
	}
	writeJSON(w, web.StatusOf(e.Code), errorBody{Error: body})
}

// errorView is a coded error in the request's language.
func (s *Server) errorView(lang string, e *reckon.Error) errorJSON {
	body := errorJSON{Code: e.Code, Message: s.text.Message(lang, e.Message)}
	if len(e.Fields) > 0 {
		body.Fields = make(map[string]string, len(e.Fields))
		for field, m := range e.Fields {
			body.Fields[field] = s.text.Message(lang, m)
		}
	}
	return body
}

// malformed is a 400 answer about the request itself.
func malformed(key string, args ...any) error {
	return &reckon.Error{Code: reckon.CodeMalformed, Message: reckon.Msg(key, args...)}
}
