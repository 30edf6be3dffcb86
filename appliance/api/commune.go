package api

import (
	"net/http"

	"missive/appliance"
	"missive/appliance/domain"
)

// communeRoutes are the commune's and its services' details: what
// acknowledgements and drafts give the public to reach them.
func (s *Server) communeRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/tenant", summary: "La commune: nom, coordonnées, jours fériés d'Alsace-Moselle", out: domain.Tenant{}, h: s.getTenant},
		{method: "PUT", path: "/api/v1/tenant", summary: "Modifier la commune (admin): tous ses champs; changer l'option Alsace-Moselle vaut pour les dates limites calculées ensuite, celles des courriers enregistrés ne changent pas", in: appliance.TenantInput{}, out: domain.Tenant{}, h: s.updateTenant},
		{method: "PUT", path: "/api/v1/entities/{id}", summary: "Modifier une entité (admin): nom et coordonnées (adresse postale, téléphone, adresse électronique; vides, celles de l'entité parente puis de la commune); ni son code ni sa place dans l'organigramme", in: appliance.EntityInput{}, out: domain.Entity{}, h: s.updateEntity},
	}
}

func (s *Server) getTenant(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	t, err := s.svc.Tenant(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, 200, t)
	return nil
}

func (s *Server) updateTenant(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.TenantInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := s.svc.UpdateTenant(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, 200, t)
	return nil
}

func (s *Server) updateEntity(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.EntityInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	e, err := s.svc.UpdateEntity(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, 200, e)
	return nil
}
