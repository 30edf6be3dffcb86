// Package ged owns the export of letters to the town's GED (a WebDAV
// folder on Nextcloud, Alfresco…): the tenant's target, the exports queued
// on demand or when a letter is closed, and their outcome as recorded by
// the exporter (package webdav/ged); and the tenant's OnlyOffice Document
// Server settings, kept beside the GED's because both are the outside
// services an administrator points Missive at.
package ged

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"missive/appliance/kernel"
	"missive/appliance/store"
)

// Export is the GED export's side of the appliance. The facade embeds it,
// so that its methods are the Service's.
type Export struct {
	k *kernel.Kernel
}

// New makes the GED export of an appliance.
func New(k *kernel.Kernel) *Export { return &Export{k: k} }

// GEDTargetInput sets the WebDAV folder letters are exported to.
type GEDTargetInput struct {
	URL      string `json:"url" doc:"Dossier WebDAV, ex. https://cloud.ville.fr/remote.php/dav/files/courrier/Courrier/ (Nextcloud) ou https://ged.ville.fr/alfresco/webdav/Sites/courrier/ (Alfresco)"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty" doc:"Vide: le mot de passe enregistré est gardé si l'identifiant, le serveur, le port et le protocole (https) ne changent pas"`
	// OnClose nil means true: closing a letter exports it.
	OnClose *bool `json:"on_close,omitempty" doc:"Exporter chaque courrier à sa clôture (défaut: oui)"`
}

// checkServiceURL accepts an http(s) URL without credentials, query or
// fragment: credentials travel apart, never in a URL that may be shown.
func checkServiceURL(errs kernel.FieldErrors, field, raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case raw == "":
		errs[field] = "obligatoire"
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		errs[field] = "adresse http:// ou https:// attendue"
	case u.User != nil:
		errs[field] = "l'identifiant et le mot de passe se donnent à part, pas dans l'adresse"
	case u.RawQuery != "" || u.Fragment != "":
		errs[field] = "adresse sans paramètres (?…) ni ancre (#…)"
	case len(raw) > 2000:
		errs[field] = "2000 caractères au plus"
	default:
		if !strings.HasSuffix(u.Path, "/") {
			u.Path += "/"
		}
		return u.String()
	}
	return ""
}

// sameOrigin says whether two service URLs are on the same server: same
// scheme (TLS or not), host and port. A stored password goes to no other.
func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Scheme == ub.Scheme && strings.EqualFold(ua.Hostname(), ub.Hostname()) && urlPort(ua) == urlPort(ub)
}

func urlPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

// SetGEDTarget sets the tenant's GED folder (admin). Failed exports are
// queued again with the new settings.
func (e *Export) SetGEDTarget(ctx context.Context, a *kernel.Actor, in GEDTargetInput) (*store.GEDTarget, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	errs := kernel.FieldErrors{}
	u := checkServiceURL(errs, "url", in.URL)
	in.Username = strings.TrimSpace(in.Username)
	kernel.CheckLen(errs, "username", in.Username, 300, false)
	kernel.CheckLen(errs, "password", in.Password, 8192, false)
	if in.Password != "" && in.Username == "" {
		errs["username"] = "obligatoire avec un mot de passe"
	}
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	// Sealed like the relay's password (secrets.go): the raft log and the
	// snapshots hold only ciphertext.
	secret := e.k.Secrets.Seal("ged", in.Password)
	if in.Password == "" && in.Username != "" {
		if old, err := e.k.Reader().GEDTarget(ctx, a.TenantID()); err == nil && old.Username == in.Username && sameOrigin(old.URL, u) {
			secret = old.Secret
		}
	}
	onClose := in.OnClose == nil || *in.OnClose
	v, err := e.k.Propose(ctx, KindGEDTargetSet, a.TenantID(), a.ID(), GEDTargetSet{URL: u, Username: in.Username, Secret: secret, OnClose: onClose})
	if err != nil {
		return nil, err
	}
	return v.(*store.GEDTarget), nil
}

// GEDTarget reads the tenant's target (admin); its secret stays inside.
func (e *Export) GEDTarget(ctx context.Context, a *kernel.Actor) (*store.GEDTarget, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	return e.k.Reader().GEDTarget(ctx, a.TenantID())
}

// ExportLetter queues a letter's export now, for anyone who may act on it.
// An export already waiting is returned rather than doubled.
func (e *Export) ExportLetter(ctx context.Context, a *kernel.Actor, id string) (*store.GEDExport, error) {
	l, err := e.k.LetterToAct(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if _, err := e.k.Reader().GEDTarget(ctx, a.TenantID()); errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: aucune GED n'est configurée pour la commune (missive ged set)", kernel.ErrInvalid)
	} else if err != nil {
		return nil, err
	}
	exports, err := e.k.Reader().GEDExportsOf(ctx, l.ID)
	if err != nil {
		return nil, err
	}
	for i := range exports {
		if exports[i].Status == GEDQueued {
			return &exports[i], nil
		}
	}
	v, err := e.k.Propose(ctx, KindGEDExportQueue, a.TenantID(), a.ID(), GEDExportQueue{ID: kernel.NewID(), LetterID: l.ID, Reason: GEDReasonManual})
	if err != nil {
		return nil, err
	}
	return v.(*store.GEDExport), nil
}

// LetterExports lists the exports of a letter the actor sees, newest first.
func (e *Export) LetterExports(ctx context.Context, a *kernel.Actor, id string) ([]store.GEDExport, error) {
	l, err := e.k.Reader().Letter(ctx, a.Perimeter, id)
	if err != nil {
		return nil, err
	}
	return e.k.Reader().GEDExportsOf(ctx, l.ID)
}

// RecordGEDExportResult commits the outcome of an export attempt (the
// exporter, as Missive itself).
func (e *Export) RecordGEDExportResult(ctx context.Context, tenant string, res GEDExportResult) error {
	_, err := e.k.Propose(ctx, KindGEDExportResult, tenant, kernel.SystemActor, res)
	return err
}

// OnlyOfficeInput sets the tenant's OnlyOffice Document Server.
type OnlyOfficeInput struct {
	URL    string `json:"url" doc:"Adresse du Document Server, ex. https://office.ville.fr/"`
	Secret string `json:"secret" doc:"Secret JWT partagé avec le Document Server (services.CoAuthoring.secret)"`
}

// SetOnlyOffice sets the tenant's Document Server (admin).
func (e *Export) SetOnlyOffice(ctx context.Context, a *kernel.Actor, in OnlyOfficeInput) (*store.OnlyOfficeServer, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	errs := kernel.FieldErrors{}
	u := checkServiceURL(errs, "url", in.URL)
	// HS256 with a short key is guessable offline from one signed config.
	if len(in.Secret) < 16 {
		errs["secret"] = "16 caractères au moins"
	}
	kernel.CheckLen(errs, "secret", in.Secret, 1000, true)
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	v, err := e.k.Propose(ctx, KindOnlyOfficeSet, a.TenantID(), a.ID(), OnlyOfficeSet{URL: u, Secret: e.k.Secrets.Seal("onlyoffice", in.Secret)})
	if err != nil {
		return nil, err
	}
	return v.(*store.OnlyOfficeServer), nil
}

// GEDEnabled says whether the actor's tenant exports to a GED, for the
// letter page's button; it reveals nothing of the target.
func (e *Export) GEDEnabled(ctx context.Context, a *kernel.Actor) (bool, error) {
	_, err := e.k.Reader().GEDTarget(ctx, a.TenantID())
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
