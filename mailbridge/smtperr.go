package mailbridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/emersion/go-smtp"
)

// SMTPError is one answer the intake gives a client, with everything the
// log needs: the reply code and enhanced status code (RFC 3463), the
// message safe to show any client (French, no internals), a short reason
// for the log, and the cause, kept for the log only. Whether the client
// should try again is the code's class (4xx), so the two never disagree.
type SMTPError struct {
	Code     int
	Enhanced smtp.EnhancedCode
	Message  string // shown to the client
	Reason   string // for the log: what happened, in a few words
	Err      error  // the cause; never shown to the client
}

func (e *SMTPError) Error() string {
	s := fmt.Sprintf("%d %d.%d.%d %s", e.Code, e.Enhanced[0], e.Enhanced[1], e.Enhanced[2], e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *SMTPError) Unwrap() error { return e.Err }

// Temporary says the client keeps the message and tries again later.
func (e *SMTPError) Temporary() bool { return e.Code/100 == 4 }

// because returns a copy of e with its cause.
func (e *SMTPError) because(err error) *SMTPError {
	c := *e
	c.Err = err
	return &c
}

// reply is what go-smtp writes on the wire.
func (e *SMTPError) reply() *smtp.SMTPError {
	return &smtp.SMTPError{Code: e.Code, EnhancedCode: e.Enhanced, Message: e.Message}
}

// answer logs one line for a refusal and returns what go-smtp sends:
// warnings for what the client did (a permanent refusal, a throttle),
// errors for what failed on our side (a temporary answer with a cause).
func (ss *session) answer(e *SMTPError, attrs ...any) error {
	level := slog.LevelWarn
	if e.Temporary() && e.Err != nil {
		level = slog.LevelError
	}
	attrs = append(attrs, "code", e.Code, "status", fmt.Sprintf("%d.%d.%d", e.Enhanced[0], e.Enhanced[1], e.Enhanced[2]),
		"from", ss.env.From, "remote", ss.remote())
	if e.Err != nil {
		attrs = append(attrs, "err", e.Err)
	}
	ss.s.b.log.Log(context.Background(), level, "smtp: "+e.Reason, attrs...)
	return e.reply()
}

// asSMTPError finds our typed error in err's chain.
func asSMTPError(err error) (*SMTPError, bool) {
	var e *SMTPError
	ok := errors.As(err, &e)
	return e, ok
}

// The intake's answers. Each is permanent (5xx: the same message would
// meet the same answer) or temporary (4xx: the client keeps it and
// retries, and a retry of a message already taken in is a duplicate,
// answered 250).
var (
	errTemporary = &SMTPError{Code: 451, Enhanced: smtp.EnhancedCode{4, 3, 0},
		Message: "Erreur temporaire, réessayez plus tard", Reason: "message not taken in; client will retry"}
	errTooMany = &SMTPError{Code: 452, Enhanced: smtp.EnhancedCode{4, 5, 3},
		Message: "Trop de destinataires", Reason: "too many recipients"}
	errPending = &SMTPError{Code: 451, Enhanced: smtp.EnhancedCode{4, 3, 0},
		Message: "Message reçu, enregistrement différé: réessayez plus tard (il ne sera pas compté deux fois)",
		Reason:  "message in the log, waiting for the store; client told to retry"}
	// errBusySMTP: the intake's memory budget stayed full (RFC 3463:
	// 4.3.1, mail system full).
	errBusySMTP = &SMTPError{Code: 451, Enhanced: smtp.EnhancedCode{4, 3, 1},
		Message: "Serveur occupé, réessayez plus tard", Reason: "busy, message deferred"}
	errUnreadable = &SMTPError{Code: 554, Enhanced: smtp.EnhancedCode{5, 6, 0},
		Message: "Message refusé: contenu illisible ou trop volumineux", Reason: "message refused"}
	errAuthTooMany = &SMTPError{Code: 421, Enhanced: smtp.EnhancedCode{4, 7, 0},
		Message: "Trop d'échecs d'authentification", Reason: "authentication failed too often; session ended"}
	// errAuthUnavailable is RFC 4954's temporary authentication failure.
	errAuthUnavailable = &SMTPError{Code: 454, Enhanced: smtp.EnhancedCode{4, 7, 0},
		Message: "Authentification momentanément impossible, réessayez plus tard", Reason: "authentication not checked"}
)

// errUnknownRecipient: no relaying, to anyone.
func errUnknownRecipient(to string) *SMTPError {
	return &SMTPError{Code: 550, Enhanced: smtp.EnhancedCode{5, 1, 1},
		Message: "Destinataire inconnu <" + to + ">: ce serveur ne relaie pas le courrier", Reason: "unknown recipient refused"}
}

// errLineTooLong is permanent: RFC 5321 bounds a line to 1000 octets and a
// client that sends longer ones must encode the message (quoted-printable,
// base64) rather than send it again as it is.
func errLineTooLong(limit int) *SMTPError {
	return &SMTPError{Code: 554, Enhanced: smtp.EnhancedCode{5, 6, 0},
		Message: fmt.Sprintf("Message refusé: une ligne dépasse %d caractères (RFC 5321: 1000 au plus); encodez le message (quoted-printable ou base64)", limit),
		Reason:  "message refused: line too long"}
}
