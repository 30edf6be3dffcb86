package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"missive/appliance"
	"missive/appliance/domain"
)

// The GED export on the letter page: where the letter went (the folder's
// URL and when) or the last error, and an "Exporter vers la GED" button for
// those who may act on the letter. The export itself runs from the durable
// queue (package webdav/ged).

func init() {
	for k, v := range map[string][2]string{
		"ged.title":    {"Export vers la GED", "Export to the document management system"},
		"ged.done":     {"Exporté le %s vers", "Exported on %s to"},
		"ged.queued":   {"Export en attente (%d tentative(s) échouée(s)), prochain essai le %s", "Export waiting (%d failed attempt(s)), next try on %s"},
		"ged.failed":   {"Export abandonné après %d tentatives", "Export given up after %d attempts"},
		"ged.error":    {"Dernière erreur :", "Last error:"},
		"ged.none":     {"Ce courrier n'a pas encore été exporté.", "This letter has not been exported yet."},
		"ged.export":   {"Exporter vers la GED", "Export to the DMS"},
		"ged.exported": {"Export vers la GED demandé", "Export to the DMS queued"},
		"oo.open":      {"Modifier dans OnlyOffice", "Edit in OnlyOffice"},
		"ged.admin":    {"GED et OnlyOffice", "DMS and OnlyOffice"},
		"ged.target":   {"Export vers la GED (Nextcloud, Alfresco)", "Export to the DMS (Nextcloud, Alfresco)"},
		"ged.help": {"Chaque courrier clos est déposé dans un dossier <année>/<numéro>/ de ce dossier WebDAV : document principal, réponse finale en PDF, metadata.json et metadata.csv avec les empreintes SHA-256.",
			"Each closed letter is put in a <year>/<number>/ folder of this WebDAV folder: main document, final answer as PDF, metadata.json and metadata.csv with SHA-256 digests."},
		"ged.url":      {"Dossier WebDAV", "WebDAV folder"},
		"ged.user":     {"Identifiant", "User name"},
		"ged.password": {"Mot de passe (vide : inchangé)", "Password (empty: unchanged)"},
		"ged.onclose":  {"Exporter chaque courrier à sa clôture", "Export each letter when it is closed"},
		"ged.save":     {"Enregistrer", "Save"},
		"ged.saved":    {"Réglages enregistrés", "Settings saved"},
		"oo.admin":     {"OnlyOffice Document Server", "OnlyOffice Document Server"},
		"oo.help": {"Facultatif : les documents s'ouvrent alors dans OnlyOffice depuis la page du courrier, et chaque enregistrement crée une version.",
			"Optional: documents then open in OnlyOffice from the letter page, and each save makes a version."},
		"oo.url":    {"Adresse du Document Server", "Document Server address"},
		"oo.secret": {"Secret JWT (16 caractères au moins)", "JWT secret (16 characters at least)"},
	} {
		catalogue["fr"][k], catalogue["en"][k] = v[0], v[1]
	}
}

// gedRoutes are mounted by Register like the other pages.
func (s *Server) gedRoutes() []struct {
	pattern string
	h       handler
} {
	return []struct {
		pattern string
		h       handler
	}{
		{"POST /letters/{id}/export", s.exportLetter},
		{"GET /documents/{id}/onlyoffice", s.onlyOfficePage},
		{"GET /admin/ged", s.adminGED},
		{"POST /admin/ged", s.adminSetGED},
		{"POST /admin/onlyoffice", s.adminSetOnlyOffice},
	}
}

// letterGED is what the letter page shows of the GED export (Enabled: the
// tenant has a GED) and whether its documents open in OnlyOffice.
type letterGED struct {
	Enabled    bool
	Exports    []domain.GEDExport
	CanAct     bool
	OnlyOffice bool
}

func (s *Server) letterGEDData(ctx context.Context, a *appliance.Actor, l *domain.Letter, canAct bool) (*letterGED, error) {
	g := &letterGED{CanAct: canAct}
	var err error
	if g.OnlyOffice, err = s.svc.OnlyOfficeEnabled(ctx, a); err != nil {
		return nil, err
	}
	if g.Enabled, err = s.svc.GEDEnabled(ctx, a); err != nil || !g.Enabled {
		return g, err
	}
	if g.Exports, err = s.svc.LetterExports(ctx, a, l.ID); err != nil {
		return nil, err
	}
	return g, nil
}

func (s *Server) exportLetter(w http.ResponseWriter, r *http.Request, q *request) error {
	id := r.PathValue("id")
	back := "/letters/" + url.PathEscape(id)
	if _, err := s.svc.ExportLetter(r.Context(), q.actor, id); err != nil {
		if errors.Is(err, appliance.ErrInvalid) {
			return s.doneErr(w, r, q, back, err.Error())
		}
		return err
	}
	return s.done(w, r, q, back, tr(q.lang, "ged.exported"))
}

type gedAdminData struct {
	Target *domain.GEDTarget
	Office *domain.OnlyOfficeServer
}

func (s *Server) adminGED(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.showGED(w, r, q, http.StatusOK, nil)
}

// showGED renders the settings, never their secrets.
func (s *Server) showGED(w http.ResponseWriter, r *http.Request, q *request, code int, errs appliance.FieldErrors) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	ctx := r.Context()
	var d gedAdminData
	var err error
	if d.Target, err = s.svc.GEDTarget(ctx, q.actor); err != nil && !errors.Is(err, appliance.ErrNotFound) {
		return err
	}
	if o, _, err := s.svc.OnlyOfficeServer(ctx, q.actor.TenantID()); err == nil {
		d.Office = o
	} else if !errors.Is(err, appliance.ErrNotFound) {
		return err
	}
	v := s.page(w, r, q, tr(q.lang, "ged.admin"), "admin-ged", d)
	if errs != nil {
		v.Errors, v.Form = errs, r.PostForm
	}
	s.render(w, q, code, "admin_ged", v)
	return nil
}

func (s *Server) adminSetGED(w http.ResponseWriter, r *http.Request, q *request) error {
	f := r.PostForm
	onClose := f.Get("on_close") != ""
	_, err := s.svc.SetGEDTarget(r.Context(), q.actor, appliance.GEDTargetInput{URL: f.Get("url"), Username: f.Get("username"), Password: f.Get("password"), OnClose: &onClose})
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		return s.showGED(w, r, q, http.StatusUnprocessableEntity, fe)
	}
	if err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/ged", tr(q.lang, "ged.saved"))
}

func (s *Server) adminSetOnlyOffice(w http.ResponseWriter, r *http.Request, q *request) error {
	f := r.PostForm
	_, err := s.svc.SetOnlyOffice(r.Context(), q.actor, appliance.OnlyOfficeInput{URL: f.Get("oo_url"), Secret: f.Get("oo_secret")})
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		out := appliance.FieldErrors{}
		for k, v := range fe {
			out["oo_"+k] = v
		}
		return s.showGED(w, r, q, http.StatusUnprocessableEntity, out)
	}
	if err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/ged", tr(q.lang, "ged.saved"))
}
