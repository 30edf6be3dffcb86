package api

import (
	"net/http"

	"missive/appliance"
)

// The GED export's routes: ask for a letter's export, list its exports.

func (s *Server) export(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	x, err := s.svc.ExportLetter(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 202, x)
	return nil
}

func (s *Server) letterExports(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	xs, err := s.svc.LetterExports(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, xs)
	return nil
}
