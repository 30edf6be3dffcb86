// Package onlyoffice serves the two endpoints an OnlyOffice Document Server
// calls: GET /onlyoffice/download, where it fetches the document an editor
// opens, and POST /onlyoffice/callback, where it says how editing went and,
// on status 2 (closed with changes) or 6 (force save), where to fetch the
// edited file, which becomes the document's new version through a command.
//
// Neither endpoint has a session: each URL carries a short-lived grant
// signed with the tenant's JWT secret (appliance/docserver), naming the
// tenant, the document and the user who opened the editor: the document is
// read, and saved, as that user, so that their perimeter is checked again
// at each fetch and at save time. The callback must also carry the
// Document Server's own JWT (in the body's "token" or the Authorization
// header), signed with the same secret. The edited file is fetched only
// from the tenant's Document Server (same scheme, host and port).
package onlyoffice

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"missive/appliance"
	oo "missive/appliance/docserver"
	"missive/appliance/domain"
	"missive/appliance/download"
)

// Options tunes the endpoints; the zero value of a field means its default.
type Options struct {
	// Client fetches edited files from the Document Server.
	Client *http.Client
}

// service is what the endpoints need of the appliance. Both act for the
// user named in the grant, through the methods that check that user's
// perimeter; only the tenant's Document Server settings are read without
// one, to check the grant itself. *appliance.Service implements it.
type service interface {
	OnlyOfficeServer(ctx context.Context, tenant string) (*domain.OnlyOfficeServer, string, error)
	ActorFor(ctx context.Context, tenant, userID string) (*appliance.Actor, error)
	Document(ctx context.Context, a *appliance.Actor, id string) (*domain.Document, error)
	OpenDocument(ctx context.Context, a *appliance.Actor, documentID string, version int) (*domain.Document, *domain.Version, io.ReadSeekCloser, error)
	Attach(ctx context.Context, a *appliance.Actor, id, documentID string, u appliance.Upload) (*domain.Document, error)
}

var _ service = (*appliance.Service)(nil)

// Handler serves the Document Server's endpoints.
type Handler struct {
	svc service
	// now is the Service's clock, which tests replace; maxUpload bounds
	// an edited file as any document.
	now       func() time.Time
	maxUpload int64
	log       *slog.Logger
	client    *http.Client
}

func New(svc *appliance.Service, log *slog.Logger, opt Options) *Handler {
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 5 * time.Minute}
	}
	return &Handler{svc: svc, now: func() time.Time { return svc.Now() }, maxUpload: svc.MaxUpload, log: log, client: opt.Client}
}

// Register mounts the endpoints.
func (h *Handler) Register(mux *http.ServeMux) {
	for pattern, f := range h.routes() {
		mux.HandleFunc(pattern, f)
	}
}

// Routes lists the patterns Register mounts, for the authorization tests:
// none has a session; each checks the signed grant of its URL.
func (h *Handler) Routes() []string {
	var out []string
	for pattern := range h.routes() {
		out = append(out, pattern)
	}
	return out
}

func (h *Handler) routes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /onlyoffice/download":  h.download,
		"POST /onlyoffice/callback": h.callback,
	}
}

// grant checks the signed grant of a request's URL.
func (h *Handler) grant(ctx context.Context, r *http.Request, purpose string) (*oo.Grant, string, error) {
	tenant := r.URL.Query().Get("tenant")
	_, secret, err := h.svc.OnlyOfficeServer(ctx, tenant)
	if err != nil {
		return nil, "", fmt.Errorf("%w: commune sans OnlyOffice", oo.ErrToken)
	}
	g, err := oo.CheckGrant(secret, r.URL.Query().Get("token"), purpose, h.now())
	if err != nil {
		return nil, "", err
	}
	if g.Tenant != tenant {
		return nil, "", fmt.Errorf("%w: commune", oo.ErrToken)
	}
	return g, secret, nil
}

