package console

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/reckonhq/reckon"
	"github.com/reckonhq/reckon/ledger"
	"github.com/reckonhq/reckon/store"
)

type notificationsPage struct {
	*layout
	Items   []*notificationItem
	Pager   pager
	AnyOpen bool
	Views   []link // all, unread, failures; the current one without Href
	Muted   bool
	Ignored bool
}

// notificationViews are the notification list's filters, by their
// parameter value ("" for all).
var notificationViews = []struct{ value, key string }{
	{"", "console.notifications.all"},
	{"unread", "console.notifications.unread"},
	{"failures", "console.notifications.failures"},
}

// notificationFilter is what a user's notifications are filtered by: the
// view asked for, and their muting.
func notificationFilter(show string, c *call) store.NotificationFilter {
	f := store.NotificationFilter{UnreadOnly: show == "unread", FailuresOnly: show == "failures"}
	if c.session != nil {
		f.HideSucceeded = c.session.Settings.MuteSuccess
	}
	return f
}

type notificationItem struct {
	ID        int64
	Unread    bool
	Heading   string
	Text      string
	Outcome   badge
	Link      *link
	Workspace link
	Created   *timeView
	ReadHref  string
}

func (s *Server) listNotifications(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	t := s.tr(c)
	q := r.URL.Query()
	var ignored bool
	before := positiveID(q.Get("before"), &ignored)
	show := q.Get("show")
	known := false
	for _, v := range notificationViews {
		known = known || v.value == show
	}
	if !known {
		show, ignored = "", true
	}
	f := notificationFilter(show, c)
	var (
		list []*store.Notification
		p    = &notificationsPage{Muted: f.HideSucceeded, Ignored: ignored}
	)
	for _, v := range notificationViews {
		l := link{Text: t.T(v.key)}
		if v.value != show {
			l.Href = "/notifications"
			if v.value != "" {
				l.Href += "?show=" + v.value
			}
		}
		p.Views = append(p.Views, l)
	}
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		p.Items, p.AnyOpen = nil, false // afresh when the transaction runs again
		if list, err = tx.NotificationsOf(ctx, c.User.ID, f, before, pageSize+1); err != nil {
			return err
		}
		list, p.Pager = pageOf(list, pageSize, func(n *store.Notification) int64 { return n.ID }, "/notifications", q)
		names := &names{tx: tx, workspaces: map[int64]*reckon.Workspace{}, environments: map[int64]*reckon.Environment{}}
		for _, n := range list {
			item, err := s.notificationItem(ctx, t, n, names)
			if err != nil {
				return err
			}
			p.AnyOpen = p.AnyOpen || item.Unread
			p.Items = append(p.Items, item)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if p.layout, err = s.page(ctx, r, c, t.T("console.notifications.title"), "notifications", nil); err != nil {
		return err
	}
	return s.render(w, r, c, http.StatusOK, "notifications", p)
}

// names looks up the workspaces and environments notifications name, once
// each.
type names struct {
	tx           *store.Tx
	workspaces   map[int64]*reckon.Workspace
	environments map[int64]*reckon.Environment
}

func (n *names) workspace(ctx context.Context, id int64) (*reckon.Workspace, error) {
	if ws, ok := n.workspaces[id]; ok {
		return ws, nil
	}
	ws, err := n.tx.WorkspaceByID(ctx, id)
	if err != nil {
		return nil, err
	}
	n.workspaces[id] = ws
	return ws, nil
}

func (n *names) environment(ctx context.Context, workspaceID, id int64) (*reckon.Environment, error) {
	if e, ok := n.environments[id]; ok {
		return e, nil
	}
	e, err := n.tx.Environment(ctx, workspaceID, id)
	if store.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	n.environments[id] = e
	return e, nil
}

// notificationItem says what a notification is about: which run ended,
// where, how, and why.
func (s *Server) notificationItem(ctx context.Context, t tr, n *store.Notification, names *names) (*notificationItem, error) {
	item := &notificationItem{ID: n.ID, Unread: n.ReadAt == nil, Created: t.Time(n.CreatedAt),
		ReadHref: "/notifications/" + idValue(n.ID) + "/read"}
	ws, err := names.workspace(ctx, n.WorkspaceID)
	if err != nil {
		return nil, err
	}
	item.Workspace = link{Text: ws.Name, Href: workspacePath(ws.Slug)}
	var payload ledger.NotificationPayload
	if n.Kind != ledger.NotificationRunCompleted || json.Unmarshal(n.Payload, &payload) != nil {
		item.Heading = t.T("console.notifications.other")
		return item, nil
	}
	where := ws.Name
	if payload.EnvironmentID != 0 {
		e, err := names.environment(ctx, n.WorkspaceID, payload.EnvironmentID)
		if err != nil {
			return nil, err
		}
		if e != nil {
			where = e.Name
		}
	}
	item.Heading = t.T("console.notifications.run_ended", "type", s.runTypeLabel(t, payload.Type), "where", where)
	item.Outcome = outcomeBadge(t, payload.Outcome)
	if sentence, ok := t.Reason(payload.ReasonCode); ok {
		item.Text = sentence
	} else if key, ok := decisionKeys[payload.Outcome]; ok {
		item.Text = t.T(key)
	}
	item.Link = &link{Text: t.T("console.action.open_operation"), Href: operationPath(ws.Slug, payload.RunID)}
	return item, nil
}
