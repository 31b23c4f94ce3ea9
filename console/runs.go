package console

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/internal/validate"
	"github.com/reckonhq/reckon/internal/web"
	"github.com/reckonhq/reckon/store"
)

// pageSize is how many runs a list page shows.
const pageSize = 25

// reconciled reports whether a run was settled from evidence outside the
// job that ran it. The compose job records its own decisions in the same
// shape; those are the job's, not a reconciliation.
func reconciled(run *reckon.Run) bool {
	rec := run.Context.Reconciliation
	return rec != nil && rec.Source != reckon.SourceComposeJob
}

// reasonOf is the reason code that explains how a run ended: the
// reconciliation's, else the failure's; "" when there is none.
func reasonOf(run *reckon.Run) string {
	if rec := run.Context.Reconciliation; rec != nil && rec.ReasonCode != "" {
		return rec.ReasonCode
	}
	if run.Failure != nil {
		return run.Failure.ReasonCode
	}
	return ""
}

// runRow is one run in a list.
type runRow struct {
	ID          int64
	Href        string
	Title       string
	TypeLabel   string
	Environment string
	EnvHref     string
	Workspace   string
	Status      badge
	Outcome     badge
	Reconciled  bool
	Note        string // the sentence of a run that did not succeed
	Created     *timeView
	Finished    *timeView
	Live        bool
	// The columns of the table the row is in.
	ShowWorkspace, ShowEnvironment bool
}

// runTable is a list of runs; the same partial shows it on every page.
type runTable struct {
	Rows            []*runRow
	ShowWorkspace   bool
	ShowEnvironment bool
	Empty           string
}

// add appends a row with the table's columns.
func (t *runTable) add(row *runRow) {
	row.ShowWorkspace, row.ShowEnvironment = t.ShowWorkspace, t.ShowEnvironment
	t.Rows = append(t.Rows, row)
}

// rowContext names the workspaces and environments of the rows of a list.
type rowContext struct {
	// href returns the run's page; "" shows the run without a link.
	href         func(run *reckon.Run) string
	envHref      func(run *reckon.Run) string
	environments map[int64]*reckon.Environment
	workspaces   map[int64]*reckon.Workspace
}

func (s *Server) runRow(t tr, run *reckon.Run, rc *rowContext) *runRow {
	row := &runRow{ID: run.ID, Title: "#" + strconv.FormatInt(run.ID, 10), TypeLabel: s.runTypeLabel(t, run.Type),
		Status: statusBadge(t, run.Status), Outcome: outcomeBadge(t, run.Outcome), Reconciled: reconciled(run),
		Created: t.Time(run.CreatedAt), Finished: t.TimePtr(run.CompletedAt), Live: run.Status.Active()}
	if rc.href != nil {
		row.Href = rc.href(run)
	}
	if e, ok := rc.environments[run.EnvironmentID]; ok {
		row.Environment = e.Name
		if rc.envHref != nil {
			row.EnvHref = rc.envHref(run)
		}
	}
	if w, ok := rc.workspaces[run.WorkspaceID]; ok {
		row.Workspace = w.Name
	}
	if run.Status == reckon.RunCompleted && run.Outcome != reckon.OutcomeSucceeded {
		row.Note = s.decisionSentence(t, run)
	}
	return row
}

// option is one choice of a select.
type option struct {
	Value    string
	Label    string
	Selected bool
}

// optionGroup groups the environments of one workspace on system pages.
type optionGroup struct {
	Label   string
	Options []option
}

// filterForm is the filter form of a list, as submitted.
type filterForm struct {
	Action string
	Fields []selectField
	// ShowReconciled adds the run lists' "reconciled only" box.
	ShowReconciled bool
	Reconciled     bool
	PastDeadline   bool
	Active         bool // some filter is set
	Ignored        bool // some parameter was not understood and is ignored
	// Keep are parameters of the page that are not filters (the chart's
	// window) and that applying a filter keeps.
	Keep []keptParam
}

// keptParam is a hidden input of a filter form.
type keptParam struct{ Name, Value string }

// selectField is one labelled choice of a filter form.
type selectField struct {
	ID     string
	Name   string
	Label  string
	Groups []optionGroup
}

// add appends a choice whose options are in one unnamed group.
func (f *filterForm) add(id, name, label string, options []option) {
	f.Fields = append(f.Fields, selectField{ID: id, Name: name, Label: label, Groups: []optionGroup{{Options: options}}})
}

