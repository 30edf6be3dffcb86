package appliance

const (
	KindLetterRegister Kind = "letter.register"
	KindLetterQualify  Kind = "letter.qualify"
	KindLetterRedirect Kind = "letter.redirect"
	KindLetterNote     Kind = "letter.note"
	KindLetterAttach   Kind = "letter.attach"
	KindLetterLink     Kind = "letter.link"
	KindLetterClose    Kind = "letter.close"
	KindLetterReopen   Kind = "letter.reopen"
)

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
