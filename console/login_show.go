package console

import (
	"net/http"
)

type loginPage struct {
	*layout
	Email string
	Next  string
	Error string
}

// showLogin shows the sign-in form; someone signed in goes on at once.
func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, c *call) error {
	next := localPath(r.URL.Query().Get("next"), "/admin")
	if c.User != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	return s.renderLogin(w, r, c, http.StatusOK, &loginPage{Next: next})
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, c *call, status int, p *loginPage) error {
	var err error
	if p.layout, err = s.page(r.Context(), r, c, s.tr(c).T("console.login.title"), "", nil); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, c, status, "login", p)
}
