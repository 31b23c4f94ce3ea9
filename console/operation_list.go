package console

import (
	"context"
	"net/http"
	"strconv"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/store"
)

type operationsPage struct {
	*layout
	Heading string
	Filter  *filterForm
	Table   *runTable
	Pager   pager
	// Chart counts the filter's runs per day (runs_chart.go).
	Chart *runsChart
	// QueueLink leads platform support to River UI (system_queue.go).
	QueueLink string
	// Bulk acts on every run the filter matches (operation_bulk_confirm.go).
	Bulk *bulkForm
}

// runList reads one page of runs and makes its table. The filter is
// already scoped by the caller (a grant, or platform support).
func (s *Server) runList(ctx context.Context, t tr, f store.RunFilter, base string, r *http.Request, rc *rowContext, table *runTable) (pager, error) {
	var runs []*reckon.Run
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		runs, err = tx.ListRuns(ctx, &f)
		return err
	})
	if err != nil {
		return pager{}, err
	}
	runs, p := pageOf(runs, pageSize, func(run *reckon.Run) int64 { return run.ID }, base, r.URL.Query())
	for _, run := range runs {
		table.add(s.runRow(t, run, rc))
	}
	return p, nil
}

func (s *Server) listOperations(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	ctx := r.Context()
	t := s.tr(c)
	slug := g.Workspace.Slug
	f, form, err := s.runFilter(ctx, t, r.URL.Query(), g.RunFilter(store.RunFilter{}))
	if err != nil {
		return err
	}
	form.Action = operationsPath(slug)
	envs, err := s.visibleEnvironments(ctx, g)
	if err != nil {
		return err
	}
	form.addEnvironments(t, f.EnvironmentID, []optionGroupSource{{environments: envs}})
	table := &runTable{ShowEnvironment: true, Empty: t.T("console.operations.empty")}
	p, err := s.runList(ctx, t, f, form.Action, r, workspaceRows(slug, envs), table)
	if err != nil {
		return err
	}
	chart, err := s.runsChart(ctx, t, f, form.Action, r.URL.Query())
	if err != nil {
		return err
	}
	if span := spanOf(r.URL.Query()); span != chartSpans[0] {
		form.Keep = append(form.Keep, keptParam{Name: "days", Value: strconv.Itoa(span)})
	}
	title := t.T("console.operations.title")
	l, err := s.page(ctx, r, c, title, "operations", g.Workspace)
	if err != nil {
		return err
	}
	return s.render(w, r, c, http.StatusOK, "operations", &operationsPage{layout: l, Heading: title, Filter: form, Table: table, Pager: p,
		Chart: chart, Bulk: s.bulkFormOf(t, slug, r.URL.Query(), form, g)})
}

// workspaceRows links the rows of a workspace's run list.
func workspaceRows(slug string, envs []*reckon.Environment) *rowContext {
	return &rowContext{
		href:         func(run *reckon.Run) string { return operationPath(slug, run.ID) },
		envHref:      func(run *reckon.Run) string { return environmentPath(slug, run.EnvironmentID) },
		environments: environmentsByID(envs),
	}
}

// visibleEnvironments are the environments of the grant's workspace the
// member sees.
func (s *Server) visibleEnvironments(ctx context.Context, g *access.Grant) (envs []*reckon.Environment, err error) {
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		envs, err = g.VisibleEnvironments(ctx, tx)
		return err
	})
	return envs, err
}
