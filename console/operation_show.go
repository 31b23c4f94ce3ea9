package console

import (
	"context"
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/internal/web"
	"github.com/reckonhq/reckon/operator"
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
	// timeline is what happened to the run (nil without the operator
	// service), ack its acknowledgement, retry the run that retried it and
	// kept the review its ambiguity was resolved with (0 for none).
	timeline *operator.Timeline
	ack      *store.RunAcknowledgement
	retry    *reckon.Run
	kept     int64
	// snapshot is the evidence a compose run composes; competitors the
	// reviews an ambiguity is between, with their evidence and scores.
	snapshot    *reckon.Snapshot
	competitors []competitor
	// names are the users the page names (initiator, actors, authors).
	names map[int64]string
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
		return s.loadOperatorRecords(ctx, tx, run, rs)
	})
	return run, rs, err
}

// loadOperatorRecords reads what operators did and may do about a run: its
// timeline, its acknowledgement, its retry (and the review a resolution
// kept), its evidence, an ambiguity's competing reviews, and the names of
// the people these name.
func (s *Server) loadOperatorRecords(ctx context.Context, tx *store.Tx, run *reckon.Run, rs *runSurroundings) (err error) {
	if id := run.Context.EvidenceSnapshotID; id != 0 {
		if rs.snapshot, err = tx.Snapshot(ctx, run.WorkspaceID, id); err != nil && !store.IsNotFound(err) {
			return err
		}
	}
	if id := run.Context.RetriedBy; id != 0 {
		if rs.retry, err = tx.Run(ctx, run.WorkspaceID, id); err != nil {
			return err
		}
		rs.kept = operator.ResolutionOf(rs.retry)
	}
	if review.Ambiguous(run) {
		if rs.competitors, err = loadCompetitors(ctx, tx, run); err != nil {
			return err
		}
	}
	if s.operator != nil {
		if rs.timeline, err = s.operator.EventsTx(ctx, tx, run.WorkspaceID, run.ID); err != nil {
			return err
		}
		rs.ack = rs.timeline.Acknowledged
	}
	rs.names, err = userNames(ctx, tx, rs.userIDs(run))
	rs.initiator = rs.names[run.InitiatorUserID]
	return err
}

// userIDs are the users a run's page names.
func (rs *runSurroundings) userIDs(run *reckon.Run) []int64 {
	ids := []int64{run.InitiatorUserID}
	if rec := run.Context.Reconciliation; rec != nil {
		ids = append(ids, actorUserID(rec.Evidence.ResolvedBy))
	}
	if rs.timeline != nil {
		for _, e := range rs.timeline.Events {
			ids = append(ids, actorUserID(e.Actor))
		}
	}
	if rs.ack != nil {
		ids = append(ids, actorUserID(rs.ack.Actor))
	}
	if rs.retry != nil && rs.retry.Context.Reconciliation != nil {
		ids = append(ids, actorUserID(rs.retry.Context.Reconciliation.Evidence.ResolvedBy))
	}
	for _, c := range rs.competitors {
		ids = append(ids, c.review.CreatedBy)
	}
	return ids
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
	l := workspaceLinker(slug)
	d := s.runDetail(t, run, rs, l)
	s.operatorDetail(t, d, run, rs, l, slug, g, c.User.IsPlatformSupport)
	return s.renderRun(w, r, c, d, "operations", g.Workspace, operationsPath(slug))
}

// operatorDetail adds what operators did and may do to a run's page: the
// actions a member may take (none when g is nil), how its ambiguity was
// settled, its acknowledgement, the competing reviews and the timeline.
// support links the queue job to River UI.
func (s *Server) operatorDetail(t tr, d *runDetail, run *reckon.Run, rs *runSurroundings, l linker, ws string, g *access.Grant, support bool) {
	if g != nil {
		d.Action, d.Form = s.runActions(t, run, rs, ws, g)
	}
	if rs.kept != 0 {
		d.Resolved, d.Check = resolvedSentence(t, rs.retry, rs.kept, rs.names), ""
	}
	if a := rs.ack; a != nil {
		d.Diagnostics = append(d.Diagnostics, fact{Label: t.T("console.diag.acknowledged"),
			Text: actorName(t, a.Actor, rs.names), Time: t.Time(a.CreatedAt), Note: a.Note})
	}
	if len(rs.competitors) > 0 {
		form := ""
		if g != nil && s.operator != nil && run.Context.RetriedBy == 0 && g.Can(access.ResolveAmbiguity) {
			form = operationPath(ws, run.ID) + "/resolve"
		}
		d.Competitors = competitorsOf(t, rs.competitors, rs.kept, rs.names, l, form)
	}
	if rs.timeline == nil {
		d.Attempts = attemptViews(t, rs.attempts)
		return
	}
	var job func(int64) string
	if support && s.queueUI != nil {
		job = queueJobLink
	}
	d.Timeline = timelineOf(t, rs.timeline, rs, l, job)
}
