package appliance

import (
	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/org"
)

// The organisation's names the outer layers and the tests use.
type (
	TenantInput       = org.TenantInput
	EntityInput       = org.EntityInput
	UserInput         = org.UserInput
	TokenInput        = org.TokenInput
	DoctypeInput      = org.DoctypeInput
	ServiceDetails    = org.ServiceDetails
	TenantCreate      = org.TenantCreate
	TenantUpdate      = org.TenantUpdate
	EntityCreate      = org.EntityCreate
	EntityUpdate      = org.EntityUpdate
	UserCreate        = org.UserCreate
	UserUpdate        = org.UserUpdate
	UserPassword      = org.UserPassword
	MembershipPayload = org.MembershipPayload
	TokenCreate       = org.TokenCreate
	TokenRevoke       = org.TokenRevoke
	DoctypeCreate     = org.DoctypeCreate
	DoctypeUpdate     = org.DoctypeUpdate
	WebKeyCreate      = org.WebKeyCreate
	SessionsRevoke    = org.SessionsRevoke

	// Contacts are the kernel's: a letter's registration creates its new
	// sender in the same command (kernel/contact.go).
	ContactInput  = kernel.ContactInput
	ContactCreate = kernel.ContactCreate
)

const (
	KindTenantCreate   = org.KindTenantCreate
	KindTenantUpdate   = org.KindTenantUpdate
	KindEntityCreate   = org.KindEntityCreate
	KindEntityUpdate   = org.KindEntityUpdate
	KindUserCreate     = org.KindUserCreate
	KindUserUpdate     = org.KindUserUpdate
	KindUserPassword   = org.KindUserPassword
	KindTokenCreate    = org.KindTokenCreate
	KindTokenRevoke    = org.KindTokenRevoke
	KindContactCreate  = org.KindContactCreate
	KindDoctypeCreate  = org.KindDoctypeCreate
	KindDoctypeUpdate  = org.KindDoctypeUpdate
	KindWebKeyCreate   = org.KindWebKeyCreate
	KindSessionsRevoke = org.KindSessionsRevoke
	MailRoomName       = org.MailRoomName
)

// ErrAlreadyBootstrapped is returned by Bootstrap on a data dir in use.
var ErrAlreadyBootstrapped = org.ErrAlreadyBootstrapped

// serviceInCharge is the service that answers for a letter of entityID,
// with its contact details (the nearest entity up the tree that has each,
// then the commune's): the replies' letterhead needs it. The organisation
// computes it from its records; the letters and replies call this function
// of the facade, never the org package, so that they depend on no feature.
func serviceInCharge(t *domain.Tenant, ents []domain.Entity, entityID string) ServiceDetails {
	return org.ServiceDetailsOf(t, ents, entityID)
}
