// Package web owns the pages agents use every day: server-rendered
// html/template pages, embedded with their stylesheet and one small script,
// working without the script and enhanced by it. Every read and write goes
// through appliance.Service; the package holds no state but signed cookies
// and the Service's login limiter.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"missive/appliance"
	"missive/appliance/api"
)

//go:embed templates static
var assets embed.FS

// Options tune the web UI; zero values are sensible defaults.
type Options struct {
	// Tenant is the commune whose users log in here ("default").
	Tenant string
	// BaseURL is the public address; an https:// one makes cookies Secure
	// even when TLS ends at a proxy in front.
	BaseURL string
	// IdleTimeout ends a session left unused (1 h); MaxAge ends any
	// session (12 h), whatever its use.
	IdleTimeout time.Duration
	MaxAge      time.Duration
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Mail is the mail bridge, for "Tester la connexion" and the paper
	// acknowledgement; nil where none runs.
	Mail appliance.MailBridge
	// Backup is the backup manager, for Administration › Sauvegardes;
	// nil where none runs.
	Backup Backups
	// Quorum says whether this node's cluster has a leader it can reach
	// (writes go through); when false, every page says that what it shows
	// may be out of date. nil: always (tests).
	Quorum func() bool
	// Cluster is the status of the cluster, for Administration › Cluster;
	// nil: the page says the node runs alone.
	Cluster ClusterFunc
}

// Server serves the pages.
type Server struct {
	svc    service
	log    *slog.Logger
	opts   Options
	pages  *Pages
	static http.Handler
	// The session signing key, derived once.
	keyOnce sync.Once
	sessKey []byte
	keyErr  error
}

// New builds the web UI. An embedded template that does not parse is a
// build defect: TestEveryPageParses catches it.
func New(svc service, log *slog.Logger, opts Options) *Server {
	if opts.Tenant == "" {
		opts.Tenant = "default"
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = time.Hour
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 12 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{svc: svc, log: log, opts: opts, pages: ParsePages()}
	sub, _ := fs.Sub(assets, "static")
	s.static = http.StripPrefix("/static/", http.FileServerFS(sub))
	return s
}

// Register mounts the pages at "/".
func (s *Server) Register(mux *http.ServeMux) {
	for _, rt := range s.publicRoutes() {
		mux.HandleFunc(rt.pattern, rt.h)
	}
	for _, rt := range s.pageRoutes() {
		mux.Handle(rt.pattern, s.authed(rt.h))
	}
	mux.HandleFunc("/", s.notFound)
}

// Routes lists every pattern Register mounts but the catch-all "/", for
// the authorization tests: a route without a rule there fails them.
func (s *Server) Routes() (public, authed []string) {
	for _, rt := range s.publicRoutes() {
		public = append(public, rt.pattern)
	}
	for _, rt := range s.pageRoutes() {
		authed = append(authed, rt.pattern)
	}
	return public, authed
}

type publicRoute struct {
	pattern string
	h       http.HandlerFunc
}

// publicRoutes need no session: the login form, the assets, the language.
func (s *Server) publicRoutes() []publicRoute {
	return []publicRoute{
		{"GET /static/", func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/") {
				http.NotFound(w, r) // no directory listings
				return
			}
			// Assets change only with the binary; a day is long enough to
			// spare requests and short enough to follow an upgrade.
			w.Header().Set("Cache-Control", "public, max-age=86400")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			s.static.ServeHTTP(w, r)
		}},
		{"GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
		}},
		{"GET /login", s.loginPage},
		{"POST /login", s.login},
		{"GET /lang/{lang}", s.setLang},
	}
}

