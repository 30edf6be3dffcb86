package org

import (
	"context"
	"errors"
	"fmt"
	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// ErrAlreadyBootstrapped is returned by Bootstrap on a data dir in use.
var ErrAlreadyBootstrapped = errors.New("déjà initialisé")

// Bootstrap creates, on an empty store, the tenant "default", its root
// entity, a few common doctypes and the user "admin" with this password.
func (s *Org) Bootstrap(ctx context.Context, tenantName, adminPassword string) error {
	if _, err := s.k.Reader().Tenant(ctx, "default"); err == nil {
		return ErrAlreadyBootstrapped
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if _, err := s.k.Propose(ctx, KindTenantCreate, "default", kernel.SystemActor, TenantCreate{ID: "default", Name: tenantName}); err != nil {
		return fmt.Errorf("create tenant: %w", err)
	}
	root := kernel.NewID()
	if _, err := s.k.Propose(ctx, KindEntityCreate, "default", kernel.SystemActor, EntityCreate{ID: root, Code: "MAIRIE", Name: "Mairie"}); err != nil {
		return fmt.Errorf("create root entity: %w", err)
	}
	for _, d := range []DoctypeCreate{
		{Code: "COURRIER", Label: "Courrier simple", DelayDays: 15, RemindBefore: 3, RemindAfter: 5, Mode: "normal"},
		{Code: "RECLAMATION", Label: "Réclamation", DelayDays: 21, RemindBefore: 5, RemindAfter: 5, Mode: "normal"},
		{Code: "DEMANDE-SVA", Label: "Demande d'autorisation (silence vaut acceptation)", DelayDays: domain.SilenceMonths, DelayUnit: string(domain.UnitMonths),
			RemindBefore: 10, RemindAfter: 0, Mode: "sva"},
		{Code: "DEMANDE-SVR", Label: "Demande (silence vaut rejet)", DelayDays: domain.SilenceMonths, DelayUnit: string(domain.UnitMonths),
			RemindBefore: 10, RemindAfter: 0, Mode: "svr"},
	} {
		if d.DelayUnit == "" {
			d.DelayUnit = string(domain.UnitWorkingDays)
		}
		d.ID = kernel.NewID()
		if _, err := s.k.Propose(ctx, KindDoctypeCreate, "default", kernel.SystemActor, d); err != nil {
			return fmt.Errorf("create doctype %s: %w", d.Code, err)
		}
	}
	_, err := s.k.Propose(ctx, KindUserCreate, "default", kernel.SystemActor, UserCreate{
		ID: kernel.NewID(), Login: "admin", Name: "Administrateur", Role: string(domain.RoleAdmin),
		PasswordHash: kernel.HashPassword(adminPassword), Entities: []MembershipPayload{{EntityID: root, Manager: true}},
	})
	if err != nil {
		return fmt.Errorf("create admin: %w", err)
	}
	return nil
}
