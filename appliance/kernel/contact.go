package kernel

import (
	"missive/appliance/domain"
	"strings"
)

// Contacts are created by the organisation (contact.create) and, inside
// the same command, by a letter's registration (a new sender): both
// features check and record them with the rules below, so they live here.

type ContactCreate struct {
	ID           string `json:"id"`
	Kind         string `json:"kind"`
	Civility     string `json:"civility"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Organization string `json:"organization"`
	Email        string `json:"email"`
	Phone        string `json:"phone"`
	Address      string `json:"address"`
	Postcode     string `json:"postcode"`
	City         string `json:"city"`
	Country      string `json:"country"`
}

// ContactInput creates a contact. Name is a shortcut for a person whose
// whole name is one string, as an e-mail display name is.
type ContactInput struct {
	ID           string `json:"id,omitempty"`
	Name         string `json:"name,omitempty"`
	Kind         string `json:"kind,omitempty"`
	Civility     string `json:"civility,omitempty"`
	FirstName    string `json:"first_name,omitempty"`
	LastName     string `json:"last_name,omitempty"`
	Organization string `json:"organization,omitempty"`
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"`
	Address      string `json:"address,omitempty"`
	Postcode     string `json:"postcode,omitempty"`
	City         string `json:"city,omitempty"`
	Country      string `json:"country,omitempty"`
}

// Payload checks the input into errs (fields named after prefix) and
// makes the payload of a new contact.
func (in *ContactInput) Payload(prefix string, errs FieldErrors) *ContactCreate {
	p := &ContactCreate{ID: NewID(), Kind: in.Kind, Civility: in.Civility, FirstName: strings.TrimSpace(in.FirstName),
		LastName: strings.TrimSpace(in.LastName), Organization: strings.TrimSpace(in.Organization), Email: strings.TrimSpace(in.Email),
		Phone: in.Phone, Address: in.Address, Postcode: in.Postcode, City: in.City, Country: in.Country}
	if in.Name != "" && p.LastName == "" && p.FirstName == "" {
		p.LastName = strings.TrimSpace(in.Name)
	}
	if p.Kind == "" {
		p.Kind = string(domain.ContactPerson)
		if p.LastName == "" && p.FirstName == "" && p.Organization != "" {
			p.Kind = string(domain.ContactOrganization)
		}
	}
	if p.Kind != string(domain.ContactPerson) && p.Kind != string(domain.ContactOrganization) {
		errs[prefix+"kind"] = "person ou organization"
	}
	if p.LastName == "" && p.FirstName == "" && p.Organization == "" && p.Email == "" {
		errs[prefix+"name"] = "un nom, une organisation ou une adresse e-mail est obligatoire"
	}
	for f, v := range map[string]string{"name": p.LastName, "first_name": p.FirstName, "organization": p.Organization, "address": p.Address, "city": p.City} {
		CheckLen(errs, prefix+f, v, 300, false)
	}
	for f, v := range map[string]string{"civility": p.Civility, "phone": p.Phone, "postcode": p.Postcode, "country": p.Country} {
		CheckLen(errs, prefix+f, v, 60, false)
	}
	CheckEmail(errs, prefix+"email", p.Email)
	return p
}

// ContactFrom is the contact a payload creates at time at.
func ContactFrom(p *ContactCreate, at string) *domain.Contact {
	return &domain.Contact{ID: p.ID, Kind: domain.ContactKind(p.Kind), Civility: p.Civility, FirstName: p.FirstName, LastName: p.LastName,
		Organization: p.Organization, Email: p.Email, Phone: p.Phone, Address: p.Address, Postcode: p.Postcode, City: p.City,
		Country: p.Country, CreatedAt: at}
}
