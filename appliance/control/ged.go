package control

import (
	"context"
	"fmt"
	"strings"

	"missive/appliance"
)

// GEDRequest carries the GED export's and OnlyOffice's settings
// (missive ged …, missive onlyoffice …).
type GEDRequest struct {
	URL      string `json:"url,omitempty"`
	User     string `json:"user,omitempty"`
	Password string `json:"password,omitempty"`
	// Manual: export on demand only, not on closing.
	Manual bool `json:"manual,omitempty"`
	// Letter is a registration number (ged.export).
	Letter string `json:"letter,omitempty"`
}

// runGED performs the ged.* and onlyoffice.* operations.
func runGED(ctx context.Context, svc service, sys *appliance.Actor, req Request) (string, error) {
	g := req.GED
	if g == nil {
		g = &GEDRequest{}
	}
	switch req.Op {
	case "ged.set":
		onClose := !g.Manual
		t, err := svc.SetGEDTarget(ctx, sys, appliance.GEDTargetInput{URL: g.URL, Username: g.User, Password: g.Password, OnClose: &onClose})
		if err != nil {
			return "", err
		}
		when := "à leur clôture"
		if !t.OnClose {
			when = "à la demande seulement"
		}
		return fmt.Sprintf("Les courriers de la commune %s sont exportés vers %s %s.\n", req.Tenant, t.URL, when), nil
	case "ged.status":
		t, err := svc.GEDTarget(ctx, sys)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "GED: %s (identifiant %q), export à la clôture: %v\n", t.URL, t.Username, t.OnClose)
		return b.String(), nil
	case "ged.export":
		l, err := svc.LetterByNumber(ctx, sys, g.Letter)
		if err != nil {
			return "", err
		}
		if _, err := svc.ExportLetter(ctx, sys, l.ID); err != nil {
			return "", err
		}
		return "Export du courrier " + l.Number + " vers la GED demandé.\n", nil
	case "onlyoffice.set":
		o, err := svc.SetOnlyOffice(ctx, sys, appliance.OnlyOfficeInput{URL: g.URL, Secret: g.Password})
		if err != nil {
			return "", err
		}
		return "Serveur OnlyOffice de la commune " + req.Tenant + ": " + o.URL + "\n", nil
	}
	return "", fmt.Errorf("%w: opération %q inconnue", appliance.ErrInvalid, req.Op)
}
