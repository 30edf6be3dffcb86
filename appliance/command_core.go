package appliance

const (
	KindTenantCreate   Kind = "tenant.create"
	KindEntityCreate   Kind = "entity.create"
	KindUserCreate     Kind = "user.create"
	KindUserUpdate     Kind = "user.update"
	KindUserPassword   Kind = "user.password"
	KindTokenCreate    Kind = "token.create"
	KindTokenRevoke    Kind = "token.revoke"
	KindContactCreate  Kind = "contact.create"
	KindDoctypeCreate  Kind = "doctype.create"
	KindLetterRegister Kind = "letter.register"
	KindLetterQualify  Kind = "letter.qualify"
	KindLetterRedirect Kind = "letter.redirect"
	KindLetterNote     Kind = "letter.note"
	KindLetterAttach   Kind = "letter.attach"
	KindLetterLink     Kind = "letter.link"
	KindLetterClose    Kind = "letter.close"
	KindLetterReopen   Kind = "letter.reopen"
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

type CopyPayload struct {
	Kind string `json:"kind"`
	Ref  string `json:"ref"`
}

type LetterRegister struct {
	ID           string         `json:"id"`
	Category     string         `json:"category"`
	Year         int            `json:"year"`
	Num          int            `json:"num"`
	Number       string         `json:"number"`
	Subject      string         `json:"subject"`
	Body         string         `json:"body"`
	LetterDate   string         `json:"letter_date"`
	ArrivalDate  string         `json:"arrival_date"`
	Priority     string         `json:"priority"`
	SenderID     string         `json:"sender_id"`
	NewSender    *ContactCreate `json:"new_sender,omitempty"`
	RecipientID  string         `json:"recipient_id"`
	EntityID     string         `json:"entity_id"`
	AssigneeID   string         `json:"assignee_id"`
	DoctypeID    string         `json:"doctype_id"`
	DueDate      string         `json:"due_date"`
	Status       string         `json:"status"`
	Confidential bool           `json:"confidential"`
	Channel      string         `json:"channel"`
	Copies       []CopyPayload  `json:"copies"`
	Documents    []LetterAttach `json:"documents,omitempty"`
}

type LetterQualify struct {
	LetterID     string        `json:"letter_id"`
	Subject      string        `json:"subject"`
	Body         string        `json:"body"`
	LetterDate   string        `json:"letter_date"`
	Priority     string        `json:"priority"`
	SenderID     string        `json:"sender_id"`
	RecipientID  string        `json:"recipient_id"`
	EntityID     string        `json:"entity_id"`
	AssigneeID   string        `json:"assignee_id"`
	DoctypeID    string        `json:"doctype_id"`
	DueDate      string        `json:"due_date"`
	Confidential bool          `json:"confidential"`
	Copies       []CopyPayload `json:"copies"`
}

type LetterRedirect struct {
	LetterID   string `json:"letter_id"`
	EntityID   string `json:"entity_id"`
	AssigneeID string `json:"assignee_id"`
	NoteID     string `json:"note_id"`
	Note       string `json:"note"`
}

type LetterNote struct {
	LetterID string   `json:"letter_id"`
	NoteID   string   `json:"note_id"`
	Text     string   `json:"text"`
	Entities []string `json:"entities"`
}

type LetterLink struct {
	LetterID string `json:"letter_id"`
	OtherID  string `json:"other_id"`
}

type LetterClose struct {
	LetterID string `json:"letter_id"`
	NoteID   string `json:"note_id"`
	Note     string `json:"note"`
}

type LetterReopen = LetterClose
