// Package dav owns the WebDAV share of reply drafts, served at /dav/ on the
// UI's listener: per tenant, each user's working folder (~login, full
// WebDAV class 1 and 2), one folder per letter the user may act on (its
// documents; files saved there become documents or new versions) and the
// read-only templates folder (modeles). HTTP is golang.org/x/net/webdav over
// a FileSystem and a LockSystem of this package whose every write is a
// Command proposed through the Service: the share holds no state of its own,
// so a lock or a save made on one node holds on every node.
package share

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/webdav"

	"missive/appliance"
	"missive/appliance/download"
)

// Prefix is where the share is mounted.
const Prefix = "/dav/"

// MaxXMLBody bounds the XML body of PROPFIND, PROPPATCH and LOCK: no
// legitimate client sends more, and the decoder must not be fed gigabytes.
const MaxXMLBody = 1 << 20

// TemplatesFolder is the read-only folder of reply templates.
const TemplatesFolder = "modeles"

// maxLetterFolders bounds the letter folders listed at a tenant's root; any
// letter of the perimeter still opens by its address.
const maxLetterFolders = 500

// Template is one file of the templates folder.
type Template struct {
	Name    string
	SHA256  string
	Size    int64
	ModTime time.Time
}

// Templates lists the reply templates an actor sees under modeles/. The
// templates feature plugs in here; nil shows an empty folder.
type Templates interface {
	DavTemplates(ctx context.Context, a *appliance.Actor) ([]Template, error)
}

// Handler serves the share.
type Handler struct {
	svc service
	// maxUpload is the Service's bound on one document, which tests change.
	maxUpload func() int64
	log       *slog.Logger
	Templates Templates

	authMu sync.Mutex
	auth   map[[32]byte]authEntry
}

type authEntry struct {
	userID string
	// pwHash is the stored hash the password was checked against: once the
	// password changes, the remembered check no longer counts.
	pwHash  string
	expires time.Time
}

// authTTL is how long a checked password is remembered: a WebDAV client
// sends Basic credentials on every request, and an argon2 check on each
// would make a PROPFIND of a folder cost seconds.
const authTTL = 2 * time.Minute

// New returns the share's handler.
func New(svc *appliance.Service, log *slog.Logger) *Handler {
	return &Handler{svc: svc, maxUpload: func() int64 { return svc.MaxUpload }, log: log, auth: map[[32]byte]authEntry{}}
}

// Register mounts the share on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle(Prefix, h)
}

// writeMethods change something; readMethods only read. Together they are
// the share's route table: the authorization tests take every method from
// Methods, so that a method added here without a rule there fails them.
var (
	writeMethods = map[string]bool{"PUT": true, "MKCOL": true, "DELETE": true, "MOVE": true, "COPY": true, "PROPPATCH": true, "LOCK": true, "UNLOCK": true}
	readMethods  = map[string]bool{"GET": true, "HEAD": true, "POST": true, "OPTIONS": true, "PROPFIND": true}
)

// Methods lists the methods the share serves, and whether each writes.
func Methods() map[string]bool {
	out := map[string]bool{}
	for m := range readMethods {
		out[m] = false
	}
	for m := range writeMethods {
		out[m] = true
	}
	return out
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// badPath reports a request path that is refused before anything else:
// NUL and control bytes, backslashes, encoded slashes (which would let a
// name hide a directory), and dot segments.
func badPath(r *http.Request) bool {
	raw := r.URL.EscapedPath()
	lower := strings.ToLower(raw)
	if strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") || strings.Contains(lower, "%00") {
		return true
	}
	return badName(r.URL.Path)
}

func badName(p string) bool {
	if len(p) > 2048 {
		return true
	}
	for _, c := range []byte(p) {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return true
		}
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." || seg == "." {
			return true
		}
	}
	return false
}

var lockTokenRE = regexp.MustCompile(`<((?:urn:uuid:|opaquelocktoken:)[^>\s]*)>`)

