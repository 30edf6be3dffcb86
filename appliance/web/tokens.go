package web

import (
	"errors"
	"net/http"

	"missive/appliance"
	"missive/appliance/domain"
)

// The user's API tokens, in their profile: scripts and WebDAV clients use
// them instead of the password. A token is shown once, when it is made;
// the page lists the others (name, dates) and revokes them. A changed
// password or a disabled account revokes them all.

func init() {
	for k, v := range map[string][2]string{
		"nav.tokens":       {"Jetons d'API", "API tokens"},
		"tokens.title":     {"Mes jetons d'API", "My API tokens"},
		"tokens.lead":      {"Un jeton remplace votre mot de passe dans un script (API) ou un client WebDAV. Il n'est affiché qu'une fois, à sa création. Changer votre mot de passe révoque tous vos jetons.", "A token stands for your password in a script (API) or a WebDAV client. It is shown once, when it is made. Changing your password revokes all your tokens."},
		"tokens.none":      {"Vous n'avez aucun jeton.", "You have no token."},
		"tokens.name":      {"Libellé", "Label"},
		"tokens.created":   {"Créé le", "Created"},
		"tokens.expires":   {"Expire", "Expires"},
		"tokens.never":     {"jamais", "never"},
		"tokens.state":     {"État", "State"},
		"tokens.live":      {"actif", "active"},
		"tokens.revoked":   {"révoqué", "revoked"},
		"tokens.expired":   {"expiré", "expired"},
		"tokens.revoke":    {"Révoquer", "Revoke"},
		"tokens.revokeon":  {"Révoquer le jeton %s", "Revoke token %s"},
		"tokens.done":      {"Jeton « %s » révoqué : il ne fonctionne plus.", "Token “%s” revoked: it no longer works."},
		"tokens.new":       {"Créer un jeton", "Make a token"},
		"tokens.namehint":  {"Par exemple « script d'import » ou « LibreOffice du poste 12 ».", "For instance “import script” or “LibreOffice on desk 12”."},
		"tokens.expireson": {"Dernier jour de validité (facultatif)", "Last valid day (optional)"},
		"tokens.create":    {"Créer le jeton", "Make the token"},
		"tokens.made":      {"Voici votre jeton « %s ». Copiez-le maintenant : il ne sera plus jamais affiché.", "Here is your token “%s”. Copy it now: it will never be shown again."},
		"tokens.unnamed":   {"sans libellé", "unnamed"},
	} {
		catalogue["fr"][k], catalogue["en"][k] = v[0], v[1]
	}
}

func (s *Server) tokenRoutes() []struct {
	pattern string
	h       handler
} {
	return []struct {
		pattern string
		h       handler
	}{
		{"GET /tokens", s.tokens},
		{"POST /tokens", s.createToken},
		{"POST /tokens/{id}/revoke", s.revokeToken},
	}
}

type tokenRow struct {
	domain.Token
	Expired bool
}

type tokensData struct {
	Tokens []tokenRow
	// New is the token just made, shown this once.
	New, NewName string
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request, q *request, code int, d tokensData, errs appliance.FieldErrors) error {
	ts, err := s.svc.Tokens(r.Context(), q.actor, q.actor.ID())
	if err != nil {
		return err
	}
	now := s.svc.Clock().UTC().Format(domain.TimeLayout)
	for _, t := range ts {
		d.Tokens = append(d.Tokens, tokenRow{Token: t, Expired: !t.Revoked && !t.Live(now)})
	}
	v := s.page(w, r, q, tr(q.lang, "tokens.title"), "tokens", d)
	if errs != nil {
		v.Errors, v.Form = errs, r.PostForm
	}
	s.render(w, q, code, "tokens", v)
	return nil
}

func (s *Server) tokens(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.tokensPage(w, r, q, http.StatusOK, tokensData{}, nil)
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, q *request) error {
	in := appliance.TokenInput{UserID: q.actor.ID(), Name: r.PostFormValue("name"), ExpiresOn: r.PostFormValue("expires_on")}
	tok, t, err := s.svc.IssueToken(r.Context(), q.actor, in)
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		return s.tokensPage(w, r, q, http.StatusUnprocessableEntity, tokensData{}, fe)
	}
	if err != nil {
		return err
	}
	s.log.Info("web: api token made", "user", q.actor.User.Login, "token", t.ID)
	name := t.Name
	if name == "" {
		name = tr(q.lang, "tokens.unnamed")
	}
	// Shown in this answer only (pages are no-store), never stored.
	return s.tokensPage(w, r, q, http.StatusCreated, tokensData{New: tok, NewName: name}, nil)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, q *request) error {
	t, err := s.svc.RevokeToken(r.Context(), q.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.log.Info("web: api token revoked", "user", q.actor.User.Login, "token", t.ID)
	return s.done(w, r, q, "/tokens", tf(q.lang, "tokens.done", t.Name))
}
