// Package api owns the JSON API v1 under /api/v1/: its routes, their Bearer
// authentication, the mapping of errors to HTTP statuses, and the OpenAPI
// document generated from the same route table and Go types that serve it.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/store"
)

// Server serves the API.
type Server struct {
	svc service
	log *slog.Logger
	// Ready reports whether this node takes writes (for /readyz).
	Ready func() bool
	// BaseURL is the public address (config base_url) that absolute URLs
	// in responses start with; "" takes the request's scheme and host.
	BaseURL string
	// Mail is the mail bridge, for the connection tests and the paper
	// acknowledgement; nil where none runs (those routes then answer 503).
	Mail   appliance.MailBridge
	routes []route
}

// maxJSON bounds a JSON request body: letters carry their text, not files.
const maxJSON = 2 << 20

type route struct {
	method, path, summary string
	in, out               any // example values of the body and response types
	status                int
	query                 []string // documented query parameters
	h                     func(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error
	// replay answers a request whose Idempotency-Key is already recorded,
	// for routes whose answer is more than the command's result (nil: the
	// status above and the result as recorded).
	replay func(w http.ResponseWriter, r *http.Request, a *appliance.Actor, rec *store.IdemRecord) error
	// noWrite marks a POST that changes nothing (a connection test): it
	// takes no Idempotency-Key, since there is nothing to do twice.
	noWrite bool
}

// Error is the body of every error response.
type Error struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"`
}

// Page is a page of a list.
type Page[T any] struct {
	Items   []T `json:"items"`
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
	// Next continues a list of letters by key: pass it as after= for the
	// following page; absent when this page is not full.
	Next string `json:"next,omitempty" doc:"Page suivante par clé: à passer en after=; absent quand la page n'est pas pleine"`
}

type NoteBody struct {
	Note string `json:"note,omitempty"`
}

type LinkBody struct {
	OtherID string `json:"other_id"`
}

type TokenResponse struct {
	Token     string `json:"token" doc:"Le jeton, affiché cette seule fois"`
	ID        string `json:"id" doc:"Son identifiant, pour le révoquer"`
	Name      string `json:"name"`
	ExpiresAt string `json:"expires_at,omitempty" doc:"Instant où il cesse de fonctionner; absent: jamais"`
}

type PasswordBody struct {
	Password string `json:"password"`
	Current  string `json:"current,omitempty" doc:"Mot de passe actuel: obligatoire pour changer le sien"`
}

type Health struct {
	Status string `json:"status"`
	// Reason says why a node is not ready.
	Reason string `json:"reason,omitempty"`
}

// Pending is the answer to a write that is in the replicated log but not
// yet applied, because the database does not answer: it will be, as soon
// as the database is back. Sending it again with the same Idempotency-Key
// gives its result once applied.
type Pending struct {
	Status    string `json:"status" doc:"pending"`
	CommandID string `json:"command_id" doc:"Identifiant de la commande inscrite au journal"`
	Message   string `json:"message"`
}

// retryAfter is the Retry-After of a 503, in seconds: outages of the
// database are usually a restart.
const retryAfter = "5"

