package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/store"
)

type bulkBody struct {
	Action operator.BulkAction        `json:"action"`
	Filter map[string]json.RawMessage `json:"filter"`
	Note   string                     `json:"note"`
}

type bulkJSON struct {
	Action    operator.BulkAction `json:"action"`
	Matched   *int64              `json:"matched"`
	Changed   *int64              `json:"changed"`
	Skipped   *int64              `json:"skipped"`
	Operation *runJSON            `json:"operation"`
}

// filterValues turns a bulk request's filter object into the list's query
// parameters, so that both are read by one parser: strings, numbers and
// booleans as a query string would carry them.
func filterValues(filter map[string]json.RawMessage) (url.Values, error) {
	v := url.Values{}
	for name, raw := range filter {
		var x any
		if err := json.Unmarshal(raw, &x); err != nil {
			return nil, malformed("api.json_syntax", "line", 1, "column", 1)
		}
		switch x := x.(type) {
		case string:
			v.Set(name, x)
		case bool:
			v.Set(name, strconv.FormatBool(x))
		case float64:
			v.Set(name, strconv.FormatFloat(x, 'f', -1, 64))
		default:
			return nil, fieldError("filter."+name, "api.field_type", "want", "string")
		}
	}
	return v, nil
}

// bulkOperations acts on every run the filter matches: 200 with the counts
// when the set is small, 202 with the bulk run that works through it
// otherwise.
func (s *Server) bulkOperations(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	var body bulkBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	need, ok := body.Action.Need()
	if !ok {
		return fieldError("action", "api.param_enum", "allowed", "retry, reconcile, acknowledge, cancel")
	}
	if err := g.Require(need); err != nil {
		return err
	}
	values, err := filterValues(body.Filter)
	if err != nil {
		return err
	}
	for _, name := range []string{"limit", "cursor"} {
		if values.Has(name) {
			return fieldError("filter."+name, "api.bulk_filter_paging")
		}
	}
	q := newQueryOf(values)
	f, err := s.runFilterOf(r.Context(), q, g.RunFilter(store.RunFilter{}))
	if err != nil {
		return err
	}
	if err := q.err(); err != nil {
		return err
	}
	out, err := s.operator.Bulk(r.Context(), &operator.BulkParams{WorkspaceID: g.Workspace.ID, Action: body.Action,
		Filter: f, Note: body.Note, By: operator.Actor{UserID: c.User.ID}, MayRestore: g.Can(access.Restore)})
	if err != nil {
		return err
	}
	v := bulkJSON{Action: body.Action}
	if out.Run != nil {
		v.Operation = s.runView(out.Run, g.Workspace.Slug, c.lang)
		writeJSON(w, http.StatusAccepted, v)
		return nil
	}
	v.Matched, v.Changed, v.Skipped = &out.Summary.Matched, &out.Summary.Changed, &out.Summary.Skipped
	writeJSON(w, http.StatusOK, v)
	return nil
}
