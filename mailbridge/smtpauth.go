package mailbridge

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"missive/appliance"
)

// SMTP AUTH on the listener: optional, over TLS only (go-smtp offers it
// after STARTTLS and refuses it before), for Missive's own users, so that
// a town's Exchange connector or a scanner can authenticate with a
// dedicated Missive account. An authenticated client may send exactly what
// an anonymous one may: mail to the tenants' addresses. It is recorded in
// the Received line (ESMTPSA) and the log.

var _ smtp.AuthSession = (*session)(nil)

// maxAuthFailures ends a session that guesses passwords; each guess costs
// a password hash, so the bound also protects the CPU.
const maxAuthFailures = 3

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain, sasl.Login} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return smtp.ErrAuthFailed
			}
			return ss.authenticate(user, pass)
		}), nil
	case sasl.Login:
		return &loginServer{check: ss.authenticate}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// authenticate checks a Missive user: "login" in the default tenant, or
// "tenant/login".
func (ss *session) authenticate(user, pass string) error {
	if ss.authFailures >= maxAuthFailures {
		return ss.answer(errAuthTooMany, "user", user)
	}
	tenant, login, ok := strings.Cut(user, "/")
	if !ok {
		tenant, login = "default", user
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b := ss.s.b
	a, err := b.svc.Authenticate(ctx, tenant, login, pass, ss.remoteIP())
	switch {
	case errors.Is(err, appliance.ErrThrottled):
		// Slowed down by the limiter every password door shares: no
		// password was checked; the client may retry later.
		ss.authFailures++
		return ss.answer(&SMTPError{Code: errAuthUnavailable.Code, Enhanced: errAuthUnavailable.Enhanced,
			Message: errAuthUnavailable.Message, Reason: "authentication slowed down by the login limiter"}, "user", user, "limiter", err.Error())
	case err != nil && !errors.Is(err, appliance.ErrForbidden):
		// The store could not check the password: not a failed attempt.
		return ss.answer(errAuthUnavailable.because(fmt.Errorf("check password of %s: %w", user, err)), "user", user)
	}
	if err != nil {
		ss.authFailures++
		b.log.Warn("smtp: authentication failed", "user", user, "remote", ss.remote(), "failures", ss.authFailures)
		if ss.authFailures >= maxAuthFailures {
			return errAuthTooMany.reply()
		}
		return smtp.ErrAuthFailed
	}
	ss.user = tenant + "/" + a.User.Login
	b.log.Info("smtp: authenticated", "user", ss.user, "remote", ss.remote())
	return nil
}

// remoteIP is the client's address without its port: the limiter's key.
func (ss *session) remoteIP() string {
	host, _, err := net.SplitHostPort(ss.remote())
	if err != nil {
		return ss.remote()
	}
	return host
}

func (ss *session) remote() string {
	if c := ss.conn.Conn(); c != nil {
		return c.RemoteAddr().String()
	}
	return ""
}

// loginServer is the LOGIN mechanism (draft-murchison-sasl-login), which
// Outlook and many scanners still use: the server asks for the user name,
// then the password.
type loginServer struct {
	check func(user, pass string) error
	user  string
	step  int
}

var errLoginUnexpected = errors.New("sasl LOGIN: unexpected response")

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		l.step++
		if len(response) > 0 { // an initial response carries the user name
			l.user = string(response)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 1:
		l.user = string(response)
		l.step++
		return []byte("Password:"), false, nil
	case 2:
		l.step++
		return nil, true, l.check(l.user, string(response))
	}
	return nil, true, errLoginUnexpected
}
