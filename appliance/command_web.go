package appliance

// Commands of the web UI's sessions, and a registration form of earlier
// versions. They are registered in apply_web.go; the user preferences'
// (baskets, saved searches, follow) are appliance/prefs.
const (
	// KindWebKeyCreate stored a tenant's session signing key in older
	// versions; it is applied still, for their log entries, but the key
	// is no longer kept (see sessions.go).
	KindWebKeyCreate Kind = "web.key.create"
	// KindSessionsRevoke ends every web session of a user (logout,
	// password change) by moving their session epoch on.
	KindSessionsRevoke Kind = "user.sessions.revoke"
	// KindLetterRegisterForm registered a letter from the registration
	// form with the form's key in its payload. Only earlier versions
	// propose it; it still applies, for their raft logs (apply_web.go).
	KindLetterRegisterForm Kind = "letter.register.form"
)

// WebKeyCreate carries the key itself: every node needs it. Apply keeps it
// out of the history entry.
type WebKeyCreate struct {
	Secret string `json:"secret"`
}

type SessionsRevoke struct {
	UserID string `json:"user_id"`
}

type LetterRegisterForm struct {
	Key    string         `json:"key"`
	Letter LetterRegister `json:"letter"`
}
