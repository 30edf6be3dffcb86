package mailbridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/drafts"
	"missive/appliance/store"
)

// Deliver takes one message in for a tenant: a new letter, a reply joining
// its letter, or a bounce. It returns once that is committed, or an error
// when nothing was (the caller keeps the message and tries again). A
// message taken in before returns its earlier result with Duplicate set.
// It waits its turn in the intake's memory budget (Options.IntakeMemory);
// errBusy when none came in time.
func (b *Bridge) Deliver(ctx context.Context, tenant string, raw []byte, env Envelope, rcpts []string) (*appliance.MailIntakeResult, error) {
	wctx, cancel := context.WithTimeout(ctx, b.opt.BusyWait)
	release, err := b.mem.acquire(wctx, int64(len(raw)))
	cancel()
	if err != nil {
		return nil, fmt.Errorf("take in message for %s: %w", tenant, err)
	}
	defer release()
	return b.deliverHeld(ctx, tenant, rawMessage{b: raw}, env, rcpts)
}

// rawMessage is a message's bytes as they came and, for an SMTP message,
// the spool file that holds them with their SHA-256, computed while it
// arrived: its .eml document is then moved into the blob store, not
// written a second time.
type rawMessage struct {
	b    []byte
	file *os.File
	sum  string
}

// upload is the message itself as a document (its .eml).
func (r rawMessage) upload(name string, role domain.DocRole) appliance.Upload {
	return appliance.Upload{Name: name, Role: role, Body: bytes.NewReader(r.b), File: r.file, SHA256: r.sum}
}

// deliverHeld is Deliver for a message whose bytes the budget already
// counts.
func (b *Bridge) deliverHeld(ctx context.Context, tenant string, raw rawMessage, env Envelope, rcpts []string) (*appliance.MailIntakeResult, error) {
	cur := b.parsing.Add(int64(len(raw.b)))
	defer b.parsing.Add(-int64(len(raw.b)))
	for p := b.parsingPeak.Load(); cur > p && !b.parsingPeak.CompareAndSwap(p, cur); p = b.parsingPeak.Load() {
	}
	res, err := b.deliver(ctx, tenant, raw, env, rcpts)
	if err != nil {
		return nil, fmt.Errorf("take in message for %s: %w", tenant, err)
	}
	return res, nil
}