// ServeHTTP authenticates, checks the path and the perimeter, then hands
// the request to x/net/webdav over this request's file and lock systems.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if !readMethods[r.Method] && !writeMethods[r.Method] {
		w.Header().Set("Allow", "OPTIONS, GET, HEAD, POST, PROPFIND, PROPPATCH, PUT, MKCOL, DELETE, COPY, MOVE, LOCK, UNLOCK")
		http.Error(w, "méthode non prise en charge", http.StatusMethodNotAllowed)
		return
	}
	if badPath(r) {
		http.Error(w, "chemin invalide", http.StatusBadRequest)
		return
	}
	rest := strings.TrimPrefix(r.URL.Path, Prefix)
	tenant, _, _ := strings.Cut(rest, "/")
	if tenant == "" {
		http.Error(w, "commune manquante: /dav/<commune>/", http.StatusNotFound)
		return
	}
	if rest == tenant {
		http.Redirect(w, r, Prefix+tenant+"/", http.StatusMovedPermanently)
		return
	}
	ctx := r.Context()
	actor, ok := h.admit(w, r, tenant)
	if !ok {
		return
	}
	st := &reqState{h: h, ctx: ctx, method: r.Method, actor: actor, tenant: tenant,
		targets: map[string]*target{}, views: map[string]*view{}}
	for _, m := range lockTokenRE.FindAllStringSubmatch(r.Header.Get("If"), -1) {
		st.tokens = append(st.tokens, m[1])
	}
	if status, msg := h.gate(st, r); status != 0 {
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", retryAfter)
		}
		http.Error(w, msg, status)
		h.logRequest(r, st, status, start, nil)
		return
	}
	if status, msg := h.lockedBelow(st, r); status != 0 {
		http.Error(w, msg, status)
		h.logRequest(r, st, status, start, nil)
		return
	}
	switch r.Method {
	case "PROPFIND", "PROPPATCH", "LOCK", "UNLOCK":
		b, ok := h.readXML(w, r, st, start)
		if !ok {
			return
		}
		if r.Method == "LOCK" {
			sw := &statusWriter{ResponseWriter: w, st: st}
			h.serveLock(sw, r, st, b)
			h.logRequest(r, st, sw.status, start, nil)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
	case "PUT":
		st.length = r.ContentLength
		r.Body = &body{ReadCloser: r.Body, st: st}
	case "GET", "HEAD", "POST":
		// x/net/webdav serves the content (POST like GET) with a type
		// guessed from the name or sniffed: set the headers of user
		// content first (package download).
		contentHeaders(w, st, r.URL.Path)
	}
	sw := &statusWriter{ResponseWriter: w, st: st}
	var davErr error
	wd := &webdav.Handler{
		Prefix:     strings.TrimSuffix(Prefix, "/") + "/" + tenant,
		FileSystem: &fileSystem{st: st},
		LockSystem: &lockSystem{st: st},
		Logger:     func(_ *http.Request, err error) { davErr = err },
	}
	wd.ServeHTTP(sw, r)
	h.logRequest(r, st, sw.status, start, davErr)
}