// New builds the API server.
func New(svc service, log *slog.Logger) *Server {
	s := &Server{svc: svc, log: log, Ready: func() bool { return true }}
	listQuery := []string{"q", "category", "status", "entity", "doctype", "assignee", "from", "to", "overdue", "sort", "desc", "page", "per_page", "after", "fields"}
	s.routes = []route{
		{method: "GET", path: "/api/v1/me", summary: "L'utilisateur du jeton", out: domain.User{}, h: s.me},
		{method: "POST", path: "/api/v1/letters", summary: "Enregistrer un courrier", in: appliance.RegisterInput{}, out: domain.Letter{}, status: 201, h: s.createLetter, replay: s.replayLetter},
		{method: "GET", path: "/api/v1/letters", summary: "Lister et rechercher les courriers", out: Page[domain.Letter]{}, query: listQuery, h: s.listLetters},
		{method: "GET", path: "/api/v1/letters/{id}", summary: "Un courrier, ses documents, notes, liens et historique", out: appliance.LetterView{}, h: s.getLetter},
		{method: "GET", path: "/api/v1/letters/{id}/history", summary: "Historique d'un courrier", out: []domain.HistoryEntry{}, h: s.letterHistory},
		{method: "GET", path: "/api/v1/letters/{id}/messages", summary: "Messages électroniques d'un courrier: reçus, accusés de réception, réponses", out: []appliance.MailMessage{}, h: s.letterMessages},
		{method: "POST", path: "/api/v1/letters/{id}/actions/qualify", summary: "Qualifier (compléter ou corriger) un courrier, champ par champ: un champ absent ne change pas; \"\", [] ou false l'efface", in: appliance.QualifyInput{}, out: domain.Letter{}, h: s.qualify},
		{method: "POST", path: "/api/v1/letters/{id}/actions/redirect", summary: "Rediriger vers une entité ou un agent", in: appliance.RedirectInput{}, out: domain.Letter{}, h: s.redirect},
		{method: "POST", path: "/api/v1/letters/{id}/actions/note", summary: "Annoter", in: appliance.NoteInput{}, out: domain.Note{}, status: 201, h: s.note},
		{method: "POST", path: "/api/v1/letters/{id}/actions/link", summary: "Lier à un autre courrier", in: LinkBody{}, status: 204, h: s.link},
		{method: "POST", path: "/api/v1/letters/{id}/actions/close", summary: "Clore", in: NoteBody{}, out: domain.Letter{}, h: s.close},
		{method: "POST", path: "/api/v1/letters/{id}/actions/reopen", summary: "Rouvrir", in: NoteBody{}, out: domain.Letter{}, h: s.reopen},
		{method: "POST", path: "/api/v1/letters/{id}/actions/draft", summary: "Créer le projet de réponse depuis le meilleur modèle (entité et type > entité > type > commune > modèle par défaut) et renvoyer son adresse WebDAV (url); 200 et le projet existant s'il y en a déjà un", in: DraftBody{}, out: DraftResponse{}, status: 201, h: s.draft, replay: s.replayDraft},
		{method: "POST", path: "/api/v1/letters/{id}/actions/final-pdf", summary: "Générer la réponse définitive en PDF depuis le projet de réponse (LibreOffice; 503 s'il n'est pas installé)", out: domain.Document{}, status: 201, h: s.finalPDF},
		{method: "POST", path: "/api/v1/letters/{id}/actions/export", summary: "Exporter vers la GED de la commune (file d'attente durable; un export en attente n'est pas doublé)", out: store.GEDExport{}, status: 202, h: s.export},
		{method: "GET", path: "/api/v1/letters/{id}/exports", summary: "Exports d'un courrier vers la GED: où, quand, ou la dernière erreur", out: []store.GEDExport{}, h: s.letterExports},
		{method: "GET", path: "/api/v1/letters/{id}/documents", summary: "Documents d'un courrier", out: []domain.Document{}, h: s.listDocuments},
		{method: "POST", path: "/api/v1/letters/{id}/documents", summary: "Déposer un document (multipart, champ file; ou corps brut avec ?name=)", out: domain.Document{}, status: 201, query: []string{"name", "role"}, h: s.upload},
		{method: "GET", path: "/api/v1/documents/{id}", summary: "Un document et ses versions", out: domain.Document{}, h: s.getDocument},
		{method: "POST", path: "/api/v1/documents/{id}/versions", summary: "Déposer une nouvelle version", out: domain.Document{}, status: 201, h: s.uploadVersion},
		{method: "GET", path: "/api/v1/documents/{id}/onlyoffice", summary: "Configuration signée de l'éditeur OnlyOffice d'un document (Document Server de la commune)", out: appliance.OnlyOfficeEditor{}, h: s.onlyOfficeEditor},
		{method: "GET", path: "/api/v1/documents/{id}/content", summary: "Télécharger un document (dernière version ou ?version=N)", query: []string{"version"}, h: s.download},
		{method: "GET", path: "/api/v1/contacts", summary: "Rechercher des contacts", out: []domain.Contact{}, query: []string{"q", "page", "per_page"}, h: s.listContacts},
		{method: "POST", path: "/api/v1/contacts", summary: "Créer un contact", in: appliance.ContactInput{}, out: domain.Contact{}, status: 201, h: s.createContact},
		{method: "GET", path: "/api/v1/contacts/{id}", summary: "Un contact", out: domain.Contact{}, h: s.getContact},
		{method: "GET", path: "/api/v1/entities", summary: "L'organigramme", out: []domain.Entity{}, h: s.listEntities},
		{method: "POST", path: "/api/v1/entities", summary: "Créer une entité (admin)", in: appliance.EntityInput{}, out: domain.Entity{}, status: 201, h: s.createEntity},
		{method: "GET", path: "/api/v1/doctypes", summary: "Types de courrier", out: []domain.Doctype{}, h: s.listDoctypes},
		{method: "POST", path: "/api/v1/doctypes", summary: "Créer un type de courrier (admin)", in: appliance.DoctypeInput{}, out: domain.Doctype{}, status: 201, h: s.createDoctype},
		{method: "GET", path: "/api/v1/doctypes/{id}", summary: "Un type de courrier, avec sa durée d'utilité administrative et son sort final", out: domain.Doctype{}, h: s.getDoctype},
		{method: "PUT", path: "/api/v1/doctypes/{id}", summary: "Modifier un type de courrier (admin): tous ses champs sauf le code, dont la DUA (à compter de la clôture du courrier) et le sort final", in: appliance.DoctypeInput{}, out: domain.Doctype{}, h: s.updateDoctype},
		{method: "GET", path: "/api/v1/users", summary: "Utilisateurs", out: []domain.User{}, h: s.listUsers},
		{method: "POST", path: "/api/v1/users", summary: "Créer un utilisateur (admin)", in: appliance.UserInput{}, out: domain.User{}, status: 201, h: s.createUser},
		{method: "PUT", path: "/api/v1/users/{id}", summary: "Modifier un utilisateur (admin)", in: appliance.UserInput{}, out: domain.User{}, h: s.updateUser},
		{method: "POST", path: "/api/v1/users/{id}/password", summary: "Changer un mot de passe: le sien avec l'actuel (current), celui d'un autre (admin); toutes les sessions et tous les jetons de l'utilisateur sont fermés", in: PasswordBody{}, status: 204, h: s.setPassword},
		{method: "POST", path: "/api/v1/tokens", summary: "Créer un jeton d'API, avec une date d'expiration facultative", in: appliance.TokenInput{}, out: TokenResponse{}, status: 201, h: s.createToken, replay: s.replayToken},
		{method: "GET", path: "/api/v1/tokens", summary: "Vos jetons d'API (un administrateur: ceux de ?user=ID, ou de tous avec ?user=all)", out: []domain.Token{}, query: []string{"user"}, h: s.listTokens},
		{method: "DELETE", path: "/api/v1/tokens/{id}", summary: "Révoquer un jeton d'API (le sien; un administrateur: n'importe lequel)", out: domain.Token{}, h: s.revokeToken},
		{method: "GET", path: "/api/v1/history", summary: "Historique de la commune (admin)", out: []domain.HistoryEntry{}, query: []string{"page", "per_page"}, h: s.tenantHistory},
	}
	s.routes = append(s.routes, s.mailRoutes()...)
	s.routes = append(s.routes, s.communeRoutes()...)
	s.routes = append(s.routes, s.piecesRoutes()...)
	s.routes = append(s.routes, s.davRoutes()...)
	return s
}

