package mailbridge

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sort"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"missive/appliance"
	"missive/appliance/domain"
)

// moveBatch is how many messages are taken in before they are moved to the
// done folder together. Only committed messages are moved; a crash between
// commit and move leaves them in the source folder, where the next pass
// finds them already seen and moves them.
const moveBatch = 25

type poller struct {
	mb     domain.Mailbox
	cancel context.CancelFunc
	done   chan struct{}
}

// superviseMailboxes keeps one poller per enabled mailbox running on the
// leader, and none elsewhere.
func (b *Bridge) superviseMailboxes(ctx context.Context) {
	t := time.NewTicker(b.opt.ConfigInterval)
	defer t.Stop()
	defer b.stopPollers(nil)
	for {
		changed := b.opt.leaderChanged()
		want := map[string]domain.Mailbox{}
		if b.opt.Leader() {
			mbs, err := b.svc.System().Mailboxes(ctx, "")
			if err != nil && ctx.Err() == nil {
				b.log.Warn("imap: list mailboxes", "err", err)
			}
			for _, mb := range mbs {
				if !mb.Disabled {
					want[mb.ID] = mb
				}
			}
		}
		b.stopPollers(want)
		b.mu.Lock()
		for id, mb := range want {
			if _, ok := b.pollers[id]; !ok {
				pctx, cancel := context.WithCancel(ctx)
				p := &poller{mb: mb, cancel: cancel, done: make(chan struct{})}
				b.pollers[id] = p
				go func() { defer close(p.done); b.pollMailbox(pctx, mb) }()
			}
		}
		b.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-changed:
		}
	}
}

// stopPollers stops the pollers not in keep (all when keep is nil), and
// those whose settings changed.
func (b *Bridge) stopPollers(keep map[string]domain.Mailbox) {
	b.mu.Lock()
	var stopped []*poller
	for id, p := range b.pollers {
		if mb, ok := keep[id]; ok && mb.UpdatedAt == p.mb.UpdatedAt {
			continue
		}
		p.cancel()
		stopped = append(stopped, p)
		delete(b.pollers, id)
	}
	b.mu.Unlock()
	for _, p := range stopped {
		<-p.done
	}
}

// pollMailbox connects, takes in what the folder holds, then waits (IDLE
// when offered, polling otherwise), reconnecting with backoff on failure.
func (b *Bridge) pollMailbox(ctx context.Context, mb domain.Mailbox) {
	log := b.log.With("tenant", mb.TenantID, "mailbox", mb.Username+"@"+mb.Host, "folder", mb.Folder)
	backoff := time.Second
	var validity uint32
	for ctx.Err() == nil {
		connected, err := b.imapSession(ctx, mb, &validity)
		if ctx.Err() != nil {
			return
		}
		if connected {
			backoff = time.Second
		}
		log.Warn("imap: session ended; reconnecting", "err", err, "in", backoff)
		if !sleep(ctx, backoff) {
			return
		}
		if backoff *= 2; backoff > b.opt.ReconnectMax {
			backoff = b.opt.ReconnectMax
		}
	}
}

type xoauth2 struct{ user, token string }

func (x xoauth2) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + x.user + "\x01auth=Bearer " + x.token + "\x01\x01"), nil
}

// Next answers the server's error challenge with an empty line, after which
// the server fails the exchange with its message.
func (x xoauth2) Next([]byte) ([]byte, error) { return []byte{}, nil }

