package appliance

// The registration form's command of earlier versions: a letters
// command, registered in apply_web.go. The web sessions' commands are
// appliance/org's, the user preferences' appliance/prefs'.
const (
	// KindLetterRegisterForm registered a letter from the registration
	// form with the form's key in its payload. Only earlier versions
	// propose it; it still applies, for their raft logs (apply_web.go).
	KindLetterRegisterForm Kind = "letter.register.form"
)

type LetterRegisterForm struct {
	Key    string         `json:"key"`
	Letter LetterRegister `json:"letter"`
}