// Register mounts the API, the OpenAPI document and the health checks.
func (s *Server) Register(mux *http.ServeMux) {
	for _, rt := range s.routes {
		mux.Handle(rt.method+" "+rt.path, s.handle(rt))
	}
	for pattern, h := range s.publicRoutes() {
		mux.HandleFunc(pattern, h)
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 404, Error{Error: "route inconnue: " + r.Method + " " + r.URL.Path})
	})
}

// Routes lists every pattern Register mounts but the catch-all, for the
// authorization tests: public ones need no token.
func (s *Server) Routes() (public, authed []string) {
	for pattern := range s.publicRoutes() {
		public = append(public, pattern)
	}
	for _, rt := range s.routes {
		authed = append(authed, rt.method+" "+rt.path)
	}
	return public, authed
}

// publicRoutes answer without a token: the API's description and the
// health checks of a load balancer.
func (s *Server) publicRoutes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /api/v1/openapi.json": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, s.OpenAPI())
		},
		"GET /healthz": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, Health{Status: "ok"})
		},
		"GET /readyz": s.readyz,
	}
}

// readyz says whether this node takes writes: a raft leader to commit
// them, and a store that answers.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if !s.Ready() {
		w.Header().Set("Retry-After", retryAfter)
		writeJSON(w, 503, Health{Status: "not ready", Reason: "ce nœud ne prend pas les écritures (pas de leader raft)"})
		return
	}
	if err := s.svc.Ready(r.Context()); err != nil {
		s.log.Warn("not ready", "err", err)
		w.Header().Set("Retry-After", retryAfter)
		writeJSON(w, 503, Health{Status: "not ready", Reason: "base de données indisponible"})
		return
	}
	writeJSON(w, 200, Health{Status: "ready"})
}