// dialIMAP connects and logs in.
func (b *Bridge) dialIMAP(ctx context.Context, mb domain.Mailbox, onExists func()) (*imapclient.Client, error) {
	addr := appliance.HostPort(mb.Host, mb.Port)
	tc := &tls.Config{ServerName: mb.Host}
	if b.opt.IMAPTLS != nil {
		tc = b.opt.IMAPTLS.Clone()
		if tc.ServerName == "" {
			tc.ServerName = mb.Host
		}
	}
	opts := &imapclient.Options{
		TLSConfig: tc,
		Dialer:    &net.Dialer{Timeout: 30 * time.Second},
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil && onExists != nil {
					onExists()
				}
			},
		},
	}
	var c *imapclient.Client
	var err error
	switch mb.Security {
	case "tls":
		c, err = imapclient.DialTLS(addr, opts)
	case "starttls":
		c, err = imapclient.DialStartTLS(addr, opts)
	default:
		c, err = imapclient.DialInsecure(addr, opts)
	}
	if err != nil {
		return nil, &stageError{stageConnect, fmt.Errorf("connect to %s: %w", addr, err)}
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, &stageError{stageConnect, fmt.Errorf("%s: greeting: %w", addr, err)}
	}
	secret, err := b.svc.OpenSecret("mailbox", mb.Secret)
	if err != nil {
		c.Close()
		return nil, &stageError{stageSecret, fmt.Errorf("%s: password of %s: %w", addr, mb.Username, err)}
	}
	if mb.Auth == "xoauth2" {
		err = c.Authenticate(xoauth2{mb.Username, secret})
	} else if c.Caps().Has(imap.CapLoginDisabled) {
		err = c.Authenticate(sasl.NewPlainClient("", mb.Username, secret))
	} else {
		err = c.Login(mb.Username, secret).Wait()
	}
	if err != nil {
		c.Close()
		return nil, &stageError{stageAuth, fmt.Errorf("%s: login as %s: %w", addr, mb.Username, err)}
	}
	return c, nil
}

// imapSession runs one connection; connected says whether it got as far as
// selecting the folder.
func (b *Bridge) imapSession(ctx context.Context, mb domain.Mailbox, validity *uint32) (connected bool, err error) {
	log := b.log.With("tenant", mb.TenantID, "mailbox", mb.Username+"@"+mb.Host, "folder", mb.Folder)
	wake := make(chan struct{}, 1)
	c, err := b.dialIMAP(ctx, mb, func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	if err != nil {
		return false, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := ensureFolder(c, mb.DoneFolder); err != nil {
		return false, err
	}
	sel, err := c.Select(mb.Folder, nil).Wait()
	if err != nil {
		return false, fmt.Errorf("select %s: %w", mb.Folder, err)
	}
	if *validity != 0 && sel.UIDValidity != *validity {
		// UIDs mean nothing any more; nothing of ours depends on them
		// (intake is keyed by Message-ID or content), so the folder is
		// simply read again from the start.
		log.Warn("imap: UIDVALIDITY changed; reading the whole folder again", "was", *validity, "now", sel.UIDValidity)
	}
	*validity = sel.UIDValidity
	// Read once: asking later, on a connection the server has dropped,
	// waits for a CAPABILITY answer that never comes.
	canIdle := c.Caps().Has(imap.CapIdle)
	log.Info("imap: connected", "uidvalidity", sel.UIDValidity, "messages", sel.NumMessages, "idle", canIdle, "move", c.Caps().Has(imap.CapMove))
	for {
		if err := b.takeFolder(ctx, c, mb, sel.UIDValidity); err != nil {
			return true, err
		}
		b.folderPasses.Add(1)
		if !b.opt.Leader() {
			return true, errors.New("no longer leader")
		}
		if err := b.wait(ctx, c, wake, canIdle); err != nil {
			return true, err
		}
		// Selecting again refreshes the server's view: a folder deleted
		// and recreated under a selected session (new UIDVALIDITY) is
		// not always announced to it.
		if sel, err = c.Select(mb.Folder, nil).Wait(); err != nil {
			return true, fmt.Errorf("select %s: %w", mb.Folder, err)
		}
		if sel.UIDValidity != *validity {
			log.Warn("imap: UIDVALIDITY changed; reading the whole folder again", "was", *validity, "now", sel.UIDValidity)
			*validity = sel.UIDValidity
		}
	}
}

// wait returns when the folder may have new mail: an EXISTS during IDLE,
// or PollInterval later.
func (b *Bridge) wait(ctx context.Context, c *imapclient.Client, wake chan struct{}, canIdle bool) error {
	t := time.NewTimer(b.opt.PollInterval)
	defer t.Stop()
	if !canIdle {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		case <-c.Closed():
			return errors.New("connection closed by the server")
		}
	}
	// The library re-issues IDLE every 28 minutes, inside the 29 minutes
	// after which RFC 2177 lets a server drop an idle client.
	idle, err := c.Idle()
	if err != nil {
		return fmt.Errorf("IDLE: %w", err)
	}
	b.idling.Add(1)
	defer b.idling.Add(-1)
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-wake:
	case <-c.Closed():
	}
	if err := idle.Close(); err != nil {
		return fmt.Errorf("end IDLE: %w", err)
	}
	if err := idle.Wait(); err != nil {
		return fmt.Errorf("IDLE ended by the server: %w", err)
	}
	return ctx.Err()
}

