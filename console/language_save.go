package console

import (
	"net/http"

	"github.com/reckonhq/reckon/locale"
	"github.com/reckonhq/reckon/store"
)

// saveLanguage switches the console's language and goes back to the page
// the switch was on. A signed-in user's choice is kept with the user, so it
// follows them to every browser; anyone else's in a cookie.
func (s *Server) saveLanguage(w http.ResponseWriter, r *http.Request, c *call) error {
	lang := r.PostFormValue("lang")
	fallback := "/login"
	if c.User != nil {
		fallback = "/admin"
	}
	back := localPath(r.PostFormValue("return"), fallback)
	if !locale.Supported(lang) {
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	if c.User != nil {
		ctx := r.Context()
		if err := s.db.InTx(ctx, func(tx *store.Tx) error { return tx.SetUserLocale(ctx, c.User.ID, lang) }); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: languageCookie, Value: lang, Path: "/", MaxAge: int(languageCookieAge.Seconds()),
		HttpOnly: true, Secure: s.secureRequest(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}