func (b *Bridge) deliver(ctx context.Context, tenant string, raw rawMessage, env Envelope, rcpts []string) (*appliance.MailIntakeResult, error) {
	m := ParseWith(raw.b, b.opt.Limits)
	key := Key(m, raw.b)
	r := b.svc.System()
	if seen, err := r.MailSeen(ctx, tenant, key); err == nil {
		return &appliance.MailIntakeResult{Duplicate: true, LetterID: seen.LetterID}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	sys, err := b.svc.SystemActor(ctx, tenant)
	if err != nil {
		return nil, err
	}
	in := appliance.MailIntakeInput{Key: key, MessageID: m.MessageID, Source: env.Source, FromAddress: m.FromAddr, Subject: truncate(m.Subject, 500)}
	if in.FromAddress == "" {
		in.FromAddress = strings.ToLower(env.From)
	}
	if len(m.Problems) > 0 {
		b.log.Warn("message partly unreadable", "tenant", tenant, "message_id", m.MessageID, "problems", strings.Join(m.Problems, "; "))
	}
	var res *appliance.MailIntakeResult
	switch l, bounceOf := b.thread(ctx, tenant, m, env); {
	case isBounce(m, env):
		res, err = b.intakeBounce(ctx, sys, in, m, raw, l, bounceOf)
	case l != nil:
		res, err = b.intakeReply(ctx, sys, in, m, raw, l)
	default:
		res, err = b.intakeLetter(ctx, sys, in, m, raw, env, rcpts)
	}
	if err != nil {
		return nil, err
	}
	if !res.Duplicate {
		b.Kick()
	}
	return res, nil
}

func (b *Bridge) intakeLetter(ctx context.Context, sys *appliance.Actor, in appliance.MailIntakeInput, m *Message, raw rawMessage, env Envelope, rcpts []string) (*appliance.MailIntakeResult, error) {
	tenant := sys.TenantID()
	r := b.svc.System()
	in.Kind = "letter"
	in.NoAck = noAckReason(m, env, b.ours(ctx, tenant))
	if in.NoAck == "" {
		cap, err := b.ackCap(ctx, tenant, m.FromAddr)
		if err != nil {
			return nil, err
		}
		in.NoAck = cap
	}
	ourRcpts := b.ourRecipients(ctx, tenant, m, rcpts)
	reg := appliance.RegisterInput{Category: domain.Incoming, Subject: in.Subject, Body: truncate(m.Text, 1<<20)}
	// A Date header is the sender's say: a year that no letter can have
	// (0001, 9999) is left out rather than refusing the message.
	if y := m.Date.Year(); !m.Date.IsZero() && y >= 1900 && y <= b.now().Year()+1 {
		reg.LetterDate = m.Date.In(domain.Paris).Format(domain.DateLayout)
	}
	if m.FromAddr != "" || m.FromName != "" {
		reg.Sender = &appliance.ContactInput{Name: truncate(m.FromName, 300)}
		if a, err := mail.ParseAddress(m.FromAddr); err == nil && a.Address == m.FromAddr {
			reg.Sender.Email = m.FromAddr
		} else if reg.Sender.Name == "" {
			reg.Sender.Name = truncate(m.FromAddr, 300)
		}
	}
	rules, err := r.MailRules(ctx, tenant)
	if err != nil {
		return nil, err
	}
	reg.EntityID, reg.DoctypeID = route(rules, ourRcpts, m.Subject+"\n"+m.Text)
	for _, a := range ourRcpts {
		if ma, err := r.MailAddress(ctx, a); err == nil && ma.TenantID == tenant {
			if reg.EntityID == "" {
				reg.EntityID = ma.EntityID
			}
			if reg.DoctypeID == "" {
				reg.DoctypeID = ma.DoctypeID
			}
		}
	}
	policy := appliance.AckAuto
	if in.NoAck == "" {
		if policy, err = r.MailAckPolicy(ctx, tenant, reg.DoctypeID); err != nil {
			return nil, err
		}
		if policy == appliance.AckNever {
			in.NoAck = "pas d'accusé de réception pour ce type de courrier (réglage de la commune)"
		}
	}
	if in.NoAck == "" {
		in.Outbox = b.ackFor(ctx, tenant, m, ourRcpts, policy == appliance.AckQualified)
	}
	in.Register = &reg
	uploads := messageUploads(m, raw.upload(fileName(m.Subject, "courriel")+".eml", domain.DocMain))
	res, err := b.svc.IntakeMail(ctx, sys, in, uploads...)
	var fe appliance.FieldErrors
	if errors.As(err, &fe) && (fe["entity_id"] != "" || fe["doctype_id"] != "") {
		// A rule naming a removed entity or doctype must not hold mail up:
		// the letter goes to the mail room instead.
		b.log.Warn("mail routing names an unknown entity or doctype; sent to the mail room", "tenant", tenant, "err", err)
		reg.EntityID, reg.DoctypeID = "", ""
		res, err = b.svc.IntakeMail(ctx, sys, in, messageUploads(m, raw.upload(fileName(m.Subject, "courriel")+".eml", domain.DocMain))...)
	}
	if err != nil {
		return nil, err
	}
	if res.Letter != nil {
		b.log.Info("mail registered", "tenant", tenant, "letter", res.Letter.Number, "from", m.FromAddr, "message_id", m.MessageID, "source", in.Source, "ack", in.NoAck == "")
	}
	return res, nil
}

// ackCap says why no acknowledgement may go now ("" when one may): too
// many to this address, or to anyone, in the last hour. Anyone can forge a
// sender: the caps bound what the town sends to addresses it never heard
// from.
func (b *Bridge) ackCap(ctx context.Context, tenant, to string) (string, error) {
	r := b.svc.System()
	since := b.now().Add(-time.Hour).UTC().Format(domain.TimeLayout)
	n, err := r.CountOutboxTo(ctx, tenant, to, "ack", since)
	if err != nil {
		return "", err
	}
	if n >= b.opt.AckPerHour {
		return fmt.Sprintf("déjà %d accusés de réception envoyés à %s dans l'heure", n, to), nil
	}
	if n, err = r.CountOutboxSince(ctx, tenant, "ack", since); err != nil {
		return "", err
	}
	if n >= b.opt.AckPerHourTotal {
		b.log.Warn("mail: hourly cap of acknowledgements reached; registering without acknowledgement", "tenant", tenant, "cap", b.opt.AckPerHourTotal)
		return fmt.Sprintf("plafond de %d accusés de réception par heure atteint pour la commune", b.opt.AckPerHourTotal), nil
	}
	return "", nil
}

// messageUploads are the documents of a message: the original first, then
// every part.
func messageUploads(m *Message, original appliance.Upload) []appliance.Upload {
	ups := []appliance.Upload{original}
	for _, p := range m.Parts {
		name := p.Name
		if name == "" {
			name = "piece-jointe"
		}
		ups = append(ups, appliance.Upload{Name: name, Role: domain.DocAttachment, Body: bytes.NewReader(p.Data)})
	}
	return ups
}

func (b *Bridge) intakeReply(ctx context.Context, sys *appliance.Actor, in appliance.MailIntakeInput, m *Message, raw rawMessage, l *domain.Letter) (*appliance.MailIntakeResult, error) {
	tenant := sys.TenantID()
	in.Kind, in.LetterID = "reply", l.ID
	in.NoAck = "réponse rattachée au courrier " + l.Number
	text := m.Text
	if utf8.RuneCountInString(text) > 8000 {
		text = truncate(text, 8000) + "\n[…]"
	}
	in.Note = fmt.Sprintf("Réponse de %s reçue par e-mail : « %s »\n\n%s", m.FromAddr, m.Subject, text)
	date := b.now().In(domain.Paris).Format("2006-01-02-150405")
	uploads := messageUploads(m, raw.upload("reponse-"+date+".eml", domain.DocAttachment))
	in.Outbox = b.noticeFor(ctx, tenant, m, l)
	res, err := b.svc.IntakeMail(ctx, sys, in, uploads...)
	if err != nil {
		return nil, err
	}
	if !res.Duplicate {
		b.log.Info("mail reply joined its letter", "tenant", tenant, "letter", l.Number, "from", m.FromAddr, "message_id", m.MessageID)
	}
	return res, nil
}

func (b *Bridge) intakeBounce(ctx context.Context, sys *appliance.Actor, in appliance.MailIntakeInput, m *Message, raw rawMessage, l *domain.Letter, bounceOf string) (*appliance.MailIntakeResult, error) {
	in.Kind = "bounce"
	in.NoAck = "avis de non-distribution"
	reason := "non distribué"
	if m.Report != nil {
		reason = strings.TrimSpace(m.Report.Status + " " + m.Report.Diagnostic)
	}
	in.BounceOf, in.Reason = bounceOf, truncate(reason, 500)
	var uploads []appliance.Upload
	if l != nil {
		in.LetterID = l.ID
		to := ""
		if m.Report != nil && m.Report.Recipient != "" {
			to = " à " + m.Report.Recipient
		}
		in.Note = fmt.Sprintf("Un message envoyé%s n'a pas pu être remis (%s). L'avis de non-distribution est joint au courrier.", to, reason)
		uploads = []appliance.Upload{raw.upload("avis-de-non-distribution.eml", domain.DocAttachment)}
	}
	res, err := b.svc.IntakeMail(ctx, sys, in, uploads...)
	if err != nil {
		return nil, err
	}
	b.log.Info("bounce received", "tenant", sys.TenantID(), "letter_id", in.LetterID, "about", bounceOf, "reason", reason)
	return res, nil
}

var numberRe = regexp.MustCompile(`\b(\d{4}/[ADI]/\d{6})\b`)

// thread finds the letter a message answers: by In-Reply-To or References
// naming one of our messages (or the message that made the letter), or by
// the registration number in the subject when the sender is the letter's.
// bounceOf is the Message-ID of ours a delivery report is about.
func (b *Bridge) thread(ctx context.Context, tenant string, m *Message, env Envelope) (l *domain.Letter, bounceOf string) {
	r := b.svc.System()
	var ids []string
	if m.Report != nil {
		ids = append(ids, m.Report.Original...)
	}
	ids = append(ids, m.InReplyTo...)
	for i := len(m.References) - 1; i >= 0; i-- {
		ids = append(ids, m.References[i])
	}
	for _, id := range ids {
		var letterID string
		if o, err := r.OutboxByMessageID(ctx, tenant, id); err == nil {
			letterID, bounceOf = o.LetterID, o.MessageID
		} else if s, err := r.MailSeen(ctx, tenant, "mid:"+id); err == nil && !isBounce(m, env) {
			letterID = s.LetterID
		}
		if letterID == "" {
			continue
		}
		if l, err := r.Letter(ctx, tenant, letterID); err == nil {
			return l, bounceOf
		}
	}
	if isBounce(m, env) {
		return nil, bounceOf
	}
	// A number in the subject is public (it is on paper letters too): it
	// threads only a message from the letter's own sender.
	for _, num := range numberRe.FindAllString(m.Subject, 3) {
		l, err := r.LetterByNumber(ctx, tenant, num)
		if err != nil || l.SenderID == "" {
			continue
		}
		if c, err := r.Contact(ctx, tenant, l.SenderID); err == nil && c.Email != "" && store.EmailKey(c.Email) == m.FromAddr {
			return l, ""
		}
	}
	return nil, ""
}

// ours reports whether an address is one of Missive's: a receiving address
// of any tenant, or the tenant's relay sender.
func (b *Bridge) ours(ctx context.Context, tenant string) func(string) bool {
	r := b.svc.System()
	relay, _ := r.MailRelay(ctx, tenant)
	return func(a string) bool {
		a = store.MailKey(a)
		if relay != nil && relay.FromAddress != "" && relay.FromAddress == a {
			return true
		}
		_, err := r.MailAddress(ctx, a)
		return err == nil
	}
}

// ourRecipients lists the tenant's addresses the message was for: the SMTP
// recipients, or for a mailbox the To and Cc that are the tenant's.
func (b *Bridge) ourRecipients(ctx context.Context, tenant string, m *Message, rcpts []string) []string {
	r := b.svc.System()
	var out []string
	seen := map[string]bool{}
	for _, a := range append(append(append([]string{}, rcpts...), m.To...), m.Cc...) {
		a = store.MailKey(a)
		if seen[a] {
			continue
		}
		seen[a] = true
		if ma, err := r.MailAddress(ctx, a); err == nil && ma.TenantID == tenant {
			out = append(out, a)
		}
	}
	return out
}

// route applies the first rule that matches a recipient or a keyword.
func route(rules []domain.MailRule, rcpts []string, text string) (entityID, doctypeID string) {
	// Folding the whole text is most of the cost of routing: only for a
	// rule with keywords, once.
	folded, isFolded := "", false
	for _, r := range rules {
		match := false
		if r.Recipient != "" {
			for _, a := range rcpts {
				match = match || store.MailKey(a) == r.Recipient
			}
			if !match {
				continue
			}
		}
		if kws := strings.TrimSpace(r.Keywords); kws != "" {
			if !isFolded {
				folded, isFolded = fold(text), true
			}
			match = false
			for _, k := range strings.Split(kws, ",") {
				if k = fold(strings.TrimSpace(k)); k != "" && containsWord(folded, k) {
					match = true
					break
				}
			}
		}
		if match {
			return r.EntityID, r.DoctypeID
		}
	}
	return "", ""
}

// fold lower-cases and strips accents, so that "Voirie" matches "voirie"
// and "ecole" matches "École".
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

func containsWord(text, word string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], word)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(word)
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if (start == 0 || !isWordRune(before)) && (end == len(text) || !isWordRune(after)) {
			return true
		}
		i = start + 1
	}
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// ackInput is what an acknowledgement says: nothing the sender wrote.
type ackInput struct {
	Number, Arrival, Due, EntityID, DoctypeID string
	To, InReplyTo                             string
	ourRcpts                                  []string
	// LetterID and SenderID are empty while the letter is being
	// registered; Kind is "ack", or "incomplete" for the letter asking the
	// pieces of an incomplete request.
	LetterID, SenderID, Kind string
}

