package letters

import "missive/appliance/kernel"

// Commands of incomplete requests (CRPA L114-5), registered in
// apply_pieces.go.
const (
	// KindLetterIncomplete records the pieces and information asked of
	// the sender, and the letter's due date while they are awaited.
	KindLetterIncomplete kernel.Kind = "letter.incomplete"
	// KindLetterPieces records the day the pieces came, and the due date
	// counted from then.
	KindLetterPieces kernel.Kind = "letter.pieces"
)

// LetterIncomplete is stamped by the Service: the day the pieces are
// asked and the due dates before and while they are awaited.
type LetterIncomplete struct {
	LetterID  string `json:"letter_id"`
	Missing   string `json:"missing"`
	Deadline  string `json:"deadline"`
	AskedOn   string `json:"asked_on"`
	DueBefore string `json:"due_before"`
	DueDate   string `json:"due_date"`
	// Notice is the letter telling the sender, by e-mail, held until the
	// mail bridge words it (as an acknowledgement is); absent when it goes
	// on paper, or when the letter's acknowledgement, not yet sent, will
	// say it.
	Notice *kernel.OutboxPayload `json:"notice,omitempty"`
	// Told is how the sender learns of it (IncompleteResult.Notice), kept
	// so that Apply answers what the request is answered, and a retry
	// with the same idempotency key gets the same answer.
	Told string `json:"told,omitempty"`
}

// LetterPiecesReceived is stamped by the Service with the due date
// counted from the day the pieces came.
type LetterPiecesReceived struct {
	LetterID   string `json:"letter_id"`
	ReceivedOn string `json:"received_on"`
	DueDate    string `json:"due_date"`
}
