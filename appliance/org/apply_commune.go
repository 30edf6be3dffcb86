package org

import (
	"fmt"
	"missive/appliance/kernel"
	"strings"
)

// applyTenantUpdate changes the commune. Switching the Alsace-Moselle
// holidays changes the calendar of the due dates computed from then on:
// those of letters already registered were stamped and stay.
func applyTenantUpdate(a *kernel.Ctx, p *TenantUpdate) (any, error) {
	if strings.TrimSpace(p.Name) == "" {
		return nil, fmt.Errorf("%w: une commune a un nom", kernel.ErrInvalid)
	}
	t, err := a.Tx.Tenant(a.Ctx, a.Cmd.Tenant)
	if err != nil {
		return nil, err
	}
	was := t.AlsaceMoselle
	t.Name, t.Address, t.Phone, t.Email, t.Website, t.AlsaceMoselle = p.Name, p.Address, p.Phone, p.Email, p.Website, p.AlsaceMoselle
	if err := a.Tx.UpdateTenant(t); err != nil {
		return nil, err
	}
	a.Summary = "Commune « " + t.Name + " » modifiée"
	switch {
	case t.AlsaceMoselle && !was:
		a.Summary += " ; jours fériés d'Alsace-Moselle pris en compte pour les prochaines dates limites"
	case !t.AlsaceMoselle && was:
		a.Summary += " ; jours fériés d'Alsace-Moselle retirés pour les prochaines dates limites"
	}
	return t, nil
}

func applyEntityUpdate(a *kernel.Ctx, p *EntityUpdate) (any, error) {
	if strings.TrimSpace(p.Name) == "" {
		return nil, fmt.Errorf("%w: une entité a un nom", kernel.ErrInvalid)
	}
	e, err := a.Tx.Entity(a.Ctx, a.Cmd.Tenant, p.EntityID)
	if err != nil {
		return nil, err
	}
	e.Name, e.Email, e.Address, e.Phone = p.Name, p.Email, p.Address, p.Phone
	if err := a.Tx.UpdateEntity(a.Cmd.Tenant, e); err != nil {
		return nil, err
	}
	a.Summary = "Entité « " + e.Name + " » modifiée"
	return e, nil
}
