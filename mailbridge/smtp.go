package mailbridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"missive/appliance"
	"missive/appliance/store"
)

// SMTPServer receives mail for the tenants' addresses: an Exchange
// forwarding rule or the MX points here. It is no relay: any recipient that
// is not a configured address is refused.
type SMTPServer struct {
	srv *smtp.Server
	ln  net.Listener
	b   *Bridge
}

// maxRcpts bounds the recipients of one message.
const maxRcpts = 100

// ListenSMTP listens on addr and serves until Close.
func (b *Bridge) ListenSMTP(addr string) (*SMTPServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for SMTP on %s: %w", addr, err)
	}
	return b.ServeSMTP(ln), nil
}

// ServeSMTP serves on a listener bound beforehand (port 25 is bound while
// the server is still root) until Close. With Options.TLS it offers
// STARTTLS, and once the session is encrypted, AUTH PLAIN and LOGIN for
// Missive users; AUTH never widens what is accepted: only the tenants'
// addresses, whoever the client is.
func (b *Bridge) ServeSMTP(ln net.Listener) *SMTPServer {
	s := &SMTPServer{ln: ln, b: b}
	ln = &limitListener{Listener: ln, limits: b.conns}
	s.srv = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.srv.Domain = b.opt.Hostname
	s.srv.MaxMessageBytes = b.opt.MaxMessageBytes
	s.srv.MaxRecipients = maxRcpts
	s.srv.ReadTimeout = 5 * time.Minute
	s.srv.WriteTimeout = time.Minute
	s.srv.TLSConfig = b.opt.TLS
	// Passwords only over TLS: go-smtp then advertises AUTH only after
	// STARTTLS, and refuses it before.
	s.srv.AllowInsecureAuth = false
	s.srv.ErrorLog = slogPrinter{b}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			b.log.Error("smtp server stopped", "err", err)
		}
	}()
	b.log.Info("smtp listening", "addr", ln.Addr().String(), "max_bytes", b.opt.MaxMessageBytes, "starttls", b.opt.TLS != nil,
		"max_conns", b.opt.MaxConns, "max_conns_per_addr", b.opt.MaxConnsPerAddr)
	return s
}

// Addr is the address the server listens on.
func (s *SMTPServer) Addr() net.Addr { return s.ln.Addr() }

// Close stops accepting and waits a little for sessions in progress.
func (s *SMTPServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return s.srv.Close()
	}
	return err
}

type slogPrinter struct{ b *Bridge }

func (p slogPrinter) Printf(format string, v ...any) {
	p.b.log.Warn("smtp: " + fmt.Sprintf(format, v...))
}
func (p slogPrinter) Println(v ...any) { p.b.log.Warn("smtp: " + fmt.Sprintln(v...)) }

type session struct {
	s     *SMTPServer
	conn  *smtp.Conn
	env   Envelope
	rcpts map[string][]string // by tenant
	n     int
	// user is who authenticated ("" for an anonymous client, the usual
	// case: the MX or a forwarding rule); authFailures ends a session
	// that guesses passwords.
	user         string
	authFailures int
}

func (s *SMTPServer) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: s, conn: c, rcpts: map[string][]string{}}, nil
}

func (ss *session) Reset() {
	ss.env = Envelope{}
	ss.rcpts = map[string][]string{}
	ss.n = 0
}

func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.env = Envelope{From: strings.ToLower(from), NullSender: from == "", Source: "smtp"}
	return nil
}

var (
	errTemporary = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Erreur temporaire, réessayez plus tard"}
	errTooMany   = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 5, 3}, Message: "Trop de destinataires"}
	errPending   = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Message reçu, enregistrement différé: réessayez plus tard (il ne sera pas compté deux fois)"}
)

// errLineTooLong is permanent: RFC 5321 bounds a line to 1000 octets and a
// client that sends longer ones must encode the message (quoted-printable,
// base64) rather than send it again as it is.
func errLineTooLong(limit int) *smtp.SMTPError {
	return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
		Message: fmt.Sprintf("Message refusé: une ligne dépasse %d caractères (RFC 5321: 1000 au plus); encodez le message (quoted-printable ou base64)", limit)}
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.n >= maxRcpts {
		return errTooMany
	}
	ma, err := ss.s.b.svc.Store.Reader().MailAddress(context.Background(), to)
	if errors.Is(err, store.ErrNotFound) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
			Message: "Destinataire inconnu <" + to + ">: ce serveur ne relaie pas le courrier"}
	}
	if err != nil {
		ss.s.b.log.Error("smtp: look up recipient", "to", to, "err", err)
		return errTemporary
	}
	ss.rcpts[ma.TenantID] = append(ss.rcpts[ma.TenantID], ma.Address)
	ss.n++
	return nil
}

