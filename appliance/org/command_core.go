package org

import "missive/appliance/kernel"

// Commands of the organisation: communes, entities, users, API tokens,
// contacts, doctypes. They are registered in register.go.
const (
	KindTenantCreate  kernel.Kind = "tenant.create"
	KindEntityCreate  kernel.Kind = "entity.create"
	KindUserCreate    kernel.Kind = "user.create"
	KindUserUpdate    kernel.Kind = "user.update"
	KindUserPassword  kernel.Kind = "user.password"
	KindTokenCreate   kernel.Kind = "token.create"
	KindTokenRevoke   kernel.Kind = "token.revoke"
	KindContactCreate kernel.Kind = "contact.create"
	KindDoctypeCreate kernel.Kind = "doctype.create"
)

type TenantCreate struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	AlsaceMoselle bool   `json:"alsace_moselle"`
}

type EntityCreate struct {
	ID       string `json:"id"`
	ParentID string `json:"parent_id"`
	Code     string `json:"code"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	// Added with entity.update; omitted when empty, so that older entries
	// decode unchanged and a create without them encodes as before.
	Address string `json:"address,omitempty"`
	Phone   string `json:"phone,omitempty"`
}

type UserCreate struct {
	ID           string              `json:"id"`
	Login        string              `json:"login"`
	Name         string              `json:"name"`
	Email        string              `json:"email"`
	Role         string              `json:"role"`
	PasswordHash string              `json:"password_hash"`
	Entities     []MembershipPayload `json:"entities"`
}

type MembershipPayload struct {
	EntityID string `json:"entity_id"`
	Manager  bool   `json:"manager"`
}

type UserUpdate struct {
	UserID   string              `json:"user_id"`
	Name     string              `json:"name"`
	Email    string              `json:"email"`
	Role     string              `json:"role"`
	Disabled bool                `json:"disabled"`
	Entities []MembershipPayload `json:"entities"`
	// EndSessions ends every web session and API token of the user (a
	// disabled account). Omitted when false, so that entries written
	// before it existed decode, encode and apply as they did.
	EndSessions bool `json:"end_sessions,omitempty"`
}

type UserPassword struct {
	UserID       string `json:"user_id"`
	PasswordHash string `json:"password_hash"`
	// EndSessions: a changed password ends every web session and API
	// token of the user (see UserUpdate).
	EndSessions bool `json:"end_sessions,omitempty"`
}

type TokenCreate struct {
	ID        string `json:"id"`
	UserID    string `json:"user_id"`
	Name      string `json:"name"`
	Hash      string `json:"hash"`
	ExpiresAt string `json:"expires_at"`
}

// TokenRevoke ends an API token.
type TokenRevoke struct {
	TokenID string `json:"token_id"`
}

type DoctypeCreate struct {
	ID           string `json:"id"`
	Code         string `json:"code"`
	Label        string `json:"label"`
	DelayDays    int    `json:"delay_days"`
	RemindBefore int    `json:"remind_before"`
	RemindAfter  int    `json:"remind_after"`
	Mode         string `json:"mode"`
	// Added with doctype.update; omitted when not set, so that a command
	// without them encodes as before and older entries decode unchanged.
	RetentionYears   int    `json:"retention_years,omitempty"`
	FinalDisposition string `json:"final_disposition,omitempty"`
	// DelayUnit came later still, on the same terms: absent from an older
	// entry, which Apply reads as the working days it meant (legacyDelay).
	DelayUnit string `json:"delay_unit,omitempty"`
}
