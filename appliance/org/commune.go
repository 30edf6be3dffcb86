package org

import (
	"context"
	"net/url"
	"regexp"
	"strings"

	"missive/appliance/domain"
	"missive/appliance/kernel"
)

// The commune's and its services' details: what the public is told to
// reach them by, on acknowledgements (CRPA R112-5: designation, postal
// address, e-mail and phone of the service in charge) and reply drafts.

// TenantInput changes the commune: every field, as PUT does.
type TenantInput struct {
	Name          string `json:"name" doc:"Nom tel que l'écrivent les courriers, ex. « Ville de Saint-Martin »"`
	Address       string `json:"address" doc:"Adresse postale de la mairie, une ligne par ligne d'adresse"`
	Phone         string `json:"phone" doc:"Téléphone de l'accueil"`
	Email         string `json:"email" doc:"Adresse électronique de contact"`
	Website       string `json:"website" doc:"Site internet, ex. https://www.ville.fr"`
	AlsaceMoselle bool   `json:"alsace_moselle" doc:"Jours fériés d'Alsace-Moselle (Vendredi saint, 26 décembre) pour les dates limites calculées ensuite; celles des courriers déjà enregistrés ne changent pas"`
}

// Tenant reads the actor's commune.
func (s *Org) Tenant(ctx context.Context, a *kernel.Actor) (*domain.Tenant, error) {
	return s.k.Reader().Tenant(ctx, a.TenantID())
}

// UpdateTenant changes the commune's name, contact details and calendar
// (admin only). Due dates already stamped are kept: a switch of the
// Alsace-Moselle holidays counts for the letters registered after it.
func (s *Org) UpdateTenant(ctx context.Context, a *kernel.Actor, in TenantInput) (*domain.Tenant, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	errs := kernel.FieldErrors{}
	in.Name = strings.TrimSpace(in.Name)
	kernel.CheckLen(errs, "name", in.Name, 200, true)
	in.Address, in.Phone, in.Email = checkContact(errs, in.Address, in.Phone, in.Email)
	in.Website = strings.TrimSpace(in.Website)
	checkWebsite(errs, in.Website)
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	old, err := s.k.Reader().Tenant(ctx, a.TenantID())
	if err != nil {
		return nil, err
	}
	v, err := s.k.Propose(ctx, KindTenantUpdate, a.TenantID(), a.ID(), TenantUpdate(in))
	if err != nil {
		return nil, err
	}
	t := v.(*domain.Tenant)
	s.k.Log.Info("commune details changed", "tenant", t.ID, "name", t.Name, "alsace_moselle", t.AlsaceMoselle,
		"alsace_moselle_switched", old.AlsaceMoselle != t.AlsaceMoselle, "actor", a.User.Login)
	return t, nil
}

// UpdateEntity changes a service's name and contact details (admin only).
// Its code and parent do not change: in.Code and in.ParentID may repeat
// them or be empty.
func (s *Org) UpdateEntity(ctx context.Context, a *kernel.Actor, id string, in EntityInput) (*domain.Entity, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	e, err := s.k.Reader().Entity(ctx, a.TenantID(), id)
	if err != nil {
		return nil, err
	}
	errs := kernel.FieldErrors{}
	if in.Code != "" && in.Code != e.Code {
		errs["code"] = "le code d'une entité ne change pas"
	}
	if in.ParentID != "" && in.ParentID != e.ParentID {
		errs["parent_id"] = "l'entité parente ne change pas ici"
	}
	in.Name = strings.TrimSpace(in.Name)
	kernel.CheckLen(errs, "name", in.Name, 200, true)
	in.Address, in.Phone, in.Email = checkContact(errs, in.Address, in.Phone, in.Email)
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	v, err := s.k.Propose(ctx, KindEntityUpdate, a.TenantID(), a.ID(), EntityUpdate{EntityID: e.ID, Name: in.Name, Email: in.Email,
		Address: in.Address, Phone: in.Phone})
	if err != nil {
		return nil, err
	}
	return v.(*domain.Entity), nil
}

var phoneRe = regexp.MustCompile(`^\+?[0-9][0-9 ().-]*$`)

// checkContact validates and tidies a postal address, a phone number and
// an e-mail address: the address keeps its non-empty lines, trimmed.
func checkContact(errs kernel.FieldErrors, address, phone, email string) (string, string, string) {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(address, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	address = strings.Join(lines, "\n")
	kernel.CheckLen(errs, "address", address, 500, false)
	if len(lines) > 6 {
		errs["address"] = "6 lignes au plus"
	}
	phone = strings.TrimSpace(phone)
	kernel.CheckLen(errs, "phone", phone, 40, false)
	if phone != "" && errs["phone"] == "" && !phoneRe.MatchString(phone) {
		errs["phone"] = "chiffres, espaces et + . - ( ) seulement, ex. 03 88 00 00 00"
	}
	email = strings.TrimSpace(email)
	kernel.CheckEmail(errs, "email", email)
	return address, phone, email
}

func checkWebsite(errs kernel.FieldErrors, site string) {
	if site == "" {
		return
	}
	kernel.CheckLen(errs, "website", site, 200, false)
	full := site
	if !strings.Contains(site, "://") {
		full = "https://" + site
	}
	u, err := url.Parse(full)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !strings.Contains(u.Host, ".") || strings.ContainsAny(site, " \t\n") {
		errs["website"] = "adresse de site invalide, ex. https://www.ville.fr"
	}
}

// ServiceDetails is how the public reaches the service in charge of a
// letter: its designation and, field by field, its own postal address,
// e-mail and phone, else its parent's, and so on up to the commune's.
type ServiceDetails struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Email   string `json:"email"`
	Phone   string `json:"phone"`
}

// MailRoomName designates the service in charge of a letter not yet given
// to an entity.
const MailRoomName = "Service courrier"

// ServiceInCharge resolves the details of entity entityID of a tenant
// ("" for a letter not yet routed: the mail room, at the commune's
// details).
func (s *Org) ServiceInCharge(ctx context.Context, tenant, entityID string) (ServiceDetails, error) {
	r := s.k.Reader()
	t, err := r.Tenant(ctx, tenant)
	if err != nil {
		return ServiceDetails{}, err
	}
	ents, err := r.Entities(ctx, tenant)
	if err != nil {
		return ServiceDetails{}, err
	}
	return ServiceDetailsOf(t, ents, entityID), nil
}

// ServiceDetailsOf is the service in charge of entityID: its name, and
// for each contact detail the nearest entity up the tree that has it,
// then the commune's. Pure, so that the facade can hand it to the
// features that write letterheads.
func ServiceDetailsOf(t *domain.Tenant, ents []domain.Entity, entityID string) ServiceDetails {
	byID := make(map[string]*domain.Entity, len(ents))
	for i := range ents {
		byID[ents[i].ID] = &ents[i]
	}
	d := ServiceDetails{Name: MailRoomName}
	if e := byID[entityID]; e != nil {
		d.Name = e.Name
	}
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	// The tree has no cycle (a parent exists before its child), but a
	// bound keeps a damaged one from looping.
	for e, n := byID[entityID], 0; e != nil && n <= len(ents); e, n = byID[e.ParentID], n+1 {
		fill(&d.Address, e.Address)
		fill(&d.Email, e.Email)
		fill(&d.Phone, e.Phone)
	}
	fill(&d.Address, t.Address)
	fill(&d.Email, t.Email)
	fill(&d.Phone, t.Phone)
	return d
}