// renderAck renders the acknowledgement of a letter with the tenant's
// template for the doctype's mode, or the incomplete one (ackText).
func (b *Bridge) renderAck(ctx context.Context, tenant string, in ackInput) (outgoing, error) {
	l := &domain.Letter{ID: in.LetterID, Number: in.Number, Category: domain.Incoming, ArrivalDate: in.Arrival, DueDate: in.Due,
		EntityID: in.EntityID, DoctypeID: in.DoctypeID, SenderID: in.SenderID}
	mode, d, v, err := b.ackText(ctx, tenant, l, in.Kind, false)
	if err != nil {
		return outgoing{}, err
	}
	// Nothing the sender wrote goes back out (d.Subject and d.SenderName
	// stay empty): anyone can forge a sender, and an acknowledgement
	// quoting a subject or a display name would let them write to that
	// address in the town's name. The registration number and the date
	// identify the message.
	o, err := b.outgoing(ctx, tenant, mode, d, v, in.ourRcpts)
	if err != nil {
		return outgoing{}, err
	}
	o.To, o.InReplyTo, o.Auto = in.To, in.InReplyTo, "auto-replied"
	return o, nil
}

// ackFor renders the acknowledgement once the letter is stamped; held, it
// only reserves the acknowledgement's Message-ID until the letter is
// qualified (releaseHeld).
func (b *Bridge) ackFor(ctx context.Context, tenant string, m *Message, ourRcpts []string, held bool) func(p *appliance.LetterRegister) ([]appliance.OutboxPayload, error) {
	return func(p *appliance.LetterRegister) ([]appliance.OutboxPayload, error) {
		o, err := b.renderAck(ctx, tenant, ackInput{Number: p.Number, Arrival: p.ArrivalDate, Due: p.DueDate, EntityID: p.EntityID, DoctypeID: p.DoctypeID,
			To: m.FromAddr, InReplyTo: m.MessageID, ourRcpts: ourRcpts})
		if err != nil {
			return nil, err
		}
		if held {
			id := appliance.NewID()
			return []appliance.OutboxPayload{{ID: id, LetterID: p.ID, Kind: "ack", MessageID: newMessageID("ack", id, o.From), MailFrom: o.From,
				RcptTo: o.To, Subject: "(en attente de qualification)", Held: true}}, nil
		}
		return b.payload(o, "ack", p.ID)
	}
}

