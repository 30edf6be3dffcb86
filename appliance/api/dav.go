package api

import (
	"net/http"
	"strconv"

	"missive/appliance"
	"missive/appliance/domain"
)

// davRoutes are the WebDAV share's administration (its locks) and the
// restoring of a document's version.
func (s *Server) davRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/dav/locks", summary: "Verrous WebDAV actifs de la commune (admin)", out: []domain.DavLock{}, h: s.davLocks},
		{method: "DELETE", path: "/api/v1/dav/locks/{token}", summary: "Lever un verrou WebDAV resté en place (admin)", status: 204, h: s.davBreakLock},
		{method: "POST", path: "/api/v1/documents/{id}/versions/{version}/restore", summary: "Restaurer une version: elle devient la dernière (l'historique garde la restauration)", out: domain.Document{}, status: 201, h: s.restoreVersion},
	}
}

func (s *Server) davLocks(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	locks, err := s.svc.DavAdminLocks(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, 200, locks)
	return nil
}

func (s *Server) davBreakLock(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	if err := s.svc.DavBreakLock(r.Context(), a, r.PathValue("token")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) restoreVersion(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	v, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || v < 1 {
		return appliance.FieldErrors{"version": "numéro de version invalide"}
	}
	d, err := s.svc.RestoreDocumentVersion(r.Context(), a, r.PathValue("id"), v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}