// admit authenticates the request for tenant. A refusal is answered
// here, with the header that tells the client what to do next (ask its
// user, wait, or retry without asking), and admit returns false.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request, tenant string) (*appliance.Actor, bool) {
	actor, code, wait := h.authenticate(r.Context(), r, tenant)
	switch code {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Basic realm="Missive", charset="UTF-8"`)
		http.Error(w, "identifiants requis", code)
		return nil, false
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
		http.Error(w, "trop de tentatives: réessayez plus tard", code)
		return nil, false
	case http.StatusServiceUnavailable:
		// The credentials could not be checked: the client is not to ask
		// its user for them again.
		w.Header().Set("Retry-After", retryAfter)
		http.Error(w, "service momentanément indisponible, réessayez", code)
		return nil, false
	}
	return actor, true
}

// readXML reads the XML body of a PROPFIND, PROPPATCH, LOCK or UNLOCK,
// bounded and checked before x/net/webdav parses it; a body refused is
// answered and logged here, and readXML returns false.
func (h *Handler) readXML(w http.ResponseWriter, r *http.Request, st *reqState, start time.Time) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxXMLBody))
	if err != nil {
		http.Error(w, fmt.Sprintf("corps XML de plus de %d octets", MaxXMLBody), http.StatusRequestEntityTooLarge)
		h.logRequest(r, st, http.StatusRequestEntityTooLarge, start, err)
		return nil, false
	}
	if err := checkXML(b); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		h.logRequest(r, st, http.StatusBadRequest, start, err)
		return nil, false
	}
	return b, true
}

// contentHeaders sets the type, disposition and sandbox of a file about to
// be read: a document sent by anyone (an anonymous e-mail's evil.html) must
// not run in the UI's origin when a browser opens its WebDAV address.
func contentHeaders(w http.ResponseWriter, st *reqState, urlPath string) {
	name := strings.TrimPrefix(urlPath, Prefix+st.tenant)
	_, _, e, err := st.lookup(name)
	if err != nil || e.dir {
		return
	}
	fi := &fileInfo{name: e.name(), e: e}
	ct, _ := fi.ContentType(st.ctx)
	download.Headers(w.Header(), e.name(), ct, download.Inline)
}

func (h *Handler) logRequest(r *http.Request, st *reqState, status int, start time.Time, err error) {
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelWarn
	}
	attrs := []any{"method", r.Method, "path", r.URL.Path, "tenant", st.tenant, "user", st.actor.User.Login, "status", status, "ms", time.Since(start).Milliseconds()}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	h.log.Log(r.Context(), level, "webdav", attrs...)
}

// gate refuses, before x/net/webdav runs, what is out of the actor's
// reach: another user's folder, a letter outside the perimeter (404), a
// write where the actor may only read (403), a COPY or MOVE out of the
// space, a PUT over the size limit (413), an infinite PROPFIND of the
// tenant's root.
func (h *Handler) gate(st *reqState, r *http.Request) (int, string) {
	name := strings.TrimPrefix(r.URL.Path, Prefix+st.tenant)
	seg, _ := split(name)
	write := writeMethods[r.Method]
	if status, msg := st.check(seg, write && r.Method != "COPY"); status != 0 {
		return status, msg
	}
	switch r.Method {
	case "PUT":
		if r.ContentLength > h.maxUpload() {
			return http.StatusRequestEntityTooLarge, fmt.Sprintf("document trop volumineux: la limite est de %d Mo", h.maxUpload()>>20)
		}
	case "PROPFIND":
		if seg == "" && !(r.Header.Get("Depth") == "0" || r.Header.Get("Depth") == "1") {
			return http.StatusForbidden, "PROPFIND de profondeur infinie refusé à la racine"
		}
	case "COPY", "MOVE":
		u, err := url.Parse(r.Header.Get("Destination"))
		if err != nil || u.Path == "" {
			return http.StatusBadRequest, "en-tête Destination invalide"
		}
		if u.Host != "" && u.Host != r.Host {
			return http.StatusBadGateway, "destination sur un autre serveur"
		}
		if badName(u.Path) || strings.Contains(strings.ToLower(u.RawPath), "%2f") {
			return http.StatusBadRequest, "chemin de destination invalide"
		}
		dst, ok := strings.CutPrefix(u.Path, Prefix+st.tenant+"/")
		if !ok {
			return http.StatusForbidden, "destination hors de la commune"
		}
		dseg, _ := split("/" + dst)
		if dseg != seg {
			return http.StatusForbidden, "copie ou déplacement entre dossiers refusé"
		}
		if status, msg := st.check(dseg, true); status != 0 {
			return status, msg
		}
	}
	return 0, ""
}

// lockedBelow refuses (423) a DELETE or MOVE of a collection holding a
// resource locked by a lock whose token the request does not present, and
// a MOVE or COPY onto such a collection. x/net/webdav checks only the locks
// that cover the collection itself; Apply checks the whole tree again
// (checkDavLocks), and each check holds on its own.
func (h *Handler) lockedBelow(st *reqState, r *http.Request) (int, string) {
	var names []string
	switch r.Method {
	case "DELETE":
		names = append(names, strings.TrimPrefix(r.URL.Path, Prefix+st.tenant))
	case "MOVE", "COPY":
		if r.Method == "MOVE" {
			names = append(names, strings.TrimPrefix(r.URL.Path, Prefix+st.tenant))
		}
		if u, err := url.Parse(r.Header.Get("Destination")); err == nil {
			names = append(names, strings.TrimPrefix(u.Path, Prefix+st.tenant))
		}
	default:
		return 0, ""
	}
	locks, err := h.svc.DavLocks(st.ctx, st.tenant)
	if err != nil {
		return http.StatusInternalServerError, "verrous illisibles"
	}
	held := map[string]bool{}
	for _, t := range st.tokens {
		held[t] = true
	}
	for _, n := range names {
		n = strings.TrimSuffix(clean(n), "/")
		// Each locked resource below needs one of its locks presented (one
		// token of a shared lock is enough, as at Apply).
		need := map[string]bool{}
		for _, l := range locks {
			if strings.HasPrefix(l.Root, n+"/") {
				need[l.Root] = need[l.Root] || held[l.Token]
			}
		}
		for _, ok := range need {
			if !ok {
				return http.StatusLocked, "une ressource de ce dossier est verrouillée"
			}
		}
	}
	return 0, ""
}

// authenticate resolves HTTP Basic credentials (a password, or an API token
// as the password) or a Bearer token to an actor of tenant. Without one,
// it returns the status to answer (401, 429 with the wait, 503).
func (h *Handler) authenticate(ctx context.Context, r *http.Request, tenant string) (*appliance.Actor, int, time.Duration) {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return h.orUnauthorized(h.byToken(ctx, tenant, "", tok))
	}
	login, password, ok := r.BasicAuth()
	if !ok || password == "" {
		return nil, http.StatusUnauthorized, 0
	}
	key := sha256.Sum256([]byte(tenant + "\x00" + login + "\x00" + password))
	h.authMu.Lock()
	e, hit := h.auth[key]
	h.authMu.Unlock()
	if hit && time.Now().Before(e.expires) {
		a, err := h.svc.ActorFor(ctx, tenant, e.userID)
		if appliance.IsUnavailable(err) {
			h.log.Error("webdav: login not checked: store unavailable", "tenant", tenant, "login", login, "err", err)
			return nil, http.StatusServiceUnavailable, 0
		}
		if err == nil && a.User.PasswordHash == e.pwHash {
			return a, 0, 0
		}
	}
	if a, code, wait := h.orUnauthorized(h.byToken(ctx, tenant, login, password)); code != http.StatusUnauthorized {
		return a, code, wait
	}
	// The Service's limiter, shared with the web login and SMTP AUTH,
	// counts the attempt before the password is checked.
	a, err := h.svc.Authenticate(ctx, tenant, login, password, clientAddr(r))
	if err != nil {
		var throttled *appliance.ThrottledError
		switch {
		case errors.As(err, &throttled):
			h.log.Info("webdav login slowed down", "tenant", tenant, "login", login, "addr", clientAddr(r), "wait", throttled.Wait)
			return nil, http.StatusTooManyRequests, throttled.Wait
		case errors.Is(err, appliance.ErrForbidden):
			h.log.Info("webdav login refused", "tenant", tenant, "login", login, "addr", clientAddr(r))
			return nil, http.StatusUnauthorized, 0
		}
		h.log.Error("webdav: login not checked: store unavailable", "tenant", tenant, "login", login, "err", err)
		return nil, http.StatusServiceUnavailable, 0
	}
	h.authMu.Lock()
	if len(h.auth) > 10000 {
		clear(h.auth)
	}
	h.auth[key] = authEntry{userID: a.ID(), pwHash: a.User.PasswordHash, expires: time.Now().Add(authTTL)}
	h.authMu.Unlock()
	return a, 0, 0
}

// orUnauthorized turns byToken's answer into authenticate's: no actor is
// 401, a token the store could not check is 503.
func (h *Handler) orUnauthorized(a *appliance.Actor, err error) (*appliance.Actor, int, time.Duration) {
	if err != nil {
		h.log.Error("webdav: token not checked: store unavailable", "err", err)
		return nil, http.StatusServiceUnavailable, 0
	}
	if a == nil {
		return nil, http.StatusUnauthorized, 0
	}
	return a, 0, 0
}

func (h *Handler) byToken(ctx context.Context, tenant, login, token string) (*appliance.Actor, error) {
	if len(token) < 20 {
		return nil, nil
	}
	a, err := h.svc.AuthenticateToken(ctx, token)
	if err != nil && !errors.Is(err, appliance.ErrForbidden) && !errors.Is(err, appliance.ErrNotFound) {
		return nil, err
	}
	if err != nil || a.TenantID() != tenant || (login != "" && login != a.User.Login) {
		return nil, nil
	}
	return a, nil
}

// body remembers a failed read of a PUT's content: x/net/webdav closes
// the file even then, and a cut-off upload must not become a version.
type body struct {
	io.ReadCloser
	st *reqState
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.st.bodyErr = err
	}
	return n, err
}

// statusWriter lets the file system replace x/net/webdav's generic error
// status (405 for any failed PUT) by the one the Service's error means.
type statusWriter struct {
	http.ResponseWriter
	st     *reqState
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if code >= 400 && w.st.status != 0 {
		code = w.st.status
	}
	if code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// retryAfter is the Retry-After of a 503, in seconds.
const retryAfter = "5"

// statusOf is the HTTP status a Service error stands for. A change that is
// in the log but waits for the database is accepted (202): sent again it
// would be a second version.
func statusOf(err error) int {
	var fe appliance.FieldErrors
	switch {
	case errors.Is(err, appliance.ErrPending):
		return http.StatusAccepted
	case appliance.IsUnavailable(err):
		return http.StatusServiceUnavailable
	case errors.Is(err, appliance.ErrLocked):
		return http.StatusLocked
	case errors.Is(err, appliance.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, appliance.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, appliance.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, appliance.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, appliance.ErrInvalid), errors.As(err, &fe):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}
