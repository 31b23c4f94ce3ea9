package console

import (
	"net/http"
	"net/url"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/operator"
	"github.com/reckonhq/reckon/store"
)

// bulkActions are the bulk actions in the order the list offers them.
var bulkActions = []operator.BulkAction{operator.BulkRetry, operator.BulkReconcile, operator.BulkAcknowledge, operator.BulkCancel}

// bulkActionKeys label the bulk actions; confirmKeys ask whether to take
// one on n runs (.one, .other).
var (
	bulkActionKeys = map[operator.BulkAction]string{
		operator.BulkRetry:       "console.bulk.action.retry",
		operator.BulkReconcile:   "console.bulk.action.reconcile",
		operator.BulkAcknowledge: "console.bulk.action.acknowledge",
		operator.BulkCancel:      "console.bulk.action.cancel",
	}
	bulkConfirmKeys = map[operator.BulkAction]struct{ one, other string }{
		operator.BulkRetry:       {"console.bulk.confirm.retry.one", "console.bulk.confirm.retry.other"},
		operator.BulkReconcile:   {"console.bulk.confirm.reconcile.one", "console.bulk.confirm.reconcile.other"},
		operator.BulkAcknowledge: {"console.bulk.confirm.acknowledge.one", "console.bulk.confirm.acknowledge.other"},
		operator.BulkCancel:      {"console.bulk.confirm.cancel.one", "console.bulk.confirm.cancel.other"},
	}
)

// bulkForm is the operations list's form that acts on every run its filter
// matches: it leads to the confirmation page.
type bulkForm struct {
	Href    string
	Hidden  []hiddenField
	Options []option
}

type hiddenField struct{ Name, Value string }

// filterParams are the run list's filter parameters, in the form's order.
var filterParams = []string{"type", "status", "outcome", "environment", "reconciled", "past_deadline"}

// filterQuery is a run list's filter as query parameters, without the
// page position.
func filterQuery(q url.Values) url.Values {
	out := url.Values{}
	for _, name := range filterParams {
		if v := q.Get(name); v != "" {
			out.Set(name, v)
		}
	}
	return out
}

// bulkFormOf is the list's bulk form for a filter, with the actions the
// caller's role allows; nil without a filter (a bulk action never acts on
// every run there is) or without an action to offer.
func (s *Server) bulkFormOf(t tr, slug string, q url.Values, form *filterForm, g *access.Grant) *bulkForm {
	if s.operator == nil || !form.Active {
		return nil
	}
	b := &bulkForm{Href: operationsPath(slug) + "/bulk"}
	for _, a := range bulkActions {
		if need, _ := a.Need(); g.Can(need) {
			b.Options = append(b.Options, option{Value: string(a), Label: t.T(bulkActionKeys[a])})
		}
	}
	if len(b.Options) == 0 {
		return nil
	}
	fq := filterQuery(q)
	for _, name := range filterParams {
		if fq.Has(name) {
			b.Hidden = append(b.Hidden, hiddenField{Name: name, Value: fq.Get(name)})
		}
	}
	return b
}

// bulkAction reads a bulk action and checks the caller's role may take it.
func bulkAction(v string, g *access.Grant) (operator.BulkAction, error) {
	a := operator.BulkAction(v)
	need, ok := a.Need()
	if !ok {
		return "", errNotFound
	}
	return a, g.Require(need)
}

type bulkConfirmPage struct {
	*layout
	Heading string
	Filter  []string
	Count   int64
	Large   string // said when the runs are handled as a bulk run
	Apply   string // the form's target: the bulk route with the filter
	Action  string
	Button  string
	Back    string
}

// confirmBulk asks whether to act on every run the filter matches, and
// says how many that is.
func (s *Server) confirmBulk(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	ctx := r.Context()
	t := s.tr(c)
	req, err := s.bulkRequestOf(w, r, c, g, r.URL.Query().Get("action"))
	if req == nil {
		return err
	}
	action, f, form := req.action, req.filter, req.form
	var count int64
	if err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		count, err = tx.CountMatchingRuns(ctx, &f, 0)
		return err
	}); err != nil {
		return err
	}
	key := bulkConfirmKeys[action].other
	if count == 1 {
		key = bulkConfirmKeys[action].one
	}
	p := &bulkConfirmPage{Heading: t.T(key, "n", count), Count: count, Action: string(action),
		Apply: withQuery(operationsPath(g.Workspace.Slug)+"/bulk", filterQuery(r.URL.Query())), Button: t.T(bulkActionKeys[action]),
		Back: req.back}
	for _, field := range form.Fields {
		for _, group := range field.Groups {
			for _, o := range group.Options {
				if o.Selected && o.Value != "" {
					p.Filter = append(p.Filter, field.Label+": "+o.Label)
				}
			}
		}
	}
	if form.Reconciled {
		p.Filter = append(p.Filter, t.T("console.filter.reconciled"))
	}
	if form.PastDeadline {
		p.Filter = append(p.Filter, t.T("console.filter.past_deadline"))
	}
	if count == 0 {
		p.Heading = t.T("console.bulk.none")
	}
	if count > operator.BulkSyncLimit {
		p.Large = t.T("console.bulk.large", "limit", operator.BulkSyncLimit)
	}
	if p.layout, err = s.page(ctx, r, c, p.Heading, "operations", g.Workspace); err != nil {
		return err
	}
	return s.render(w, r, c, http.StatusOK, "operations_bulk", p)
}

// bulkRequest is a bulk action asked for from the operations list.
type bulkRequest struct {
	action operator.BulkAction
	// filter is the list's filter of the query, narrowed by the grant and
	// scoped as Bulk scopes it (every matching run, bulk runs left out);
	// form is how the list shows it.
	filter store.RunFilter
	form   *filterForm
	// back is the list with the filter.
	back string
}

// bulkRequestOf reads a bulk request: the action, which the caller's role
// must allow, and the filter of the query, read as the list reads it.
// Without a filter there is nothing to act on — a bulk action never takes
// every run there is — and it answers itself, back to the list with a
// message: the request is nil then, and so is the error.
func (s *Server) bulkRequestOf(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant, action string) (*bulkRequest, error) {
	if s.operator == nil {
		return nil, errNotFound
	}
	a, err := bulkAction(action, g)
	if err != nil {
		return nil, err
	}
	t, q := s.tr(c), r.URL.Query()
	f, form, err := s.runFilter(r.Context(), t, q, g.RunFilter(store.RunFilter{}))
	if err != nil {
		return nil, err
	}
	envs, err := s.visibleEnvironments(r.Context(), g)
	if err != nil {
		return nil, err
	}
	form.addEnvironments(t, f.EnvironmentID, []optionGroupSource{{environments: envs}})
	req := &bulkRequest{action: a, filter: f, form: form, back: withQuery(operationsPath(g.Workspace.Slug), filterQuery(q))}
	req.filter.BeforeID, req.filter.Limit, req.filter.NotType = 0, 0, reckon.RunTypeBulk
	if !form.Active {
		return nil, s.redirectWithFlash(w, r, c, req.back, &flash{Level: levelError, Message: reckon.Msg("console.bulk.no_filter")})
	}
	return req, nil
}
