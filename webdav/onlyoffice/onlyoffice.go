// Package onlyoffice serves the two endpoints an OnlyOffice Document Server
// calls: GET /onlyoffice/download, where it fetches the document an editor
// opens, and POST /onlyoffice/callback, where it says how editing went and,
// on status 2 (closed with changes) or 6 (force save), where to fetch the
// edited file, which becomes the document's new version through a command.
//
// Neither endpoint has a session: each URL carries a short-lived grant
// signed with the tenant's JWT secret (appliance/onlyoffice), naming the
// tenant, the document and, for the callback, the user who opened the
// editor. The callback must also carry the Document Server's own JWT (in
// the body's "token" or the Authorization header), signed with the same
// secret. The edited file is fetched only from the tenant's Document Server
// (same scheme, host and port), and saved as the user of the grant, so
// that the user's perimeter is checked again at save time.
package onlyoffice

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"missive/appliance"
	oo "missive/appliance/docserver"
	"missive/appliance/download"
)

// Options tunes the endpoints; the zero value of a field means its default.
type Options struct {
	// Client fetches edited files from the Document Server.
	Client *http.Client
}

// Handler serves the Document Server's endpoints.
type Handler struct {
	svc    *appliance.Service
	log    *slog.Logger
	client *http.Client
}

func New(svc *appliance.Service, log *slog.Logger, opt Options) *Handler {
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 5 * time.Minute}
	}
	return &Handler{svc: svc, log: log, client: opt.Client}
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
	g, err := oo.CheckGrant(secret, r.URL.Query().Get("token"), purpose, h.svc.Now())
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
	d, err := h.svc.Store.Reader().Document(ctx, g.Tenant, g.Document)
	if err != nil || g.Version < 1 || g.Version > len(d.Versions) {
		http.Error(w, "document introuvable", http.StatusNotFound)
		return
	}
	v := d.Versions[g.Version-1]
	f, err := h.svc.Blobs.Open(v.SHA256)
	if err != nil {
		h.log.Error("onlyoffice: open document", "tenant", g.Tenant, "document", d.ID, "err", err)
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
	now := h.svc.Now()
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
	nd, err := h.svc.Attach(ctx, a, d.LetterID, d.ID, appliance.Upload{Name: d.Name, Body: bytes.NewReader(content)})
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
	b, err := io.ReadAll(io.LimitReader(resp.Body, h.svc.MaxUpload+1))
	if err != nil {
		return nil, fmt.Errorf("fetch edited file: %w", err)
	}
	if int64(len(b)) > h.svc.MaxUpload {
		return nil, fmt.Errorf("edited file: %w", appliance.ErrTooLarge)
	}
	return b, nil
}
