package web

import (
	"errors"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/download"
	"missive/appliance/drafts"
)

// Reply drafts in the web UI: the administrator's templates page, and the
// letter page's "Créer un projet de réponse" and "Générer la réponse
// définitive (PDF)" buttons. The Service does the work and checks rights.

func (s *Server) draftRoutes() []struct {
	pattern string
	h       handler
} {
	return []struct {
		pattern string
		h       handler
	}{
		{"POST /letters/{id}/draft", s.createDraft},
		{"POST /letters/{id}/final-pdf", s.finalPDF},
		{"GET /admin/templates", s.adminTemplates},
		{"POST /admin/templates", s.adminAddTemplate},
		{"POST /admin/templates/{id}/delete", s.adminDeleteTemplate},
		{"GET /admin/templates/{id}/file", s.adminTemplateFile},
	}
}

// letterDrafts is the letter page's reply section.
type letterDrafts struct {
	Draft *domain.Document // the reply draft, if made
	Final *domain.Document // its PDF, if generated
	// URL is the draft's WebDAV address. OpenHref is the href that opens
	// it for editing through LibreOffice's own URL scheme,
	// vnd.libreoffice.command:ofe|u|<url>: html/template would percent-encode
	// its "|" (which LibreOffice does not decode) in a URL, so the whole
	// attribute is built here, HTML-escaped, and marked safe.
	URL       string
	OpenHref  template.HTMLAttr
	Templates []domain.DraftTemplate
	CanAct    bool
}

func (s *Server) letterDraftsData(r *http.Request, q *request, l *domain.Letter, docs []domain.Document, canAct bool) (*letterDrafts, error) {
	d := &letterDrafts{CanAct: canAct && l.Status != domain.StatusClosed}
	d.Draft, d.Final = appliance.ReplyDocuments(docs, l.Number)
	if d.Draft != nil {
		d.URL = s.absolute(r, drafts.DAVPath(q.actor.TenantID(), l.Number, d.Draft.Name))
		d.OpenHref = template.HTMLAttr(`href="` + html.EscapeString("vnd.libreoffice.command:ofe|u|"+d.URL) + `"`)
	}
	if d.CanAct && d.Draft == nil {
		ts, err := s.svc.DraftTemplates(r.Context(), q.actor)
		if err != nil {
			return nil, err
		}
		d.Templates = ts
	}
	return d, nil
}

// absolute makes a path an absolute URL: the public address when
// configured, else the scheme and host of the request.
func (s *Server) absolute(r *http.Request, path string) string {
	if s.opts.BaseURL != "" {
		return strings.TrimSuffix(s.opts.BaseURL, "/") + path
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

func (s *Server) createDraft(w http.ResponseWriter, r *http.Request, q *request) error {
	id := r.PathValue("id")
	back := "/letters/" + url.PathEscape(id)
	d, err := s.svc.CreateDraft(r.Context(), q.actor, id, r.PostFormValue("template_id"))
	switch {
	case errors.Is(err, appliance.ErrConflict):
		return s.doneErr(w, r, q, back, err.Error())
	case err != nil:
		return err
	case !d.Created:
		return s.done(w, r, q, back+"#h-reply", tf(q.lang, "draft.exists", d.Document.Name))
	}
	return s.done(w, r, q, back+"#h-reply", tf(q.lang, "draft.created", d.Document.Name, d.Template))
}

func (s *Server) finalPDF(w http.ResponseWriter, r *http.Request, q *request) error {
	id := r.PathValue("id")
	back := "/letters/" + url.PathEscape(id)
	d, err := s.svc.FinalPDF(r.Context(), q.actor, id)
	switch {
	case errors.Is(err, drafts.ErrNoOffice):
		return s.doneErr(w, r, q, back+"#h-reply", tr(q.lang, "draft.nooffice"))
	case errors.Is(err, appliance.ErrConflict):
		return s.doneErr(w, r, q, back+"#h-reply", err.Error())
	case err != nil:
		return err
	}
	return s.done(w, r, q, back+"#h-reply", tf(q.lang, "draft.pdfdone", d.Name, len(d.Versions)))
}

type templatesData struct {
	Templates []domain.DraftTemplate
	orgChoices
	Fields  []drafts.Field
	Default string
}

func (s *Server) adminTemplates(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.showTemplates(w, r, q, http.StatusOK, nil)
}

func (s *Server) showTemplates(w http.ResponseWriter, r *http.Request, q *request, code int, errs appliance.FieldErrors) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	ctx := r.Context()
	ts, err := s.svc.DraftTemplates(ctx, q.actor)
	if err != nil {
		return err
	}
	org, err := s.orgChoices(ctx, q.actor)
	if err != nil {
		return err
	}
	d := &templatesData{Templates: ts, orgChoices: org, Fields: drafts.FieldList, Default: drafts.DefaultName}
	v := s.page(w, r, q, tr(q.lang, "admin.templates"), "admin-templates", d)
	if errs != nil {
		v.Errors, v.Form = errs, r.PostForm
	}
	s.render(w, q, code, "admin_templates", v)
	return nil
}

func (s *Server) adminAddTemplate(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	in := appliance.TemplateInput{Name: r.PostFormValue("name"), EntityID: r.PostFormValue("entity_id"), DoctypeID: r.PostFormValue("doctype_id")}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return s.showTemplates(w, r, q, http.StatusUnprocessableEntity, appliance.FieldErrors{"file": "choisissez un fichier ODT ou DOCX"})
	}
	defer file.Close()
	in.FileName, in.Body = hdr.Filename, file
	t, err := s.svc.AddDraftTemplate(r.Context(), q.actor, in)
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		return s.showTemplates(w, r, q, http.StatusUnprocessableEntity, fe)
	}
	if err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/templates", tf(q.lang, "admin.templateadded", t.Name))
}

func (s *Server) adminDeleteTemplate(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	t, _, err := s.svc.DraftTemplateFile(r.Context(), q.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.svc.DeleteDraftTemplate(r.Context(), q.actor, t.ID); err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/templates", tf(q.lang, "admin.templatedeleted", t.Name))
}

// adminTemplateFile downloads a template ("default": the built-in one), so
// that an administrator starts a town's own from it.
func (s *Server) adminTemplateFile(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	t, b, err := s.svc.DraftTemplateFile(r.Context(), q.actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	download.Headers(w.Header(), t.FileName, drafts.Format(t.Format).MIME(), download.Attachment)
	w.Write(b)
	return nil
}
