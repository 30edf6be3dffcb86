package api

import (
	"net/http"

	"missive/appliance"
)

// letterMessages lists the e-mails of a letter: the message that made it,
// replies and bounces that joined it, acknowledgements and answers sent.
func (s *Server) letterMessages(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	ms, err := s.svc.LetterMessages(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, ms)
	return nil
}
