package control

import (
	"context"
	"fmt"
	"strings"

	"missive/appliance"
	"missive/appliance/domain"
)

// TenantRequest carries `missive tenant set`: a nil field is left as it is.
type TenantRequest struct {
	Name          *string `json:"name,omitempty"`
	Address       *string `json:"address,omitempty"`
	Phone         *string `json:"phone,omitempty"`
	Email         *string `json:"email,omitempty"`
	Website       *string `json:"website,omitempty"`
	AlsaceMoselle *bool   `json:"alsace_moselle,omitempty"`
}

// runTenant shows the commune (tenant.show) or changes the fields given
// (tenant.set).
func runTenant(ctx context.Context, svc service, sys *appliance.Actor, req Request) (string, error) {
	t, err := svc.Tenant(ctx, sys)
	if err != nil {
		return "", err
	}
	switch req.Op {
	case "tenant.show":
		return describeTenant(t), nil
	case "tenant.set":
		in := appliance.TenantInput{Name: t.Name, Address: t.Address, Phone: t.Phone, Email: t.Email, Website: t.Website, AlsaceMoselle: t.AlsaceMoselle}
		if d := req.TenantSet; d != nil {
			for dst, src := range map[*string]*string{&in.Name: d.Name, &in.Address: d.Address, &in.Phone: d.Phone, &in.Email: d.Email, &in.Website: d.Website} {
				if src != nil {
					*dst = *src
				}
			}
			if d.AlsaceMoselle != nil {
				in.AlsaceMoselle = *d.AlsaceMoselle
			}
		}
		if t, err = svc.UpdateTenant(ctx, sys, in); err != nil {
			return "", err
		}
		return "Commune modifiée.\n" + describeTenant(t), nil
	}
	return "", fmt.Errorf("%w: opération %q inconnue", appliance.ErrInvalid, req.Op)
}

func describeTenant(t *domain.Tenant) string {
	var b strings.Builder
	line := func(label, v string) {
		if v == "" {
			v = "(non renseigné)"
		}
		fmt.Fprintf(&b, "%-15s %s\n", label+":", strings.ReplaceAll(v, "\n", "\n"+strings.Repeat(" ", 16)))
	}
	line("Nom", t.Name)
	line("Adresse", t.Address)
	line("Téléphone", t.Phone)
	line("Courriel", t.Email)
	line("Site", t.Website)
	am := "non"
	if t.AlsaceMoselle {
		am = "oui (Vendredi saint et 26 décembre fériés)"
	}
	line("Alsace-Moselle", am)
	return b.String()
}
