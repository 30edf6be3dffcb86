package appliance

import (
	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/letters"
	"missive/appliance/workdays"
)

// The register's names the outer layers use (appliance/letters).
type (
	LetterAttach         = letters.LetterAttach
	NumberTakenError     = letters.NumberTakenError
	CopyPayload          = letters.CopyPayload
	LetterRegister       = letters.LetterRegister
	LetterQualify        = letters.LetterQualify
	LetterRedirect       = letters.LetterRedirect
	LetterNote           = letters.LetterNote
	LetterLink           = letters.LetterLink
	LetterClose          = letters.LetterClose
	LetterReopen         = letters.LetterReopen
	LetterIncomplete     = letters.LetterIncomplete
	LetterPiecesReceived = letters.LetterPiecesReceived
	LetterRegisterForm   = letters.LetterRegisterForm
	RegisterInput        = letters.RegisterInput
	Upload               = letters.Upload
	QualifyInput         = letters.QualifyInput
	LetterView           = letters.LetterView
	RedirectInput        = letters.RedirectInput
	NoteInput            = letters.NoteInput
	IncompleteInput      = letters.IncompleteInput
	IncompleteResult     = letters.IncompleteResult
	PiecesInput          = letters.PiecesInput
)

const (
	KindLetterRegister     = letters.KindLetterRegister
	KindLetterQualify      = letters.KindLetterQualify
	KindLetterRedirect     = letters.KindLetterRedirect
	KindLetterNote         = letters.KindLetterNote
	KindLetterAttach       = letters.KindLetterAttach
	KindLetterLink         = letters.KindLetterLink
	KindLetterClose        = letters.KindLetterClose
	KindLetterReopen       = letters.KindLetterReopen
	KindLetterIncomplete   = letters.KindLetterIncomplete
	KindLetterPieces       = letters.KindLetterPieces
	KindLetterRegisterForm = letters.KindLetterRegisterForm
	NoticeEmail            = letters.NoticeEmail
	NoticeAck              = letters.NoticeAck
	NoticePaper            = letters.NoticePaper
	NoticeNone             = letters.NoticeNone
)

// forwardedRegistration is the registration a mail intake carries, so
// that the leader checks its number like a letter.register's (Admit).
func forwardedRegistration(cmd *Command) (*LetterRegister, error) {
	if cmd.Kind != KindMailIntake {
		return nil, nil
	}
	m, err := kernel.Decode[MailIntake](&kernel.Ctx{Cmd: cmd})
	if err != nil {
		return nil, err
	}
	return m.Letter, nil
}

// FullQualify is a qualification that sets every field of in.
func FullQualify(in RegisterInput) QualifyInput { return letters.FullQualify(in) }

// DueDate computes the due date of a letter of doctype d arriving then.
func DueDate(cal workdays.Calendar, d *domain.Doctype, arrival string) string {
	return letters.DueDate(cal, d, arrival)
}