// Data answers 250 only once the message is committed for every tenant
// it is for; a failure is temporary (451) so that the client keeps the
// message and tries again, and the tenants already served see the retry
// as a duplicate. The message is spooled to disk while it arrives, and
// read into memory only when the intake's memory budget has room for it.
func (ss *session) Data(r io.Reader) (err error) {
	b := ss.s.b
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("smtp: panic while taking a message in", "panic", p)
			err = errTemporary
		}
	}()
	spool, size, err := ss.spool(r)
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			b.log.Warn("smtp: message refused", "from", ss.env.From, "code", se.Code, "reason", se.Message)
			return se
		}
		if errors.Is(err, smtp.ErrTooLongLine) {
			// Sending the same message again would meet the same line: a
			// temporary answer would have the client retry for days.
			b.log.Warn("smtp: message refused: line too long", "from", ss.env.From, "limit", ss.s.srv.MaxLineLength)
			return errLineTooLong(ss.s.srv.MaxLineLength)
		}
		b.log.Error("smtp: spool message; client will retry", "from", ss.env.From, "err", err)
		return errTemporary
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	wctx, cancel := context.WithTimeout(context.Background(), b.opt.BusyWait)
	release, err := b.mem.acquire(wctx, size)
	cancel()
	if err != nil {
		b.log.Warn("smtp: busy, message deferred", "from", ss.env.From, "bytes", size)
		return errBusySMTP
	}
	defer release()
	raw := make([]byte, size)
	if _, err := spool.ReadAt(raw, 0); err != nil {
		b.log.Error("smtp: read spooled message", "from", ss.env.From, "err", err)
		return errTemporary
	}
	tenants := make([]string, 0, len(ss.rcpts))
	for t := range ss.rcpts {
		tenants = append(tenants, t)
	}
	sort.Strings(tenants)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, t := range tenants {
		_, err := b.deliverHeld(ctx, t, raw, ss.env, ss.rcpts[t])
		if permanent(err) {
			b.log.Warn("smtp: message refused", "tenant", t, "from", ss.env.From, "err", err)
			return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message refusé: contenu illisible ou trop volumineux"}
		}
		if errors.Is(err, appliance.ErrPending) {
			// In the log, applied once the store answers: the client's
			// retry will then be a duplicate, answered 250.
			b.log.Warn("smtp: message in the log, waiting for the store; client told to retry", "tenant", t, "from", ss.env.From, "err", err)
			return errPending
		}
		if err != nil {
			b.log.Error("smtp: message not taken in; client will retry", "tenant", t, "from", ss.env.From, "err", err)
			return temporary(err)
		}
	}
	return nil
}

// temporary is 451 4.3.0 for err, with its reason when it is not the
// database's (no quorum in the cluster, a removed node): the sender keeps
// the message and retries, and its log says why.
func temporary(err error) *smtp.SMTPError {
	var ue *appliance.UnavailableError
	if !errors.As(err, &ue) {
		return errTemporary
	}
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
		Message: "Erreur temporaire, réessayez plus tard: " + strings.ReplaceAll(ue.Reason, "\n", " ")}
}

// errBusySMTP: the intake's memory budget stayed full (RFC 3463: 4.3.1,
// mail system full); the client keeps the message and tries later.
var errBusySMTP = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "Serveur occupé, réessayez plus tard"}

// spool writes the message, after our Received line, to a file of the
// spool directory (0600) as it arrives: a slow or large message holds a
// file, not memory. go-smtp cuts it at MaxMessageBytes (552).
func (ss *session) spool(r io.Reader) (*os.File, int64, error) {
	f, err := os.CreateTemp(ss.s.b.opt.SpoolDir, "missive-smtp-*.eml")
	if err != nil {
		return nil, 0, err
	}
	n, err := io.WriteString(f, ss.received())
	if err == nil {
		var m int64
		m, err = io.Copy(f, r)
		n += int(m)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, err
	}
	return f, int64(n), nil
}

// received is the trace line RFC 5321 asks every server that takes a
// message to add.
func (ss *session) received() string {
	remote := ""
	if c := ss.conn.Conn(); c != nil {
		remote = c.RemoteAddr().String()
	}
	helo := strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e || r == '(' || r == ')' {
			return '_'
		}
		return r
	}, ss.conn.Hostname())
	// RFC 3848: ESMTPS over TLS, ESMTPSA when the client authenticated too.
	with := "ESMTP"
	if _, ok := ss.conn.TLSConnectionState(); ok {
		with += "S"
	}
	if ss.user != "" {
		with += "A"
	}
	return fmt.Sprintf("Received: from %s (%s)\r\n\tby %s (Missive) with %s;\r\n\t%s\r\n", helo, remote, ss.s.b.opt.Hostname, with,
		ss.s.b.now().Format(time.RFC1123Z))
}
