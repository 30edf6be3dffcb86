package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"missive/appliance"
	"missive/appliance/domain"
)

// The doctypes' pages: the list with the creation form, and one page per
// doctype to change it (everything but its code), its archival retention
// (DUA and sort final, written into the GED export's metadata) included.

// doctypesData is what both pages show.
type doctypesData struct {
	Doctypes     []domain.Doctype
	Doctype      *domain.Doctype // the doctype edited
	Dispositions []domain.Disposition
	Units        []domain.DelayUnit
	MaxYears     int
}

func (s *Server) doctypesData(r *http.Request, q *request) (*doctypesData, error) {
	ds, err := s.svc.Doctypes(r.Context(), q.actor)
	if err != nil {
		return nil, err
	}
	return &doctypesData{Doctypes: ds, Dispositions: domain.Dispositions, Units: domain.DelayUnits, MaxYears: domain.MaxRetentionYears}, nil
}

func (s *Server) adminDoctypes(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.showDoctypes(w, r, q, http.StatusOK, nil)
}

func (s *Server) showDoctypes(w http.ResponseWriter, r *http.Request, q *request, code int, errs appliance.FieldErrors) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	d, err := s.doctypesData(r, q)
	if err != nil {
		return err
	}
	v := s.page(w, r, q, tr(q.lang, "admin.doctypes"), "admin-doctypes", d)
	if errs != nil {
		v.Errors, v.Form = errs, r.PostForm
	}
	s.render(w, q, code, "admin_doctypes", v)
	return nil
}

// doctypeForm reads the fields the creation and the edit forms share.
func doctypeForm(f url.Values) (appliance.DoctypeInput, appliance.FieldErrors) {
	errs := appliance.FieldErrors{}
	num := func(name string) int {
		v := strings.TrimSpace(f.Get(name))
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs[name] = "nombre entier attendu"
		}
		return n
	}
	in := appliance.DoctypeInput{Code: strings.TrimSpace(f.Get("code")), Label: f.Get("label"), DelayDays: num("delay_days"),
		DelayUnit: domain.DelayUnit(f.Get("delay_unit")), RemindBefore: num("remind_before"), RemindAfter: num("remind_after"),
		Mode: domain.Mode(f.Get("mode")), RetentionYears: num("retention_years"), FinalDisposition: domain.Disposition(f.Get("final_disposition"))}
	if strings.TrimSpace(f.Get("delay_days")) == "" && (in.Mode == domain.ModeSVA || in.Mode == domain.ModeSVR) {
		// An empty delay asks for the law's default (checkDoctype): two
		// months, whatever unit the select shows.
		in.DelayUnit = ""
	}
	return in, errs
}

func (s *Server) adminCreateDoctype(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	in, errs := doctypeForm(r.PostForm)
	if len(errs) > 0 {
		return s.showDoctypes(w, r, q, http.StatusUnprocessableEntity, errs)
	}
	d, err := s.svc.CreateDoctype(r.Context(), q.actor, in)
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		return s.showDoctypes(w, r, q, http.StatusUnprocessableEntity, fe)
	}
	if errors.Is(err, appliance.ErrConflict) {
		return s.showDoctypes(w, r, q, http.StatusConflict, appliance.FieldErrors{"code": "ce code existe déjà"})
	}
	if err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/doctypes", tf(q.lang, "admin.doctypecreated", d.Label))
}

func (s *Server) adminDoctype(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.showDoctype(w, r, q, http.StatusOK, nil)
}

func (s *Server) showDoctype(w http.ResponseWriter, r *http.Request, q *request, code int, errs appliance.FieldErrors) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	d, err := s.doctypesData(r, q)
	if err != nil {
		return err
	}
	for i := range d.Doctypes {
		if d.Doctypes[i].ID == r.PathValue("id") {
			d.Doctype = &d.Doctypes[i]
		}
	}
	if d.Doctype == nil {
		return errNotFound
	}
	v := s.page(w, r, q, d.Doctype.Label, "admin-doctypes", d)
	if errs != nil {
		v.Errors, v.Form = errs, r.PostForm
	}
	s.render(w, q, code, "admin_doctype", v)
	return nil
}

func (s *Server) adminUpdateDoctype(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	id := r.PathValue("id")
	in, errs := doctypeForm(r.PostForm)
	in.Code = "" // not on the form: a doctype's code does not change
	if len(errs) > 0 {
		return s.showDoctype(w, r, q, http.StatusUnprocessableEntity, errs)
	}
	d, err := s.svc.UpdateDoctype(r.Context(), q.actor, id, in)
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		return s.showDoctype(w, r, q, http.StatusUnprocessableEntity, fe)
	}
	if errors.Is(err, appliance.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/doctypes/"+url.PathEscape(id), tf(q.lang, "admin.doctypeupdated", d.Label))
}