// releaseHeld renders and queues the acknowledgements held until their
// letter was qualified, with what the letter now says (service, doctype,
// due date, pieces asked), and the letters asking the pieces of an
// incomplete request.
func (b *Bridge) releaseHeld(ctx context.Context) error {
	r := b.svc.System()
	held, err := r.OutboxHeld(ctx, 50)
	if err != nil {
		return err
	}
	for _, h := range held {
		l, err := r.Letter(ctx, h.TenantID, h.LetterID)
		if err != nil {
			return err
		}
		in := ackInput{Number: l.Number, Arrival: l.ArrivalDate, Due: l.DueDate, EntityID: l.EntityID, DoctypeID: l.DoctypeID,
			To: h.RcptTo, ourRcpts: []string{h.MailFrom},
			LetterID: l.ID, SenderID: l.SenderID, Kind: h.Kind}
		if seen, err := r.MailSeenForLetter(ctx, l.ID); err == nil && len(seen) > 0 {
			in.InReplyTo = seen[0].MessageID
		}
		o, err := b.renderAck(ctx, h.TenantID, in)
		if err != nil {
			return err
		}
		o.MessageID = h.MessageID
		content, err := compose(o)
		if err != nil {
			return err
		}
		if err := b.svc.ReleaseMailAck(ctx, h.TenantID, appliance.MailAckRelease{ID: h.ID, Subject: o.Subject, Content: content}); err != nil && !errors.Is(err, appliance.ErrConflict) {
			return err
		}
		b.log.Info("held message worded and queued", "tenant", h.TenantID, "letter", l.Number, "kind", h.Kind, "to", h.RcptTo)
	}
	return nil
}

