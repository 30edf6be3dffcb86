package mailbridge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.n >= maxRcpts {
		return ss.answer(errTooMany)
	}
	ma, err := ss.s.b.svc.System().MailAddress(context.Background(), to)
	if errors.Is(err, store.ErrNotFound) {
		return ss.answer(errUnknownRecipient(to), "to", to)
	}
	if err != nil {
		return ss.answer(errTemporary.saying("look up recipient").because(err), "to", to)
	}
	ss.rcpts[ma.TenantID] = append(ss.rcpts[ma.TenantID], ma.Address)
	ss.n++
	return nil
}

// Data answers 250 only once the message is committed for every tenant
// it is for; a failure is temporary (451) so that the client keeps the
// message and tries again, and the tenants already served see the retry
// as a duplicate. The message is spooled to disk while it arrives, and
// parsed where it lies (mapped, not copied) once the intake's memory
// budget has room for what parsing it takes.
func (ss *session) Data(r io.Reader) error {
	err := ss.data(r)
	if err == nil {
		return nil
	}
	e, ok := asSMTPError(err)
	if !ok {
		e = errTemporary.because(err)
	}
	return ss.answer(e)
}

// data takes the message in; every refusal is an *SMTPError.
func (ss *session) data(r io.Reader) (err error) {
	b := ss.s.b
	defer func() {
		if p := recover(); p != nil {
			err = errTemporary.because(fmt.Errorf("panic while taking a message in: %v", p))
		}
	}()
	sp, err := ss.spool(r)
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			// go-smtp's own refusals (552 message too big, …).
			return &SMTPError{Code: se.Code, Enhanced: se.EnhancedCode, Message: se.Message, Reason: "message refused", Err: err}
		}
		if errors.Is(err, smtp.ErrTooLongLine) {
			// Sending the same message again would meet the same line: a
			// temporary answer would have the client retry for days.
			return errLineTooLong(ss.s.srv.MaxLineLength)
		}
		return errTemporary.because(fmt.Errorf("spool message: %w", err))
	}
	// Once its .eml is in the blob store the file is no longer here, and
	// Remove has nothing to do.
	defer os.Remove(sp.file.Name())
	defer sp.file.Close()
	wctx, cancel := context.WithTimeout(context.Background(), b.opt.BusyWait)
	release, err := b.mem.acquire(wctx, sp.size)
	cancel()
	if err != nil {
		return &SMTPError{Code: errBusySMTP.Code, Enhanced: errBusySMTP.Enhanced, Message: errBusySMTP.Message,
			Reason: fmt.Sprintf("busy, message of %d bytes deferred", sp.size)}
	}
	defer release()
	raw, unmap, err := mapFile(sp.file, sp.size)
	if err != nil {
		return errTemporary.because(err)
	}
	defer unmap()
	msg := rawMessage{b: raw, file: sp.file, sum: sp.sum}
	tenants := make([]string, 0, len(ss.rcpts))
	for t := range ss.rcpts {
		tenants = append(tenants, t)
	}
	sort.Strings(tenants)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, t := range tenants {
		_, err := b.deliverHeld(ctx, t, msg, ss.env, ss.rcpts[t])
		switch {
		case permanent(err):
			return errUnreadable.because(fmt.Errorf("tenant %s: %w", t, err))
		case errors.Is(err, appliance.ErrPending):
			// In the log, applied once the store answers: the client's
			// retry will then be a duplicate, answered 250.
			return errPending.because(fmt.Errorf("tenant %s: %w", t, err))
		case err != nil:
			return temporary(fmt.Errorf("tenant %s: %w", t, err))
		}
	}
	return nil
}

// temporary is 451 4.3.0 for err, with its reason when it is not the
// database's (no quorum in the cluster, a removed node): the sender keeps
// the message and retries, and its log says why.
func temporary(err error) *SMTPError {
	e := errTemporary.because(err)
	var ue *appliance.UnavailableError
	if errors.As(err, &ue) {
		e.Message = "Erreur temporaire, réessayez plus tard: " + strings.ReplaceAll(ue.Reason, "\n", " ")
	}
	return e
}

// spooled is a message on disk: the file, its size and its SHA-256.
type spooled struct {
	file *os.File
	size int64
	sum  string
}

// spool writes the message, after our Received line, to a file of the
// spool directory (0600) as it arrives, and hashes it on the way: a slow
// or large message holds a file, not memory, and the file becomes the
// message's .eml in the blob store as it is (blob.Store.Adopt). go-smtp
// cuts it at MaxMessageBytes (552); a message cut short leaves no file.
func (ss *session) spool(r io.Reader) (*spooled, error) {
	f, err := os.CreateTemp(ss.s.b.opt.SpoolDir, "missive-smtp-*.eml")
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	w := io.MultiWriter(f, h)
	n, err := io.WriteString(w, ss.received())
	if err == nil {
		var m int64
		m, err = io.Copy(w, r)
		n += int(m)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &spooled{file: f, size: int64(n), sum: hex.EncodeToString(h.Sum(nil))}, nil
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

// readFile reads the first size bytes of f into memory.
func readFile(f *os.File, size int64) ([]byte, func(), error) {
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, nil, fmt.Errorf("read spooled message: %w", err)
	}
	return b, func() {}, nil
}