// runFilter reads a run list's filters and position from the query, within
// scope: the caller's workspace and entitlements, or every workspace. A
// value that is not one of the choices is ignored and said so: the list
// still answers. The type choices are the catalog's and those of the
// scope's runs the catalog does not know (a service's, docs/adapters.md).
// The environment choice is added by the caller, who knows which
// environments to offer.
func (s *Server) runFilter(ctx context.Context, t tr, q url.Values, scope store.RunFilter) (store.RunFilter, *filterForm, error) {
	f := scope
	f.Limit = pageSize + 1
	form := &filterForm{ShowReconciled: true}
	var types []reckon.RunType
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		types, err = web.RunTypes(ctx, tx, s.catalog, &scope)
		return err
	})
	if err != nil {
		return f, nil, err
	}
	if v := reckon.RunType(q.Get("type")); v != "" {
		if slices.Contains(types, v) {
			f.Type = v
		} else {
			form.Ignored = true
		}
	}
	if v := q.Get("status"); v != "" {
		if reckon.RunStatus(v).Valid() {
			f.Status = reckon.RunStatus(v)
		} else {
			form.Ignored = true
		}
	}
	if v := q.Get("outcome"); v != "" {
		if reckon.Outcome(v).Valid() {
			f.Outcome = reckon.Outcome(v)
		} else {
			form.Ignored = true
		}
	}
	f.EnvironmentID = positiveID(q.Get("environment"), &form.Ignored)
	f.BeforeID = positiveID(q.Get("before"), &form.Ignored)
	f.ReconciledOnly = flagValue(q.Get("reconciled"), &form.Ignored)
	form.Reconciled = f.ReconciledOnly
	f.PastDeadline = flagValue(q.Get("past_deadline"), &form.Ignored)
	form.PastDeadline = f.PastDeadline
	form.Active = f.Type != "" || f.Status != "" || f.Outcome != "" || f.EnvironmentID != 0 || f.ReconciledOnly || f.PastDeadline

	typeChoices := []option{{Label: t.T("console.filter.any_type")}}
	for _, typ := range types {
		typeChoices = append(typeChoices, option{Value: string(typ), Label: s.runTypeLabel(t, typ), Selected: typ == f.Type})
	}
	form.add("filter-type", "type", t.T("console.filter.type"), typeChoices)
	statuses := []option{{Label: t.T("console.filter.any_status")}}
	for _, st := range []reckon.RunStatus{reckon.RunQueued, reckon.RunRunning, reckon.RunCompleted} {
		statuses = append(statuses, option{Value: string(st), Label: label(t, statusKeys, st), Selected: st == f.Status})
	}
	form.add("filter-status", "status", t.T("console.filter.status"), statuses)
	outcomes := []option{{Label: t.T("console.filter.any_outcome")}}
	for _, o := range []reckon.Outcome{reckon.OutcomePending, reckon.OutcomeSucceeded, reckon.OutcomePartiallySucceeded,
		reckon.OutcomeBlocked, reckon.OutcomeFailed, reckon.OutcomeCancelled} {
		outcomes = append(outcomes, option{Value: string(o), Label: label(t, outcomeKeys, o), Selected: o == f.Outcome})
	}
	form.add("filter-outcome", "outcome", t.T("console.filter.outcome"), outcomes)
	return f, form, nil
}

// addEnvironments adds the environment choice of a filter form, one group
// per workspace (an unnamed group for a workspace's own list).
func (f *filterForm) addEnvironments(t tr, selected int64, groups []optionGroupSource) {
	field := selectField{ID: "filter-environment", Name: "environment", Label: t.T("console.filter.environment"),
		Groups: []optionGroup{{Options: []option{{Label: t.T("console.filter.any_environment")}}}}}
	for _, g := range groups {
		og := optionGroup{Label: g.label}
		for _, e := range g.environments {
			og.Options = append(og.Options, option{Value: idValue(e.ID), Label: e.Name, Selected: e.ID == selected})
		}
		field.Groups = append(field.Groups, og)
	}
	f.Fields = append(f.Fields, field)
}

type optionGroupSource struct {
	label        string
	environments []*reckon.Environment
}

// flagValue reads a box of a filter form: set, unset, or not understood.
func flagValue(s string, ignored *bool) bool {
	switch s {
	case "":
		return false
	case "1", "true", "on":
		return true
	}
	*ignored = true
	return false
}

func positiveID(s string, ignored *bool) int64 {
	if s == "" {
		return 0
	}
	id, ok := validate.ID(s)
	if !ok {
		*ignored = true
		return 0
	}
	return id
}

// pager links a keyset-paged list to its next (older) page and back to
// its first.
type pager struct {
	Older  string
	Newest string
}

// pageOf trims a page read with one extra row and links its neighbours: the
// next page continues below the last id shown.
func pageOf[T any](items []T, limit int, id func(T) int64, base string, q url.Values) ([]T, pager) {
	var next int64
	if len(items) > limit {
		items = items[:limit]
		next = id(items[limit-1])
	}
	return items, pagerLinks(base, q, next)
}

// pagerLinks links the page after the one shown (next is its keyset
// position, 0 on the last page) and, on later pages, the first.
func pagerLinks(base string, q url.Values, next int64) pager {
	var p pager
	if q.Get("before") != "" {
		first := cloneValues(q)
		first.Del("before")
		p.Newest = withQuery(base, first)
	}
	if next != 0 {
		older := cloneValues(q)
		older.Set("before", fmt.Sprint(next))
		p.Older = withQuery(base, older)
	}
	return p
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func withQuery(base string, q url.Values) string {
	if len(q) == 0 {
		return base
	}
	return base + "?" + q.Encode()
}

// environmentsByID indexes environments.
func environmentsByID(list []*reckon.Environment) map[int64]*reckon.Environment {
	m := make(map[int64]*reckon.Environment, len(list))
	for _, e := range list {
		m[e.ID] = e
	}
	return m
}

// Paths of the console, in one place.
func workspacePath(ws string) string { return "/admin/workspaces/" + url.PathEscape(ws) }

func environmentPath(ws string, id int64) string {
	return fmt.Sprintf("%s/environments/%d", workspacePath(ws), id)
}

func operationPath(ws string, id int64) string {
	return fmt.Sprintf("%s/operations/%d", workspacePath(ws), id)
}

func operationsPath(ws string) string { return workspacePath(ws) + "/operations" }

func reviewPath(ws string, id int64) string {
	return fmt.Sprintf("%s/reviews/%d", workspacePath(ws), id)
}

func reviewsPath(ws string) string { return workspacePath(ws) + "/reviews" }

func systemRunPath(id int64) string { return fmt.Sprintf("/system/ops/runs/%d", id) }

func idValue(id int64) string { return strconv.FormatInt(id, 10) }