// noticeFor tells the letter's assignee (or its entity) that the sender
// answered.
func (b *Bridge) noticeFor(ctx context.Context, tenant string, m *Message, l *domain.Letter) func(*appliance.LetterRegister) ([]appliance.OutboxPayload, error) {
	return func(*appliance.LetterRegister) ([]appliance.OutboxPayload, error) {
		r := b.svc.System()
		to := ""
		if l.AssigneeID != "" {
			if u, err := r.User(ctx, tenant, l.AssigneeID); err == nil {
				to = u.Email
			}
		}
		if to == "" && l.EntityID != "" {
			if e, err := r.Entity(ctx, tenant, l.EntityID); err == nil {
				to = e.Email
			}
		}
		if to == "" {
			return nil, nil
		}
		t, err := r.Tenant(ctx, tenant)
		if err != nil {
			return nil, err
		}
		d := AckData{Commune: t.Name, Number: l.Number, Subject: m.Subject, SenderName: m.FromName, Mode: "notice"}
		o, err := b.outgoing(ctx, tenant, "notice", d, nil, nil)
		if err != nil {
			return nil, err
		}
		o.To, o.Auto = to, "auto-generated"
		return b.payload(o, "notice", l.ID)
	}
}

// outgoing renders a template of the tenant (or the default) and fills the
// sender from the relay settings.
func (b *Bridge) outgoing(ctx context.Context, tenant, mode string, d AckData, v drafts.Values, ourRcpts []string) (outgoing, error) {
	r := b.svc.System()
	subject, body := defaultTemplates[mode][0], defaultTemplates[mode][1]
	if subject == "" {
		subject, body = defaultTemplates["normal"][0], defaultTemplates["normal"][1]
	}
	if t, err := r.MailTemplate(ctx, tenant, mode); err == nil {
		subject, body = t.Subject, t.Body
	}
	s, bd, err := render(subject, body, d, v)
	if err != nil {
		return outgoing{}, fmt.Errorf("render %s template: %w", mode, err)
	}
	o := outgoing{Subject: s, Body: bd, FromName: d.Commune, Date: b.now()}
	if relay, err := r.MailRelay(ctx, tenant); err == nil {
		o.From = relay.FromAddress
		if relay.FromName != "" {
			o.FromName = relay.FromName
		}
	}
	if o.From == "" && len(ourRcpts) > 0 {
		o.From = ourRcpts[0]
	}
	if o.From == "" {
		if as, err := r.MailAddresses(ctx, tenant); err == nil && len(as) > 0 {
			o.From = as[0].Address
		}
	}
	if o.From == "" {
		return outgoing{}, errors.New("no sender address: configure a mail address or the relay's from address")
	}
	return o, nil
}

func (b *Bridge) payload(o outgoing, kind, letterID string) ([]appliance.OutboxPayload, error) {
	id := appliance.NewID()
	o.MessageID = newMessageID(kind, id, o.From)
	content, err := compose(o)
	if err != nil {
		return nil, err
	}
	return []appliance.OutboxPayload{{ID: id, LetterID: letterID, Kind: kind, MessageID: o.MessageID, MailFrom: o.From, RcptTo: o.To, Subject: o.Subject, Content: content}}, nil
}
