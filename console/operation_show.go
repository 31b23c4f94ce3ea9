package console

import (
	"context"
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/internal/web"
	"github.com/reckonhq/reckon/review"
	"github.com/reckonhq/reckon/store"
)

type operationPage struct {
	*layout
	Run  *runDetail
	Back string
}

// runSurroundings are the rows a run's page names: its workspace, its
// environment, its initiator and the review its decision points to.
type runSurroundings struct {
	ws        *reckon.Workspace
	env       *reckon.Environment
	initiator string
	reviewID  int64
	attempts  []*store.RunAttempt
	// takenOverBy are the runs that took over this run's draft;
	// tookOverFrom the runs whose draft this run took over.
	takenOverBy, tookOverFrom []int64
	// failedItems are the first failed items of a restore run.
	failedItems []store.FailedRestoreItem
}

// failedItemsShown is how many failed restore items a run's page lists.
const failedItemsShown = 50

// loadRun reads a run through find — a grant, or platform support's
// unscoped read — with the rows its page names.
func (s *Server) loadRun(ctx context.Context, find func(tx *store.Tx) (*reckon.Run, error)) (*reckon.Run, *runSurroundings, error) {
	var (
		run *reckon.Run
		rs  = &runSurroundings{}
	)
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		if run, err = find(tx); err != nil {
			return err
		}
		rs.reviewID = reviewOfDecision(run)
		if rs.attempts, err = tx.RunAttempts(ctx, run.ID); err != nil {
			return err
		}
		if rs.ws, err = tx.WorkspaceByID(ctx, run.WorkspaceID); err != nil {
			return err
		}
		if run.EnvironmentID != 0 {
			if rs.env, err = tx.Environment(ctx, run.WorkspaceID, run.EnvironmentID); err != nil {
				return err
			}
		}
		if run.InitiatorUserID != 0 {
			u, err := tx.UserByID(ctx, run.InitiatorUserID)
			if err != nil && !store.IsNotFound(err) {
				return err
			}
			if u != nil {
				rs.initiator = u.Name
			}
		}
		if rs.reviewID == 0 && run.Type == reckon.RunTypeReviewCompose {
			v, err := tx.ReviewOfRun(ctx, run.WorkspaceID, run.ID)
			switch {
			case err == nil:
				rs.reviewID = v.ID
			case !store.IsNotFound(err):
				return err
			}
		}
		if rs.reviewID != 0 {
			list, err := review.Takeovers(ctx, tx, run.WorkspaceID, rs.reviewID)
			if err != nil {
				return err
			}
			for _, to := range list {
				switch {
				case to.PreviousRunID == run.ID && to.RunID != 0:
					rs.takenOverBy = append(rs.takenOverBy, to.RunID)
				case to.RunID == run.ID && to.PreviousRunID != 0:
					rs.tookOverFrom = append(rs.tookOverFrom, to.PreviousRunID)
				}
			}
		}
		if run.Type == reckon.RunTypeRestoreExecute && run.Status == reckon.RunCompleted {
			if rs.failedItems, err = tx.FailedRestoreItems(ctx, run.WorkspaceID, run.ID, failedItemsShown); err != nil {
				return err
			}
		}
		return nil
	})
	return run, rs, err
}

// workspaceLinker links a run's diagnostics to a workspace's pages.
func workspaceLinker(slug string) linker {
	return linker{
		run:         func(id int64) string { return operationPath(slug, id) },
		review:      func(id int64) string { return reviewPath(slug, id) },
		environment: func(id int64) string { return environmentPath(slug, id) },
	}
}

// renderRun shows a run's page.
func (s *Server) renderRun(w http.ResponseWriter, r *http.Request, c *call, d *runDetail, section string, ws *reckon.Workspace, back string) error {
	l, err := s.page(r.Context(), r, c, d.Title, section, ws)
	if err != nil {
		return err
	}
	return s.render(w, r, c, http.StatusOK, "operation", &operationPage{layout: l, Run: d, Back: back})
}

func (s *Server) showOperation(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant) error {
	id, err := web.PathID(r, "id", "page")
	if err != nil {
		return err
	}
	run, rs, err := s.loadRun(r.Context(), func(tx *store.Tx) (*reckon.Run, error) {
		return g.Run(r.Context(), tx, id, access.View)
	})
	if err != nil {
		return err
	}
	t := s.tr(c)
	slug := g.Workspace.Slug
	d := s.runDetail(t, run, rs, workspaceLinker(slug))
	d.Action = s.primaryAction(t, run, slug, rs.reviewID, g)
	d.Attempts = attemptViews(t, rs.attempts)
	return s.renderRun(w, r, c, d, "operations", g.Workspace, operationsPath(slug))
}