func (h *Handler) download(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	w.Header().Set("Cache-Control", "no-store")
	g, _, err := h.grant(ctx, r, oo.Download)
	if err != nil {
		h.log.Warn("onlyoffice: download refused", "remote", r.RemoteAddr, "err", err)
		http.Error(w, "accès refusé", http.StatusForbidden)
		return
	}
	// The document is read as the user who opened the editor: one who
	// lost the letter since (redirected, disabled) gets nothing more.
	a, err := h.svc.ActorFor(ctx, g.Tenant, g.User)
	if err != nil {
		h.log.Warn("onlyoffice: download refused", "tenant", g.Tenant, "user", g.User, "err", err)
		http.Error(w, "accès refusé", http.StatusForbidden)
		return
	}
	if g.Version < 1 {
		http.Error(w, "document introuvable", http.StatusNotFound)
		return
	}
	d, v, f, err := h.svc.OpenDocument(ctx, a, g.Document, g.Version)
	if errors.Is(err, appliance.ErrNotFound) {
		h.log.Warn("onlyoffice: download refused", "tenant", g.Tenant, "user", a.User.Login, "document", g.Document, "err", err)
		http.Error(w, "document introuvable", http.StatusNotFound)
		return
	}
	if err != nil {
		h.log.Error("onlyoffice: open document", "tenant", g.Tenant, "document", g.Document, "err", err)
		http.Error(w, "erreur interne", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	download.Serve(w, r, d.Name, v.MIME, v.SHA256, time.Time{}, download.Attachment, f)
}

// Callback statuses (Document Server API, callback handler).
const (
	statusEditing    = 1
	statusSave       = 2
	statusSaveError  = 3
	statusNoChanges  = 4
	statusForceSave  = 6
	statusForceError = 7
)

// callbackBody is what the Document Server posts.
type callbackBody struct {
	Key      string   `json:"key"`
	Status   int      `json:"status"`
	URL      string   `json:"url"`
	FileType string   `json:"filetype"`
	Users    []string `json:"users"`
	Token    string   `json:"token"`
}

type reply struct {
	Error   int    `json:"error"`
	Message string `json:"message,omitempty"`
}

func answer(w http.ResponseWriter, code, e int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(reply{Error: e, Message: msg})
}

func (h *Handler) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	g, secret, err := h.grant(ctx, r, oo.Callback)
	if err != nil {
		h.log.Warn("onlyoffice: callback refused", "remote", r.RemoteAddr, "err", err)
		answer(w, http.StatusForbidden, 1, "accès refusé")
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		answer(w, http.StatusBadRequest, 1, "corps illisible")
		return
	}
	cb, err := h.verifyBody(secret, raw, r.Header.Get("Authorization"))
	if err != nil {
		h.log.Warn("onlyoffice: callback refused", "tenant", g.Tenant, "document", g.Document, "remote", r.RemoteAddr, "err", err)
		answer(w, http.StatusForbidden, 1, "jeton du Document Server invalide")
		return
	}
	switch cb.Status {
	case statusSave, statusForceSave:
		if err := h.save(ctx, g, cb); err != nil {
			h.log.Error("onlyoffice: save refused", "tenant", g.Tenant, "document", g.Document, "user", g.User, "status", cb.Status, "err", err)
			answer(w, http.StatusOK, 1, "enregistrement impossible")
			return
		}
	case statusSaveError, statusForceError:
		h.log.Warn("onlyoffice: the Document Server could not save", "tenant", g.Tenant, "document", g.Document, "status", cb.Status)
	case statusEditing, statusNoChanges:
	default:
		h.log.Warn("onlyoffice: unknown callback status", "tenant", g.Tenant, "document", g.Document, "status", cb.Status)
	}
	answer(w, http.StatusOK, 0, "")
}

// verifyBody checks the Document Server's JWT and returns what it signed:
// the body's "token" signs the callback's fields themselves, the header's
// signs them under "payload". Unsigned fields are never trusted.
func (h *Handler) verifyBody(secret string, raw []byte, authz string) (*callbackBody, error) {
	var body callbackBody
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, fmt.Errorf("callback body: %w", err)
	}
	now := h.now()
	var signed callbackBody
	switch tok, isBearer := strings.CutPrefix(authz, "Bearer "); {
	case body.Token != "":
		claims, err := oo.Verify(secret, body.Token, now)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(claims, &signed); err != nil {
			return nil, fmt.Errorf("%w: contenu", oo.ErrToken)
		}
	case isBearer:
		claims, err := oo.Verify(secret, strings.TrimSpace(tok), now)
		if err != nil {
			return nil, err
		}
		var wrapped struct {
			Payload *callbackBody `json:"payload"`
		}
		if err := json.Unmarshal(claims, &wrapped); err != nil || wrapped.Payload == nil {
			return nil, fmt.Errorf("%w: payload attendu", oo.ErrToken)
		}
		signed = *wrapped.Payload
	default:
		return nil, fmt.Errorf("%w: aucun jeton", oo.ErrToken)
	}
	return &signed, nil
}

