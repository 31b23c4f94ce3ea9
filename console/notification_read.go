package console

import (
	"net/http"

	"github.com/reckonhq/reckon/internal/web"
	"github.com/reckonhq/reckon/store"
)

// readNotification marks one of the caller's notifications read.
func (s *Server) readNotification(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := web.PathID(r, "id", "page")
	if err != nil {
		return err
	}
	ctx := r.Context()
	err = s.db.InTx(ctx, func(tx *store.Tx) error { return tx.MarkNotificationRead(ctx, c.User.ID, id) })
	if store.IsNotFound(err) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, localPath(r.PostFormValue("return"), "/notifications"), http.StatusSeeOther)
	return nil
}

// readAllNotifications marks every notification of the caller read.
func (s *Server) readAllNotifications(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.MarkAllNotificationsRead(ctx, c.User.ID)
		return err
	})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
	return nil
}
