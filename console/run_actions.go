package console

import (
	"context"
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/access"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/operator"
)

// actionForm is a run's operator actions that take a note: one form, one
// note field, a button per action (each posts to its own route). The
// form's own target is its first button's, so that Enter in the note
// field takes that action.
type actionForm struct {
	Href    string
	Buttons []*action
}

// runActions places a run's actions: the decision's primary action, and
// the form of those that take a note — the primary one first when it is
// one of them, then cancel, retry and acknowledge as the run's state and
// the caller's role allow.
func (s *Server) runActions(t tr, run *reckon.Run, rs *runSurroundings, ws string, g *access.Grant) (*action, *actionForm) {
	primary := s.primaryAction(t, run, ws, rs, g)
	var buttons []*action
	if primary != nil && primary.Noted {
		primary.Primary = true
		buttons = append(buttons, primary)
	}
	if s.operator != nil {
		base := operationPath(ws, run.ID)
		offered := func(href string) bool { return len(buttons) > 0 && buttons[0].Href == href }
		if run.Status.Active() && g.Can(access.Cancel) {
			buttons = append(buttons, &action{Label: t.T("console.action.cancel_run"), Href: base + "/cancel", Post: true, Noted: true})
		}
		if s.retryable(run, g) && !offered(base+"/retry") {
			buttons = append(buttons, &action{Label: t.T("console.action.retry"), Href: base + "/retry", Post: true, Noted: true})
		}
		if ledger.Acknowledgeable(run) && rs.ack == nil && g.Can(access.Acknowledge) {
			buttons = append(buttons, &action{Label: t.T("console.action.acknowledge"), Href: base + "/acknowledge", Post: true, Noted: true})
		}
	}
	if primary != nil && primary.Noted {
		primary = nil
	}
	if len(buttons) == 0 {
		return primary, nil
	}
	return primary, &actionForm{Href: buttons[0].Href, Buttons: buttons}
}

// operatorAct is an operator action on one run with the operator's note.
type operatorAct func(ctx context.Context, workspaceID, runID int64, by operator.Actor, note string) (*operator.Outcome, error)

// operatorAction takes an action on the run of the path with the form's
// note and goes back to the run's page, whose message says what happened
// (said, from the action's outcome). A refusal the page can explain — the
// run is not in a state the action applies to, the note is too long — is
// that message instead.
func (s *Server) operatorAction(w http.ResponseWriter, r *http.Request, c *call, g *access.Grant, act operatorAct,
	said func(slug string, out *operator.Outcome) *flash) error {
	if s.operator == nil {
		return errNotFound
	}
	back := operationPath(g.Workspace.Slug, c.Run.ID)
	out, err := act(r.Context(), g.Workspace.ID, c.Run.ID, operator.Actor{UserID: c.User.ID}, r.PostFormValue("note"))
	if err != nil {
		return s.formError(w, r, c, back, err)
	}
	return s.redirectWithFlash(w, r, c, back, said(g.Workspace.Slug, out))
}

// changedOr is the flash of an action that changed the run (key, a
// success) or found it done already (already, for information).
func changedOr(out *operator.Outcome, key, already string) *flash {
	if out.Changed {
		return &flash{Level: levelSuccess, Message: reckon.Msg(key)}
	}
	return &flash{Level: levelInfo, Message: reckon.Msg(already)}
}
