package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"missive/appliance"
	"missive/appliance/domain"
)

// The commune's page (name, contact details, Alsace-Moselle holidays) and
// each entity's page (name and contact details): what acknowledgements
// give the public to reach the service in charge (CRPA R112-5).

func (s *Server) communeRoutes() []pageRoute {
	return []pageRoute{
		{"GET /admin/commune", s.adminCommune},
		{"POST /admin/commune", s.adminUpdateCommune},
		{"GET /admin/entities/{id}", s.adminEntity},
		{"POST /admin/entities/{id}", s.adminUpdateEntity},
	}
}

func (s *Server) adminCommune(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.showCommune(w, r, q, http.StatusOK, nil)
}

func (s *Server) showCommune(w http.ResponseWriter, r *http.Request, q *request, code int, errs appliance.FieldErrors) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	t, err := s.svc.Tenant(r.Context(), q.actor)
	if err != nil {
		return err
	}
	v := s.page(w, r, q, tr(q.lang, "commune.title"), "admin-commune", t)
	if errs != nil {
		v.Errors, v.Form = errs, r.PostForm
	}
	s.render(w, q, code, "admin_commune", v)
	return nil
}

func (s *Server) adminUpdateCommune(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	f := r.PostForm
	_, err := s.svc.UpdateTenant(r.Context(), q.actor, appliance.TenantInput{Name: f.Get("name"), Address: f.Get("address"), Phone: f.Get("phone"),
		Email: f.Get("email"), Website: f.Get("website"), AlsaceMoselle: f.Get("alsace_moselle") != ""})
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		return s.showCommune(w, r, q, http.StatusUnprocessableEntity, fe)
	}
	if err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/commune", tr(q.lang, "commune.saved"))
}

// entityData is an entity's page: the entity, and what its empty fields
// stand for (its parent's details, then the commune's).
type entityData struct {
	Entity    *domain.Entity
	Inherited appliance.ServiceDetails
}

func (s *Server) adminEntity(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.showEntity(w, r, q, http.StatusOK, nil)
}

func (s *Server) showEntity(w http.ResponseWriter, r *http.Request, q *request, code int, errs appliance.FieldErrors) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	es, err := s.svc.Entities(r.Context(), q.actor)
	if err != nil {
		return err
	}
	d := &entityData{}
	for i := range es {
		if es[i].ID == r.PathValue("id") {
			d.Entity = &es[i]
		}
	}
	if d.Entity == nil {
		return errNotFound
	}
	if d.Inherited, err = s.svc.ServiceInCharge(r.Context(), q.actor.TenantID(), d.Entity.ParentID); err != nil {
		return err
	}
	v := s.page(w, r, q, d.Entity.Name, "admin-entities", d)
	if errs != nil {
		v.Errors, v.Form = errs, r.PostForm
	}
	s.render(w, q, code, "admin_entity", v)
	return nil
}

func (s *Server) adminUpdateEntity(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := requireAdmin(q); err != nil {
		return err
	}
	id, f := r.PathValue("id"), r.PostForm
	e, err := s.svc.UpdateEntity(r.Context(), q.actor, id, appliance.EntityInput{Name: f.Get("name"), Email: strings.TrimSpace(f.Get("email")),
		Address: f.Get("address"), Phone: f.Get("phone")})
	var fe appliance.FieldErrors
	if errors.As(err, &fe) {
		return s.showEntity(w, r, q, http.StatusUnprocessableEntity, fe)
	}
	if errors.Is(err, appliance.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	return s.done(w, r, q, "/admin/entities/"+url.PathEscape(id), tf(q.lang, "entity.saved", e.Name))
}
