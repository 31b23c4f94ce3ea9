package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/reckonhq/reckon/internal/web"
	"github.com/reckonhq/reckon/store"
)

// QueuePath is where River UI is mounted: platform support's view of the
// job queue.
const QueuePath = "/system/queue"

// ActionQueueRefused is the audit action of a River UI change refused.
const ActionQueueRefused = "queue.action_refused"

// queueRoute is platform support's route to River UI. Unlike the other
// signed-in pages it sends an anonymous visitor no sign-in redirect: for
// everyone but support the queue does not exist.
func (s *Server) queueRoute() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{}
		err := web.Resolve(r, s.db, web.Need{SignedIn: true, System: true}, s.sessionOf(r, c), &c.Access)
		c.lang = s.language(r, c.User)
		if errors.Is(err, web.ErrSignedOut) {
			err = errNotFound
		}
		if err == nil {
			w.Header().Set("Cache-Control", "no-store")
			err = s.showQueue(w, r, c)
		}
		if err != nil {
			s.renderError(w, r, c, err)
		}
	})
}

// showQueue serves River UI to platform support, read-only. River UI has
// no read-only mode, so its changes (cancel, delete, retry, pause, resume,
// update — every method but GET and HEAD) are refused here and recorded in
// the audit trail: jobs belong to runs, and only the ledger and the
// reconciler settle runs. Without a queue view (a process without a
// queue) the page does not exist.
func (s *Server) showQueue(w http.ResponseWriter, r *http.Request, c *call) error {
	if s.queueUI == nil {
		return errNotFound
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		s.queueUI.ServeHTTP(w, r)
		return nil
	}
	meta, err := json.Marshal(struct {
		Method string `json:"method"`
		Route  string `json:"route"`
	}{r.Method, r.URL.Path})
	if err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error {
		return tx.InsertAudit(r.Context(), &store.AuditEvent{Actor: fmt.Sprintf("user:%d", c.User.ID),
			Action: ActionQueueRefused, SubjectType: "queue", SubjectID: 0, Metadata: meta})
	}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	_, err = w.Write([]byte(`{"message":"The job queue is read-only here: runs settle through reckon's ledger and reconciler."}` + "\n"))
	return err
}
