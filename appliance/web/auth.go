package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"missive/appliance"
)

type loginData struct {
	Next    string
	Login   string
	Token   string
	Error   string
	Expired bool
}

// loginPage shows the login form, bound to a fresh random cookie so that
// another site cannot log a visitor in under its own account.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w)
	next := localPath(r.URL.Query().Get("next"))
	if _, err := s.session(w, r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.showLogin(w, r, http.StatusOK, loginData{Next: next, Expired: r.URL.Query().Get("expired") != ""})
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, code int, d loginData) {
	key, err := s.key(r.Context(), s.opts.Tenant)
	if err != nil {
		s.fail(w, r, &request{lang: lang(r)}, fmt.Errorf("web: session key of %s: %w: %w", s.opts.Tenant, appliance.ErrUnavailable, err))
		return
	}
	nonce := randomString(18)
	s.setCookie(w, r, loginCookie, nonce, "/login", 3600)
	d.Token = loginToken(key, nonce)
	v := &view{Title: tr(lang(r), "login.title"), Data: d, Path: r.URL.RequestURI(), ReadOnly: s.svc.ReadOnlyReason()}
	v.Flash = s.takeFlash(w, r, key)
	s.render(w, &request{lang: lang(r)}, code, "login", v)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	pageHeaders(w)
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "formulaire invalide", http.StatusBadRequest)
		return
	}
	l := lang(r)
	d := loginData{Next: localPath(r.PostFormValue("next")), Login: strings.TrimSpace(r.PostFormValue("login"))}
	key, err := s.key(r.Context(), s.opts.Tenant)
	if err != nil {
		s.fail(w, r, &request{lang: l}, fmt.Errorf("web: session key of %s: %w: %w", s.opts.Tenant, appliance.ErrUnavailable, err))
		return
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || !sameOrigin(r) || !tokenEqual(r.PostFormValue("csrf"), loginToken(key, c.Value)) {
		d.Error = tr(l, "login.csrf")
		s.showLogin(w, r, http.StatusForbidden, d)
		return
	}
	a, err := s.svc.Authenticate(r.Context(), s.opts.Tenant, d.Login, r.PostFormValue("password"), clientAddr(r))
	var throttled *appliance.ThrottledError
	switch {
	case errors.As(err, &throttled):
		s.log.Info("web: login slowed down", "login", d.Login, "addr", clientAddr(r), "wait", throttled.Wait)
		d.Error = tf(l, "login.wait", waitText(throttled.Wait))
		w.Header().Set("Retry-After", itoa(int(throttled.Wait.Seconds())+1))
		s.showLogin(w, r, http.StatusTooManyRequests, d)
		return
	case errors.Is(err, appliance.ErrForbidden):
		s.log.Info("web: login failed", "login", d.Login, "addr", clientAddr(r))
		d.Error = tr(l, "login.failed")
		s.showLogin(w, r, http.StatusUnauthorized, d)
		return
	case err != nil:
		// The store could not check the password: no failed login to
		// count, nor "wrong password" to show.
		s.log.Error("web: login not checked: store unavailable", "login", d.Login, "err", err)
		w.Header().Set("Retry-After", "5")
		d.Error = tr(l, "error.unavailable")
		s.showLogin(w, r, http.StatusServiceUnavailable, d)
		return
	}
	epoch, err := s.svc.SessionEpoch(r.Context(), a.ID())
	if err != nil {
		s.fail(w, r, &request{lang: l}, fmt.Errorf("web: session epoch: %w: %w", appliance.ErrUnavailable, err))
		return
	}
	s.startSession(w, r, key, a, epoch)
	s.setCookie(w, r, loginCookie, "", "/login", -1)
	s.log.Info("web: login", "tenant", a.TenantID(), "user", a.User.Login, "addr", clientAddr(r))
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

func (s *Server) startSession(w http.ResponseWriter, r *http.Request, key []byte, a *appliance.Actor, epoch int64) {
	now := s.now().Unix()
	ss := session{Tenant: a.TenantID(), User: a.ID(), Issued: now, Seen: now, Epoch: epoch}
	s.setCookie(w, r, sessionCookie, ss.encode(key), "/", 0)
}

// logout ends every session of the user, not only this browser's: the
// cookie of a shared or lost computer dies too.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, q *request) error {
	if _, err := s.svc.RevokeSessions(r.Context(), q.actor, q.actor.ID()); err != nil {
		return err
	}
	s.setCookie(w, r, sessionCookie, "", "/", -1)
	s.log.Info("web: logout", "user", q.actor.User.Login)
	return s.done(w, r, q, "/login", tr(q.lang, "logout.done"))
}

func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request, q *request) error {
	s.render(w, q, http.StatusOK, "password", s.page(w, r, q, tr(q.lang, "password.title"), "password", nil))
	return nil
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, q *request) error {
	epoch, err := s.svc.ChangePassword(r.Context(), q.actor, r.PostFormValue("current"), r.PostFormValue("password"), r.PostFormValue("confirm"), clientAddr(r))
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		v := s.page(w, r, q, tr(q.lang, "password.title"), "password", nil)
		v.Errors = fe
		s.render(w, q, http.StatusUnprocessableEntity, "password", v)
		return nil
	}
	if err != nil {
		return err
	}
	// Other browsers are logged out; this one carries on under the new epoch.
	s.startSession(w, r, q.key, q.actor, epoch)
	return s.done(w, r, q, "/", tr(q.lang, "password.done"))
}
