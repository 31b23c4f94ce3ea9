package console

import (
	"errors"
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/internal/web"
)

var (
	errNotFound     = access.NotFound("page")
	errUnauthorized = &reckon.Error{Code: reckon.CodeUnauthorized, Message: reckon.Msg("console.error.signed_out")}
	// errPanic stands for a recovered panic, whose value is in the log.
	errPanic = errors.New("console: panic")
)

type errorPage struct {
	*layout
	Status  int
	Heading string
	Text    string
	// RequestID is shown for internal errors, so that an operator can find
	// the cause in the log.
	RequestID string
}

// Headings of the error pages, by status.
var errorHeadings = map[int]string{
	http.StatusUnauthorized:        "console.error.heading.unauthorized",
	http.StatusForbidden:           "console.error.heading.forbidden",
	http.StatusNotFound:            "console.error.heading.not_found",
	http.StatusConflict:            "console.error.heading.conflict",
	http.StatusUnprocessableEntity: "console.error.heading.invalid",
	http.StatusServiceUnavailable:  "console.error.heading.unavailable",
	http.StatusInternalServerError: "console.error.heading.internal",
}

// renderError answers an error with a page in the request's language.
// Coded errors show their message; anything else is an internal error
// whose cause goes to the log only.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, c *call, err error) {
	t := s.tr(c)
	reqID := web.RequestID(r.Context())
	e, internal := web.Explain(s.log, r, err)
	status := web.StatusOf(e.Code)
	text := t.T("console.error.internal")
	switch {
	case internal:
		if status == http.StatusServiceUnavailable {
			text = t.T("console.error.unavailable")
			web.RetryAfter(w, e.Code)
		}
	case status == http.StatusNotFound:
		// What the caller may not see and what does not exist read alike.
		text = t.T("console.error.not_found")
		reqID = ""
	default:
		text = t.Msg(e.Message)
		reqID = ""
	}
	key, ok := errorHeadings[status]
	if !ok {
		key = "console.error.heading.invalid"
	}
	heading := t.T(key)
	l, lerr := s.page(r.Context(), r, c, heading, "", nil)
	if lerr != nil {
		// The layout itself needs the database; without it, a bare page.
		l = &layout{Lang: c.lang, Title: heading}
	}
	p := &errorPage{layout: l, Status: status, Heading: heading, Text: text, RequestID: reqID}
	if rerr := s.render(w, r, c, status, "error", p); rerr != nil {
		s.log.ErrorContext(r.Context(), "console error page failed", "request_id", reqID, "error", rerr)
		http.Error(w, http.StatusText(status), status)
	}
}
