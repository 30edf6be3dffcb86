package api

import (
	"net/http"

	"missive/appliance"
)

// onlyOfficeEditor gives the signed editor configuration of a document for
// the tenant's OnlyOffice Document Server. Its download and callback URLs
// name Missive by its public address (base_url), or as this request reached
// it: the Document Server must reach it there too.
func (s *Server) onlyOfficeEditor(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	ed, err := s.svc.OnlyOfficeEditor(r.Context(), a, r.PathValue("id"), s.absolute(r, ""))
	if err != nil {
		return err
	}
	writeJSON(w, 200, ed)
	return nil
}
