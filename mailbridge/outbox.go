package mailbridge

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"missive/appliance"
	"missive/appliance/domain"
)

// sendLoop sends what the outbox holds, on the leader only. Messages are
// sent one at a time and each outcome is committed before the next send, so
// that a crash can leave at most one message sent but not marked sent: it
// is sent again after the restart, with the same Message-ID (DESIGN.md).
func (b *Bridge) sendLoop(ctx context.Context) {
	t := time.NewTicker(b.opt.SendInterval)
	defer t.Stop()
	var last time.Time
	for {
		changed := b.opt.leaderChanged()
		if b.opt.Leader() {
			if err := b.releaseHeld(ctx); err != nil && ctx.Err() == nil {
				b.log.Warn("outbox: release acknowledgements", "err", err)
			}
			if err := b.SendDue(ctx); err != nil && ctx.Err() == nil {
				b.log.Warn("outbox", "err", err)
			}
			b.sendPasses.Add(1)
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.kick:
			// Every message taken in kicks the sender: under a load of
			// mail, a pass per kick would read the outbox a hundred times
			// a second for acknowledgements that may leave a moment
			// later. The kicks of one kickGap make one pass.
			if wait := kickGap - time.Since(last); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				case <-changed:
				}
			}
		case <-changed:
		}
	}
}

// kickGap is the least time between two passes of the sender that kicks
// started.
const kickGap = 100 * time.Millisecond

// SendDue sends every queued message whose time has come.
func (b *Bridge) SendDue(ctx context.Context) error {
	r := b.svc.System()
	for ctx.Err() == nil {
		now := b.now().UTC().Format(domain.TimeLayout)
		due, err := r.OutboxDue(ctx, now, 50)
		if err != nil {
			return err
		}
		if len(due) == 0 {
			return nil
		}
		progress := false
		conns := map[string]*relayConn{}
		for i := range due {
			o := &due[i]
			rc := conns[o.TenantID]
			if rc == nil {
				relay, err := r.MailRelay(ctx, o.TenantID)
				if err != nil {
					// No relay yet: the message waits for one, without
					// burning its attempts.
					continue
				}
				rc = &relayConn{relay: relay, b: b}
				conns[o.TenantID] = rc
			}
			res := b.sendOne(ctx, rc, o)
			if err := b.svc.RecordOutboxResult(ctx, o.TenantID, res); err != nil && !errors.Is(err, appliance.ErrConflict) {
				for _, c := range conns {
					c.close()
				}
				return fmt.Errorf("record send of %s: %w", o.MessageID, err)
			}
			progress = true
		}
		for _, c := range conns {
			c.close()
		}
		if !progress {
			return nil
		}
	}
	return ctx.Err()
}

func (b *Bridge) sendOne(ctx context.Context, rc *relayConn, o *domain.OutboxEntry) appliance.MailOutboxResult {
	res := appliance.MailOutboxResult{ID: o.ID, Attempts: o.Attempts + 1}
	err := rc.send(ctx, o)
	if err == nil {
		res.Status = appliance.OutboxSent
		b.log.Info("mail sent", "tenant", o.TenantID, "kind", o.Kind, "to", o.RcptTo, "message_id", o.MessageID, "letter_id", o.LetterID)
		return res
	}
	res.Error = truncate(err.Error(), 500)
	var se *smtp.SMTPError
	permanent := errors.As(err, &se) && se.Code >= 500
	if permanent || res.Attempts >= b.opt.MaxAttempts {
		res.Status = appliance.OutboxFailed
		b.log.Error("mail not sent", "tenant", o.TenantID, "kind", o.Kind, "to", o.RcptTo, "message_id", o.MessageID, "attempts", res.Attempts, "err", err)
		return res
	}
	delay := b.opt.RetryBase << (res.Attempts - 1)
	if delay > b.opt.RetryMax || delay <= 0 {
		delay = b.opt.RetryMax
	}
	res.Status = appliance.OutboxQueued
	res.NextTry = b.now().Add(delay).UTC().Format(domain.TimeLayout)
	b.log.Warn("mail send deferred", "tenant", o.TenantID, "kind", o.Kind, "to", o.RcptTo, "attempts", res.Attempts, "retry_in", delay, "err", err)
	return res
}

// relayConn is one SMTP session to a tenant's relay, reused for a batch.
type relayConn struct {
	b     *Bridge
	relay *domain.MailRelay
	c     *smtp.Client
}

func (rc *relayConn) send(ctx context.Context, o *domain.OutboxEntry) error {
	if rc.c == nil {
		c, err := rc.b.dialRelay(ctx, rc.relay)
		if err != nil {
			return err
		}
		rc.c = c
	}
	from := o.MailFrom
	if rc.relay.FromAddress != "" {
		from = rc.relay.FromAddress
	}
	content := o.Content
	if o.Kind == "answer" {
		var err error
		if content, err = rc.b.composeAnswer(o); err != nil {
			return err
		}
	}
	err := rc.c.SendMail(from, []string{o.RcptTo}, strings.NewReader(content))
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) && rc.c.Reset() == nil {
			return err
		}
		rc.close()
	}
	return err
}

func (rc *relayConn) close() {
	if rc.c != nil {
		rc.c.Quit()
		rc.c.Close()
		rc.c = nil
	}
}

// DialRelay opens and authenticates a session to a relay; the admin's
// "Tester la connexion" uses it too.
func (b *Bridge) dialRelay(ctx context.Context, relay *domain.MailRelay) (*smtp.Client, error) {
	addr := appliance.HostPort(relay.Host, relay.Port)
	d := net.Dialer{Timeout: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &stageError{stageConnect, fmt.Errorf("connect to relay %s: %w", addr, err)}
	}
	tc := &tls.Config{ServerName: relay.Host}
	if b.opt.RelayTLS != nil {
		tc = b.opt.RelayTLS.Clone()
		if tc.ServerName == "" {
			tc.ServerName = relay.Host
		}
	}
	var c *smtp.Client
	switch relay.Security {
	case "tls":
		c = smtp.NewClient(tls.Client(conn, tc))
	case "starttls":
		if c, err = smtp.NewClientStartTLS(conn, tc); err != nil {
			return nil, &stageError{stageTLS, fmt.Errorf("relay %s: STARTTLS: %w", addr, err)}
		}
	default:
		c = smtp.NewClient(conn)
	}
	c.CommandTimeout = time.Minute
	c.SubmissionTimeout = 5 * time.Minute
	if relay.Security != "starttls" { // STARTTLS said EHLO already
		if err := c.Hello(b.opt.Hostname); err != nil {
			c.Close()
			return nil, &stageError{stageConnect, fmt.Errorf("relay %s: EHLO: %w", addr, err)}
		}
	}
	if relay.Username != "" {
		secret, err := b.svc.OpenSecret("relay", relay.Secret)
		if err != nil {
			c.Close()
			return nil, &stageError{stageSecret, fmt.Errorf("relay %s: password: %w", addr, err)}
		}
		if err := c.Auth(sasl.NewPlainClient("", relay.Username, secret)); err != nil {
			c.Close()
			return nil, &stageError{stageAuth, fmt.Errorf("relay %s: AUTH: %w", addr, err)}
		}
	}
	return c, nil
}
