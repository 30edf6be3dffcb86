package api

import (
	"net/http"

	"missive/appliance"
	"missive/appliance/domain"
)

// piecesRoutes declare a request incomplete and record the pieces' receipt
// (CRPA L114-5).
func (s *Server) piecesRoutes() []route {
	return []route{
		{method: "POST", path: "/api/v1/letters/{id}/actions/incomplete", summary: "Déclarer une demande incomplète: pièces et informations manquantes, date limite pour les produire. Le délai ne court plus (SVA, normal) ou est suspendu jusqu'à cette date (SVR); le demandeur est prévenu par courriel (notice email), par l'accusé de réception pas encore envoyé (ack), ou par une lettre à imprimer (paper: POST …/postal-ack)", in: appliance.IncompleteInput{}, out: appliance.IncompleteResult{}, h: s.incomplete},
		{method: "POST", path: "/api/v1/letters/{id}/actions/pieces-received", summary: "Enregistrer la réception des pièces demandées: la date limite est recalculée (à compter de leur réception pour SVA et normal; date d'avant la demande prolongée de la suspension pour SVR)", in: appliance.PiecesInput{}, out: domain.Letter{}, h: s.piecesReceived},
	}
}

func (s *Server) incomplete(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.IncompleteInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	res, err := s.svc.MarkIncomplete(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, 200, res)
	return nil
}

func (s *Server) piecesReceived(w http.ResponseWriter, r *http.Request, a *appliance.Actor) error {
	var in appliance.PiecesInput
	if err := decodeOptional(w, r, &in); err != nil {
		return err
	}
	l, err := s.svc.PiecesReceived(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, 200, l)
	return nil
}