func (s *Server) handle(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		a, err := s.authenticate(r)
		if err != nil && !errors.Is(err, appliance.ErrForbidden) && !errors.Is(err, appliance.ErrNotFound) {
			// The token could not be checked: not the client's fault.
			s.writeError(w, r, fmt.Errorf("authenticate: %w", err))
			return
		}
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="missive"`)
			writeJSON(w, 401, Error{Error: "authentification requise: en-tête Authorization: Bearer <jeton>"})
			return
		}
		if err := s.consistency(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		if key := r.Header.Get(IdemHeader); key != "" && isWrite(rt.method) && !rt.noWrite {
			s.keyed(w, r, rt, a, key)
			return
		}
		if err := rt.h(w, r, a); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// consistency honours ?consistency= on a read. Reads are local by default:
// this node's store, which holds every write this node acknowledged.
// "strong" first waits until this node has applied every write the
// cluster committed before the request (a linearizable read: the leader
// confirms it still leads).
func (s *Server) consistency(r *http.Request) error {
	if r.Method != http.MethodGet {
		return nil
	}
	switch r.URL.Query().Get("consistency") {
	case "", "local":
		return nil
	case "strong":
		return s.svc.ReadConsistent(r.Context())
	}
	return fmt.Errorf("%w: consistency: local (défaut) ou strong", ErrBadRequest)
}

func (s *Server) authenticate(r *http.Request) (*appliance.Actor, error) {
	h := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		return nil, appliance.ErrForbidden
	}
	return s.svc.AuthenticateToken(r.Context(), strings.TrimSpace(token))
}

// Status maps an error to its HTTP status; the web UI uses it too.
func Status(err error) int {
	var fe appliance.FieldErrors
	switch {
	case errors.As(err, &fe), errors.Is(err, appliance.ErrInvalid):
		return 422
	case errors.Is(err, appliance.ErrNotFound):
		return 404
	case errors.Is(err, appliance.ErrForbidden):
		return 403
	case errors.Is(err, appliance.ErrConflict):
		return 409
	case errors.Is(err, appliance.ErrTooLarge):
		return 413
	case errors.Is(err, appliance.ErrLocked):
		return 423
	case errors.Is(err, appliance.ErrThrottled):
		return 429
	case errors.Is(err, ErrBadRequest):
		return 400
	case errors.Is(err, appliance.ErrPending):
		return 202
	case appliance.IsUnavailable(err), errors.Is(err, context.DeadlineExceeded):
		return 503
	}
	return 500
}

// ErrBadRequest is a request that cannot be read (400); the web UI uses
// it too.
var ErrBadRequest = errors.New("requête invalide")

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := Status(err)
	var pe *appliance.PendingError
	if errors.As(err, &pe) {
		s.log.Warn("api request accepted, pending", "method", r.Method, "path", r.URL.Path, "command", pe.CommandID)
		writeJSON(w, code, Pending{Status: "pending", CommandID: pe.CommandID, Message: pe.Error()})
		return
	}
	body := Error{Error: err.Error()}
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		body = Error{Error: "données invalides", Fields: fe}
	}
	if code >= 500 {
		s.log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		body.Error = "erreur interne; le détail est dans le journal du serveur"
		if code == 503 {
			// Say what it is: no quorum, a removed node, the database…
			body.Error = "service momentanément indisponible : " + appliance.UnavailableReason(err) + " ; réessayez"
			var ro *appliance.ReadOnlyError
			if errors.As(err, &ro) {
				body.Error = ro.Reason
			}
			w.Header().Set("Retry-After", retryAfter)
		}
	}
	writeJSON(w, code, body)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	if code == 204 || v == nil {
		return
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// decode reads a JSON body strictly: unknown fields and trailing data are
// errors, as is a body over maxJSON.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	// The body is read as JSON whatever its declared type: scripts (curl -d)
	// often send form-urlencoded by default. The API authenticates with a
	// Bearer header only, never a cookie, so this opens no CSRF path.
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		return fmt.Errorf("%w: corps JSON attendu, reçu un formulaire multipart", ErrBadRequest)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("%w: corps JSON de plus de %d octets", appliance.ErrTooLarge, maxJSON)
		}
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: corps JSON vide", ErrBadRequest)
		}
		return fmt.Errorf("%w: JSON invalide: %v", ErrBadRequest, err)
	}
	// More() is false before a stray ] or }: only EOF ends the body.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: données après l'objet JSON", ErrBadRequest)
	}
	return nil
}

// decodeOptional accepts an empty body as the zero value.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decode(w, r, v)
}

// MaxOffset bounds how far into a list a page may start: beyond, the
// offset would overflow and silently wrap to the first page.
const MaxOffset = 1 << 30

func pageParams(r *http.Request) (page, perPage int, err error) {
	page, perPage = 1, 50
	if v := r.URL.Query().Get("per_page"); v != "" {
		if perPage, err = strconv.Atoi(v); err != nil || perPage < 1 || perPage > 500 {
			return 0, 0, fmt.Errorf("%w: per_page doit être entre 1 et 500", ErrBadRequest)
		}
	}
	if v := r.URL.Query().Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 || page-1 > MaxOffset/perPage {
			return 0, 0, fmt.Errorf("%w: page doit être un entier entre 1 et %d", ErrBadRequest, MaxOffset/perPage+1)
		}
	}
	return page, perPage, nil
}