// pageRoutes are the pages of a logged-in user (authed: session, CSRF).
func (s *Server) pageRoutes() []pageRoute {
	rts := []pageRoute{
		{"POST /logout", s.logout},
		{"GET /{$}", s.home},
		{"GET /baskets/{id}", s.basket},
		{"POST /baskets/{id}", s.basketAction},
		{"GET /letters/new", s.newLetter},
		{"POST /letters/new", s.registerLetter},
		{"GET /letters/{id}", s.letter},
		{"POST /letters/{id}/{action}", s.letterAction},
		{"GET /documents/{id}", s.document},
		{"GET /search", s.search},
		{"POST /search/saved", s.saveSearch},
		{"POST /search/saved/{id}/delete", s.deleteSearch},
		{"GET /contacts", s.contacts},
		{"POST /contacts", s.createContact},
		{"GET /due-date", s.dueDate},
		{"GET /password", s.passwordPage},
		{"POST /password", s.changePassword},
		{"GET /admin/{$}", s.adminHome},
		{"GET /admin/users", s.adminUsers},
		{"POST /admin/users", s.adminCreateUser},
		{"GET /admin/users/{id}", s.adminUser},
		{"POST /admin/users/{id}", s.adminUpdateUser},
		{"POST /admin/users/{id}/password", s.adminSetPassword},
		{"POST /admin/users/{id}/sessions", s.adminRevokeSessions},
		{"GET /admin/entities", s.adminEntities},
		{"POST /admin/entities", s.adminCreateEntity},
		{"GET /admin/doctypes", s.adminDoctypes},
		{"POST /admin/doctypes", s.adminCreateDoctype},
		{"GET /admin/doctypes/{id}", s.adminDoctype},
		{"POST /admin/doctypes/{id}", s.adminUpdateDoctype},
		{"GET /admin/baskets", s.adminBaskets},
		{"POST /admin/baskets", s.adminSetBaskets},
	}
	rts = append(rts, s.mailRoutes()...)
	rts = append(rts, s.communeRoutes()...)
	for _, more := range [][]struct {
		pattern string
		h       handler
	}{s.gedRoutes(), s.draftRoutes(), s.davAdminRoutes(), s.tokenRoutes(), s.backupRoutes(), s.clusterRoutes()} {
		for _, rt := range more {
			rts = append(rts, pageRoute{rt.pattern, rt.h})
		}
	}
	return rts
}

// handler is a page handler for a logged-in user. It returns an error to
// have it shown as an error page with the right status.
type handler func(w http.ResponseWriter, r *http.Request, q *request) error

// request is what a handler knows of the user behind the request.
type request struct {
	actor *appliance.Actor
	sess  session
	key   []byte
	csrf  string
	lang  string
}

func (s *Server) now() time.Time { return s.opts.Now() }

// key returns the session signing key (derived from secrets.key, the same
// for every tenant: a session names its tenant in what is signed).
func (s *Server) key(_ context.Context, _ string) ([]byte, error) {
	s.keyOnce.Do(func() { s.sessKey, s.keyErr = s.svc.SessionKey() })
	return s.sessKey, s.keyErr
}

func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.opts.BaseURL, "https://")
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value, path string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge, HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
}

// headers are those of every page. Scripts come from our origin only: no
// inline script, no eval, so that an injected tag does nothing.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// authed resolves the session, checks CSRF on state-changing requests, and
// sends an anonymous or expired visitor to the login page, which brings
// them back here.
func (s *Server) authed(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pageHeaders(w)
		q, err := s.session(w, r)
		if err != nil {
			if !loggedOut(err) {
				// The store failed, not the visitor: no login page for that.
				s.fail(w, r, &request{lang: lang(r)}, err)
				return
			}
			s.toLogin(w, r, err)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := s.parseForm(w, r); err != nil {
				s.fail(w, r, q, err)
				return
			}
			token := r.Header.Get("X-CSRF-Token")
			if token == "" {
				token = r.PostFormValue("csrf")
			}
			if !sameOrigin(r) || !tokenEqual(token, q.csrf) {
				s.log.Warn("web: request refused (CSRF)", "path", r.URL.Path, "user", q.actor.User.Login, "origin", r.Header.Get("Origin"))
				s.fail(w, r, q, errCSRF)
				return
			}
		}
		if err := h(w, r, q); err != nil {
			s.fail(w, r, q, err)
		}
	})
}

var (
	errCSRF     = errors.New("formulaire expiré ou envoyé depuis un autre site: rechargez la page et recommencez")
	errNoSess   = errors.New("pas de session")
	errExpired  = errors.New("session expirée")
	errNotFound = appliance.ErrNotFound
)

// parseForm reads a POST body, bounded: a multipart form up to one upload,
// anything else up to 1 MiB.
func (s *Server) parseForm(w http.ResponseWriter, r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.Body = http.MaxBytesReader(w, r.Body, s.svc.UploadLimit()+1<<20)
		err := r.ParseMultipartForm(8 << 20)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return appliance.FieldErrors{"file": "fichier trop volumineux: " + itoa(int(s.svc.UploadLimit()>>20)) + " Mo au plus"}
		}
		if err != nil {
			// A body cut short or badly formed is the client's doing: 400,
			// not an internal error.
			return fmt.Errorf("%w: formulaire illisible: %v", api.ErrBadRequest, err)
		}
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("%w: formulaire de plus de 1 Mo", appliance.ErrTooLarge)
		}
		return fmt.Errorf("%w: formulaire illisible: %v", api.ErrBadRequest, err)
	}
	return nil
}