// save fetches the edited file from the Document Server and records it as
// the document's new version, as the user of the grant.
func (h *Handler) save(ctx context.Context, g *oo.Grant, cb *callbackBody) error {
	srv, _, err := h.svc.OnlyOfficeServer(ctx, g.Tenant)
	if err != nil {
		return err
	}
	if err := sameOrigin(srv.URL, cb.URL); err != nil {
		return err
	}
	a, err := h.svc.ActorFor(ctx, g.Tenant, g.User)
	if err != nil {
		return fmt.Errorf("user %s: %w", g.User, err)
	}
	d, err := h.svc.Document(ctx, a, g.Document)
	if err != nil {
		return err
	}
	content, err := h.fetch(ctx, srv.URL, cb.URL)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(content)
	if hex.EncodeToString(sum[:]) == d.Versions[len(d.Versions)-1].SHA256 {
		// A force save followed by the final save, or a retried callback:
		// the same content is not a new version.
		return nil
	}
	// Two callbacks with this content (a retry after a lost answer, or two
	// nodes called back for one editing session) read the same latest
	// version before either commits: the key decides in log order that
	// one version is recorded, cluster-wide.
	base := d.Versions[len(d.Versions)-1].SHA256
	key := "onlyoffice:" + d.ID + ":" + base + ":" + hex.EncodeToString(sum[:])
	kctx, _ := appliance.WithIdempotency(ctx, key, nil)
	nd, err := h.svc.Attach(kctx, a, d.LetterID, d.ID, appliance.Upload{Name: d.Name, Body: bytes.NewReader(content)})
	var dup *appliance.DuplicateError
	if errors.As(err, &dup) {
		h.log.Info("onlyoffice: this save was already recorded", "tenant", g.Tenant, "document", d.ID, "user", a.User.Login)
		return nil
	}
	if err != nil {
		return err
	}
	h.log.Info("onlyoffice: document saved", "tenant", g.Tenant, "document", d.ID, "version", nd.Versions[len(nd.Versions)-1].Version, "user", a.User.Login, "bytes", len(content))
	return nil
}

// sameOrigin refuses to fetch anything but the tenant's Document Server: a
// forged or mistaken URL must not make Missive reach into the town's network.
func sameOrigin(server, fileURL string) error {
	s, err1 := url.Parse(server)
	f, err2 := url.Parse(fileURL)
	if err1 != nil || err2 != nil || f.Scheme != s.Scheme || !strings.EqualFold(f.Host, s.Host) {
		return fmt.Errorf("edited file URL is not on the Document Server %s", server)
	}
	return nil
}

// fetch gets the edited file from the tenant's Document Server. A redirect
// is followed only on that server: the pinning of sameOrigin must not be
// undone by a Location header (SSRF into the town's network).
func (h *Handler) fetch(ctx context.Context, server, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	client := *h.client
	next := client.CheckRedirect
	client.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if err := sameOrigin(server, r.URL.String()); err != nil {
			return fmt.Errorf("redirect refused: %w", err)
		}
		if next != nil {
			return next(r, via)
		}
		if len(via) >= 10 {
			return fmt.Errorf("stopped after %d redirects", len(via))
		}
		return nil
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch edited file: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch edited file: %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, h.maxUpload+1))
	if err != nil {
		return nil, fmt.Errorf("fetch edited file: %w", err)
	}
	if int64(len(b)) > h.maxUpload {
		return nil, fmt.Errorf("edited file: %w", appliance.ErrTooLarge)
	}
	return b, nil
}
