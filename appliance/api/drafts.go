package api

import (
	"errors"
	"net/http"
	"strings"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/drafts"
)

// DraftBody optionally names the template of a reply draft.
type DraftBody struct {
	TemplateID string `json:"template_id,omitempty" doc:"Modèle à utiliser; par défaut le meilleur pour le courrier, \"default\" pour le modèle intégré"`
}

// DraftResponse is a letter's reply draft and where to edit it.
type DraftResponse struct {
	URL      string          `json:"url" doc:"Adresse WebDAV absolue du projet, à ouvrir dans LibreOffice: <base>/dav/<commune>/<numéro>/<fichier>"`
	Created  bool            `json:"created" doc:"false: le courrier avait déjà son projet, renvoyé tel quel"`
	Template string          `json:"template,omitempty"`
	Document domain.Document `json:"document"`
}

func (s *Server) draft(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in DraftBody
	if err := decodeOptional(w, r, &in); err != nil {
		return err
	}
	d, err := s.svc.CreateDraft(r.Context(), a, r.PathValue("id"), in.TemplateID)
	if err != nil {
		return err
	}
	s.writeDraft(w, r, d)
	return nil
}

// writeDraft answers with a draft: 201 when this request made it.
func (s *Server) writeDraft(w http.ResponseWriter, r *http.Request, d *appliance.Draft) {
	code := 201
	if !d.Created {
		code = 200
	}
	writeJSON(w, code, DraftResponse{URL: s.absolute(r, d.Path), Created: d.Created, Template: d.Template, Document: *d.Document})
}

func (s *Server) finalPDF(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	d, err := s.svc.FinalPDF(r.Context(), a, r.PathValue("id"))
	if errors.Is(err, drafts.ErrNoOffice) {
		// The administrator's to fix, and the message says how: shown
		// as it is, not hidden like other server errors.
		writeJSON(w, 503, Error{Error: drafts.ErrNoOffice.Error()})
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, 201, d)
	return nil
}

// absolute makes a path an absolute URL: the configured public address, or
// the scheme and host the request came to.
func (s *Server) absolute(r *http.Request, path string) string {
	if s.BaseURL != "" {
		return strings.TrimSuffix(s.BaseURL, "/") + path
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}