// session reads and checks the session cookie, and slides its idle expiry.
func (s *Server) session(w http.ResponseWriter, r *http.Request) (*request, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, errNoSess
	}
	ctx := r.Context()
	ss, err := verifySession(c.Value, func(t string) ([]byte, error) { return s.key(ctx, t) })
	if err != nil {
		return nil, err
	}
	now := s.now().Unix()
	if now-ss.Issued > int64(s.opts.MaxAge/time.Second) || now-ss.Seen > int64(s.opts.IdleTimeout/time.Second) {
		return nil, errExpired
	}
	epoch, err := s.svc.SessionEpoch(ctx, ss.User)
	if err == nil && epoch < ss.Epoch && s.svc.ReadConsistent(ctx) == nil {
		// Signed by a node that had applied more than this one (the
		// password changed there a moment ago): look again once caught up.
		epoch, err = s.svc.SessionEpoch(ctx, ss.User)
	}
	if err != nil {
		return nil, err
	}
	if epoch != ss.Epoch {
		return nil, errExpired
	}
	a, err := s.svc.ActorFor(ctx, ss.Tenant, ss.User)
	if errors.Is(err, appliance.ErrNotFound) && s.svc.ReadConsistent(ctx) == nil {
		// A user created on another node a moment ago.
		a, err = s.svc.ActorFor(ctx, ss.Tenant, ss.User)
	}
	if err != nil {
		return nil, err
	}
	key, _ := s.key(ctx, ss.Tenant)
	// Slide the idle expiry at most once a minute: a page and its assets
	// need not each set a cookie.
	if now-ss.Seen >= 60 {
		ss.Seen = now
		s.setCookie(w, r, sessionCookie, ss.encode(key), "/", 0)
	}
	return &request{actor: a, sess: ss, key: key, csrf: csrfToken(key, ss), lang: lang(r)}, nil
}

// loggedOut says whether a session error means "log in again" rather than
// a failure of the store.
func loggedOut(err error) bool {
	return errors.Is(err, errNoSess) || errors.Is(err, errBadCookie) || errors.Is(err, errExpired) ||
		errors.Is(err, appliance.ErrNotFound) || errors.Is(err, appliance.ErrForbidden)
}

// toLogin sends a visitor without a valid session to the login page, with
// the way back: this page for a GET, the page the form was on for a POST.
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, errNoSess) {
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "session expirée: reconnectez-vous"})
		return
	}
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		next = "/"
		if ref, err := http.NewRequest("GET", r.Referer(), nil); err == nil && ref.URL.Host == r.Host {
			next = ref.URL.RequestURI()
		}
	}
	target := "/login?next=" + urlQueryEscape(localPath(next))
	if errors.Is(err, errExpired) {
		target += "&expired=1"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// fail shows an error: a JSON body to the script, a page to the browser.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, q *request, err error) {
	code := api.Status(err)
	if errors.Is(err, errCSRF) {
		code = http.StatusForbidden
	}
	msg := err.Error()
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		msg = fe.Error()
	}
	l := lang(r)
	if q != nil {
		l = q.lang
	}
	switch {
	case code == http.StatusAccepted:
		s.log.Warn("web request accepted, pending", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = tr(l, "error.pending")
	case code == http.StatusServiceUnavailable:
		s.log.Error("web request failed: unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = tr(l, "error.unavailable")
		var ro *appliance.ReadOnlyError
		if errors.As(err, &ro) {
			msg = ro.Reason
		} else if reason := appliance.UnavailableReason(err); reason != appliance.UnavailableReason(appliance.ErrUnavailable) {
			// Not the database: say what it is (no quorum, a removed node).
			msg = tr(l, "error.unavailable.cluster") + " " + reason + "."
		}
		w.Header().Set("Retry-After", "5")
	case code >= 500:
		s.log.Error("web request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "erreur interne; le détail est dans le journal du serveur"
	}
	if wantsJSON(r) {
		body := map[string]any{"error": msg}
		if fe != nil {
			body["fields"] = fe
		}
		writeJSON(w, code, body)
		return
	}
	s.errorPage(w, r, q, code, msg)
}
