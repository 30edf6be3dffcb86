package org

import "missive/appliance/kernel"

// Commands of the web sessions. They are registered in register.go.
const (
	// KindWebKeyCreate stored a tenant's session signing key in older
	// versions; it is applied still, for their log entries, but the key
	// is no longer kept (see sessions.go).
	KindWebKeyCreate kernel.Kind = "web.key.create"
	// KindSessionsRevoke ends every web session of a user (logout,
	// password change) by moving their session epoch on.
	KindSessionsRevoke kernel.Kind = "user.sessions.revoke"
)

// WebKeyCreate carries the key itself: every node needs it. Apply keeps it
// out of the history entry.
type WebKeyCreate struct {
	Secret string `json:"secret"`
}

type SessionsRevoke struct {
	UserID string `json:"user_id"`
}
