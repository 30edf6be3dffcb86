package replies

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"missive/appliance/docserver"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// OnlyOffice on the appliance's side: the editor configuration of a document,
// signed for the tenant's Document Server. The server fetches the document
// and posts its saves to the endpoints of package webdav/onlyoffice, which
// the URLs in the configuration name with short-lived signed grants.

// How long the grants in an editor configuration hold: the Document Server
// downloads the document as the editor opens, but calls back when the last
// editor has closed it, which may be days later.
const (
	onlyOfficeDownloadTTL = 15 * time.Minute
	onlyOfficeCallbackTTL = 72 * time.Hour
)

// OnlyOfficeEditor is what a page needs to open the editor: the Document
// Server's api.js and the signed configuration for DocsAPI.DocEditor.
type OnlyOfficeEditor struct {
	APIURL string           `json:"api_url" doc:"Script à charger: web-apps/apps/api/documents/api.js du Document Server"`
	Config docserver.Config `json:"config" doc:"Configuration signée (JWT HS256) à passer à new DocsAPI.DocEditor(id, config)"`
}

// OnlyOfficeServer returns the tenant's Document Server URL and its opened
// JWT secret, for the OnlyOffice endpoints only.
func (s *Replies) OnlyOfficeServer(ctx context.Context, tenant string) (*store.OnlyOfficeServer, string, error) {
	o, err := s.k.Reader().OnlyOfficeServer(ctx, tenant)
	if err != nil {
		return nil, "", err
	}
	secret, err := s.k.Secrets.Open("onlyoffice", o.Secret)
	if err != nil {
		return nil, "", fmt.Errorf("OnlyOffice secret of %s: %w", tenant, err)
	}
	return o, secret, nil
}

// OnlyOfficeEditor builds the editor configuration of a document's latest
// version for the actor: in edit mode for those who may act on its letter
// and a format the Document Server saves, in view mode otherwise. baseURL is
// Missive's address as the Document Server reaches it.
func (s *Replies) OnlyOfficeEditor(ctx context.Context, a *kernel.Actor, documentID, baseURL string) (*OnlyOfficeEditor, error) {
	d, err := s.h.Document(ctx, a, documentID)
	if err != nil {
		return nil, err
	}
	o, secret, err := s.OnlyOfficeServer(ctx, a.TenantID())
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: aucun serveur OnlyOffice n'est configuré pour la commune (missive onlyoffice set)", kernel.ErrInvalid)
	} else if err != nil {
		return nil, err
	}
	ext, docType, editable := docserver.FileType(d.Name)
	if docType == "" {
		return nil, fmt.Errorf("%w: OnlyOffice n'ouvre pas les fichiers « %s »", kernel.ErrInvalid, d.Name)
	}
	_, actErr := s.k.LetterToAct(ctx, a, d.LetterID)
	edit := editable && actErr == nil
	v := d.Versions[len(d.Versions)-1]
	now := s.k.Now()
	base := strings.TrimSuffix(baseURL, "/")
	grant := func(g docserver.Grant, ttl time.Duration) (string, error) {
		g.Tenant, g.Document, g.Exp = a.TenantID(), d.ID, now.Add(ttl).Unix()
		return docserver.Sign(secret, g)
	}
	// The download is made for this user: the endpoint opens the document
	// as them, so that their perimeter is checked when it is fetched.
	dl, err := grant(docserver.Grant{Purpose: docserver.Download, Version: v.Version, User: a.ID()}, onlyOfficeDownloadTTL)
	if err != nil {
		return nil, err
	}
	c := docserver.Config{
		Document: docserver.Document{FileType: ext, Key: docserver.Key(d.ID, v.SHA256), Title: d.Name,
			URL:         base + "/onlyoffice/download?" + url.Values{"tenant": {a.TenantID()}, "token": {dl}}.Encode(),
			Permissions: docserver.Permissions{Edit: edit, Download: true, Print: true}},
		DocumentType: docType,
		EditorConfig: docserver.EditorConfig{Lang: "fr", Mode: "view", User: docserver.User{ID: a.ID(), Name: a.User.Name}},
	}
	if edit {
		cb, err := grant(docserver.Grant{Purpose: docserver.Callback, User: a.ID()}, onlyOfficeCallbackTTL)
		if err != nil {
			return nil, err
		}
		c.EditorConfig.Mode = "edit"
		c.EditorConfig.CallbackURL = base + "/onlyoffice/callback?" + url.Values{"tenant": {a.TenantID()}, "token": {cb}}.Encode()
	}
	if err := docserver.SignConfig(secret, &c); err != nil {
		return nil, err
	}
	return &OnlyOfficeEditor{APIURL: strings.TrimSuffix(o.URL, "/") + "/web-apps/apps/api/documents/api.js", Config: c}, nil
}

// OnlyOfficeEnabled says whether the actor's tenant has a Document Server,
// for the letter page's links; it reveals nothing of its settings.
func (s *Replies) OnlyOfficeEnabled(ctx context.Context, a *kernel.Actor) (bool, error) {
	_, err := s.k.Reader().OnlyOfficeServer(ctx, a.TenantID())
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
