package console

import "net/http"

// logout ends the session and goes to the sign-in page.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.endSession(r.Context(), w, r, c); err != nil {
		return err
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