func ensureFolder(c *imapclient.Client, name string) error {
	list, err := c.List("", name, nil).Collect()
	if err != nil {
		return fmt.Errorf("list %s: %w", name, err)
	}
	if len(list) > 0 {
		return nil
	}
	if err := c.Create(name, nil).Wait(); err != nil {
		return fmt.Errorf("create folder %s: %w", name, err)
	}
	return nil
}

// takeFolder takes in every message of the selected folder and moves each
// to the done folder once committed.
func (b *Bridge) takeFolder(ctx context.Context, c *imapclient.Client, mb domain.Mailbox, validity uint32) error {
	log := b.log.With("tenant", mb.TenantID, "mailbox", mb.Username+"@"+mb.Host, "folder", mb.Folder)
	data, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	uids := data.AllUIDs()
	if len(uids) == 0 {
		return nil
	}
	sort.Slice(uids, func(i, j int) bool { return uids[i] < uids[j] })
	sizes, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return fmt.Errorf("fetch sizes: %w", err)
	}
	size := map[imap.UID]int64{}
	for _, m := range sizes {
		size[m.UID] = m.RFC822Size
	}
	var done []imap.UID
	move := func() error {
		if len(done) == 0 {
			return nil
		}
		if _, err := c.Move(imap.UIDSetNum(done...), mb.DoneFolder).Wait(); err != nil {
			return fmt.Errorf("move to %s: %w", mb.DoneFolder, err)
		}
		log.Debug("imap: moved to done folder", "count", len(done))
		done = done[:0]
		return nil
	}
	body := &imap.FetchItemBodySection{Peek: true}
	for _, uid := range uids {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if s := size[uid]; s > b.opt.MaxMessageBytes {
			b.leftInPlace(ctx, mb, validity, uid, fmt.Sprintf("de %d Mo, au-delà de la taille maximale de %d Mo", s>>20, b.opt.MaxMessageBytes>>20))
			continue
		}
		msgs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{body}}).Collect()
		if err != nil {
			return fmt.Errorf("fetch message %d: %w", uid, err)
		}
		if len(msgs) == 0 {
			continue // expunged meanwhile
		}
		raw := msgs[0].FindBodySection(body)
		if raw == nil {
			return fmt.Errorf("fetch message %d: no body returned", uid)
		}
		res, err := b.Deliver(ctx, mb.TenantID, raw, Envelope{Source: "imap:" + mb.ID}, nil)
		if permanent(err) {
			// Trying again would fail again and hold the folder up.
			b.leftInPlace(ctx, mb, validity, uid, "refusé ("+err.Error()+")")
			continue
		}
		if err != nil {
			// Left in place: the next pass tries again.
			move()
			return err
		}
		if res.Duplicate {
			log.Info("imap: message already taken in; moving it", "uid", uid, "letter_id", res.LetterID)
		}
		done = append(done, uid)
		if len(done) >= moveBatch {
			if err := move(); err != nil {
				return err
			}
		}
	}
	return move()
}

// permanent says whether taking a message in failed for good: the message
// itself is refused, not the store.
func permanent(err error) bool {
	return err != nil && (errors.Is(err, appliance.ErrInvalid) || errors.Is(err, appliance.ErrTooLarge))
}

// leftInPlace leaves a message in the folder and tells the administrator
// once.
func (b *Bridge) leftInPlace(ctx context.Context, mb domain.Mailbox, validity uint32, uid imap.UID, why string) {
	key := fmt.Sprintf("left:%s:%d:%d", mb.ID, validity, uid)
	text := fmt.Sprintf("Un message (UID %d) est laissé dans le dossier « %s » de %s@%s : message %s. Traitez-le à la main.",
		uid, mb.Folder, mb.Username, mb.Host, why)
	b.mu.Lock()
	if b.warned == nil {
		b.warned = map[string]bool{}
	}
	first := !b.warned[key]
	b.warned[key] = true
	b.mu.Unlock()
	if !first {
		return
	}
	b.log.Warn("imap: message left in the mailbox", "tenant", mb.TenantID, "mailbox", mb.Username+"@"+mb.Host,
		"folder", mb.Folder, "uid", uid, "why", why)
	if err := b.svc.AddMailNotice(ctx, mb.TenantID, key, text); err != nil {
		b.log.Warn("imap: record notice", "err", err)
	}
}
