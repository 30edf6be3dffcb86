package mail

import (
	"encoding/json"
	"errors"
	"fmt"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// ApplyHooks are the letters' apply code the mail intake runs in its own
// transaction: a message registers a letter, or joins one with its
// documents and its text as a note. The letters live in another package
// (the facade's root today), which this one does not import; L and D are
// their registration and attachment payloads.
type ApplyHooks[L, D any] struct {
	// RegisterLetter applies a registration (the letters' own apply of
	// letter.register), with a.Cmd.Payload set to p.
	RegisterLetter func(a *kernel.Ctx, p *L) (any, error)
	// Attach adds a document (or a version) to the letter letterID.
	Attach func(a *kernel.Ctx, letterID string, d D) error
	// AddNote adds a note to a letter.
	AddNote func(a *kernel.Ctx, letterID, noteID, text string, entities []string) error
}

// Register registers the apply function of each mail kind; the intake
// calls the letters through h.
func Register[L, D any](h ApplyHooks[L, D]) func(*kernel.Registry) {
	return func(r *kernel.Registry) {
		kernel.Handle(r, KindMailAddressAdd, applyMailAddressAdd)
		kernel.Handle(r, KindMailRelaySet, applyMailRelaySet)
		kernel.Handle(r, KindMailboxAdd, applyMailboxAdd)
		kernel.Handle(r, KindMailRuleAdd, applyMailRuleAdd)
		kernel.Handle(r, KindMailTemplateSet, applyMailTemplateSet)
		kernel.Handle(r, KindMailIntake, h.applyMailIntake)
		kernel.Handle(r, KindMailOutboxDone, applyMailOutboxResult)
		kernel.Handle(r, KindMailNotice, applyMailNotice)
		kernel.Handle(r, KindMailAnswer, applyMailAnswer)
		kernel.Handle(r, KindMailAckPolicySet, applyMailAckPolicySet)
		kernel.Handle(r, KindMailAckRelease, applyMailAckRelease)
		registerMailAdmin(r)
	}
}

// MailSeenError means the message was taken in before: LetterID is what it
// became ("" when it became no letter).
type MailSeenError struct{ LetterID string }

func (e *MailSeenError) Error() string        { return "message déjà reçu" }
func (e *MailSeenError) Is(target error) bool { return target == kernel.ErrConflict }

func applyMailAddressAdd(a *kernel.Ctx, p *MailAddressAdd) (any, error) {
	m := &domain.MailAddress{Address: store.MailKey(p.Address), TenantID: a.Cmd.Tenant, EntityID: p.EntityID, DoctypeID: p.DoctypeID, CreatedAt: a.At}
	if err := kernel.Conflict(a.Tx.InsertMailAddress(m), "l'adresse "+m.Address+" est déjà utilisée"); err != nil {
		return nil, err
	}
	a.Summary = "Adresse de réception « " + m.Address + " » ajoutée"
	return m, nil
}

func applyMailRelaySet(a *kernel.Ctx, p *MailRelaySet) (any, error) {
	m := &domain.MailRelay{TenantID: a.Cmd.Tenant, Host: p.Host, Port: p.Port, Security: p.Security, Username: p.Username, Secret: p.Secret,
		FromAddress: p.FromAddress, FromName: p.FromName, UpdatedAt: a.At}
	if err := a.Tx.SetMailRelay(m); err != nil {
		return nil, err
	}
	if p.Secret != "" {
		p.Secret = "***"
	}
	a.Payload = kernel.Redact(p)
	a.Summary = fmt.Sprintf("Relais SMTP sortant : %s:%d", p.Host, p.Port)
	return m, nil
}

func applyMailboxAdd(a *kernel.Ctx, p *MailboxAdd) (any, error) {
	m := &domain.Mailbox{ID: p.ID, TenantID: a.Cmd.Tenant, Host: p.Host, Port: p.Port, Security: p.Security, Auth: p.Auth, Username: p.Username,
		Secret: p.Secret, Folder: p.Folder, DoneFolder: p.DoneFolder, CreatedAt: a.At, UpdatedAt: a.At}
	if err := kernel.Conflict(a.Tx.InsertMailbox(m), "cette boîte aux lettres est déjà relevée"); err != nil {
		return nil, err
	}
	if p.Secret != "" {
		p.Secret = "***"
	}
	a.Payload = kernel.Redact(p)
	a.Summary = fmt.Sprintf("Boîte aux lettres %s@%s:%d (%s) ajoutée", p.Username, p.Host, p.Port, p.Folder)
	return m, nil
}

func applyMailRuleAdd(a *kernel.Ctx, p *MailRuleAdd) (any, error) {
	m := &domain.MailRule{ID: p.ID, TenantID: a.Cmd.Tenant, Position: p.Position, Recipient: p.Recipient, Keywords: p.Keywords,
		EntityID: p.EntityID, DoctypeID: p.DoctypeID, CreatedAt: a.At}
	if err := a.Tx.InsertMailRule(m); err != nil {
		return nil, err
	}
	a.Summary = "Règle de routage du courrier électronique ajoutée"
	return m, nil
}

func applyMailTemplateSet(a *kernel.Ctx, p *MailTemplateSet) (any, error) {
	m := &domain.MailTemplate{TenantID: a.Cmd.Tenant, Mode: p.Mode, Subject: p.Subject, Body: p.Body, UpdatedAt: a.At}
	if err := a.Tx.SetMailTemplate(m); err != nil {
		return nil, err
	}
	a.Summary = "Modèle de message « " + p.Mode + " » modifié"
	return m, nil
}

// intakeEntry is a message taken in as a new letter as its history entry
// records it: the letter as its registration recorded it, which holds the
// body's SHA-256 and length instead of the body (the letters table has it).
type intakeEntry[L, D any] struct {
	*MailIntake[L, D]
	Letter json.RawMessage `json:"letter"`
}

func (h ApplyHooks[L, D]) applyMailIntake(a *kernel.Ctx, p *MailIntake[L, D]) (any, error) {
	// Checked here, in the log's order, and not only before proposing: two
	// copies of a message (SMTP and IMAP, or a retry after a crash) may be
	// proposed at once, and only the first one applied may count.
	if seen, err := a.Tx.MailSeen(a.Ctx, a.Cmd.Tenant, p.Key); err == nil {
		return nil, &MailSeenError{LetterID: seen.LetterID}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	var l *domain.Letter
	var err error
	switch {
	case p.Letter != nil:
		// The letter is applied as a registration of its own payload,
		// as when mail commands carried it that way.
		sub := *a
		cmd := *a.Cmd
		if cmd.Payload, err = json.Marshal(p.Letter); err != nil {
			return nil, err
		}
		sub.Cmd = &cmd
		v, err := h.RegisterLetter(&sub, p.Letter)
		if err != nil {
			return nil, err
		}
		l = v.(*domain.Letter)
		a.LetterID = l.ID
		a.Summary = sub.Summary + " (reçu par e-mail de " + p.FromAddress + ")"
		if a.Cmd.V >= kernel.VersionBodyDigest {
			a.Payload = kernel.Redact(intakeEntry[L, D]{p, sub.Payload})
		}
	case p.LetterID != "":
		if l, err = h.joinMailToLetter(a, p); err != nil {
			return nil, err
		}
	default:
		a.Summary = "Message de " + p.FromAddress + " reçu sans créer de courrier (" + p.Kind + ")"
	}
	if p.BounceOf != "" {
		o, err := a.Tx.OutboxByMessageID(a.Ctx, a.Cmd.Tenant, p.BounceOf)
		switch {
		case err == nil:
			o.Status, o.LastError = kernel.OutboxBounced, p.Reason
			if err := a.Tx.UpdateOutbox(o); err != nil {
				return nil, err
			}
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	letterID := ""
	if l != nil {
		letterID = l.ID
	}
	seen := &domain.MailSeen{TenantID: a.Cmd.Tenant, Key: p.Key, MessageID: p.MessageID, LetterID: letterID, Kind: p.Kind, Source: p.Source,
		FromAddress: p.FromAddress, Subject: p.Subject, NoAck: p.NoAck, ReceivedAt: a.At}
	if err := a.Tx.InsertMailSeen(seen); err != nil {
		return nil, fmt.Errorf("record message %s: %w", p.Key, err)
	}
	for _, o := range p.Outbox {
		if o.LetterID == "" {
			o.LetterID = letterID
		}
		if err := kernel.InsertOutbox(a, o); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// joinMailToLetter adds a reply or bounce to the letter it threads to:
// its documents, its text as a note, and the letter indexed again so a
// search finds the reply's words.
func (h ApplyHooks[L, D]) joinMailToLetter(a *kernel.Ctx, p *MailIntake[L, D]) (*domain.Letter, error) {
	l, err := kernel.LetterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	for _, d := range p.Documents {
		if err := h.Attach(a, l.ID, d); err != nil {
			return nil, err
		}
	}
	if err := h.AddNote(a, l.ID, p.NoteID, p.Note, nil); err != nil {
		return nil, err
	}
	if err := a.Tx.IndexLetter(l.ID); err != nil {
		return nil, err
	}
	switch p.Kind {
	case "bounce":
		a.Summary = "Avis de non-distribution reçu de " + p.FromAddress
	default:
		a.Summary = "Réponse reçue par e-mail de " + p.FromAddress + " : « " + p.Subject + " »"
	}
	return l, nil
}

func applyMailOutboxResult(a *kernel.Ctx, p *MailOutboxResult) (any, error) {
	o, err := a.Tx.OutboxEntry(a.Ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if o.Status != kernel.OutboxQueued {
		return nil, fmt.Errorf("%w: message %s déjà %s", kernel.ErrConflict, o.MessageID, o.Status)
	}
	o.Attempts, o.LastError = p.Attempts, p.Error
	what := map[string]string{"ack": "Accusé de réception", "answer": "Réponse", "notice": "Notification", "incomplete": "Demande de pièces"}[o.Kind]
	if what == "" {
		what = "Message"
	}
	switch p.Status {
	case kernel.OutboxSent:
		o.Status, o.SentAt, o.NextTry = kernel.OutboxSent, a.At, ""
		a.Summary = what + " envoyé à " + o.RcptTo
	case kernel.OutboxFailed:
		o.Status, o.NextTry = kernel.OutboxFailed, ""
		a.Summary = what + " à " + o.RcptTo + " non envoyé : " + p.Error
	case kernel.OutboxQueued:
		o.NextTry = p.NextTry
		a.Summary = fmt.Sprintf("%s à %s : tentative %d échouée, nouvel essai prévu (%s)", what, o.RcptTo, p.Attempts, p.Error)
	default:
		return nil, fmt.Errorf("%w: statut d'envoi %q inconnu", kernel.ErrInvalid, p.Status)
	}
	if err := a.Tx.UpdateOutbox(o); err != nil {
		return nil, err
	}
	a.LetterID = o.LetterID
	return o, nil
}

func applyMailNotice(a *kernel.Ctx, p *MailNoticeAdd) (any, error) {
	if ok, err := a.Tx.MailNoticeExists(a.Ctx, a.Cmd.Tenant, p.Key); err != nil || ok {
		if err == nil {
			err = fmt.Errorf("%w: avis déjà enregistré", kernel.ErrConflict)
		}
		return nil, err
	}
	n := &domain.MailNotice{ID: p.ID, TenantID: a.Cmd.Tenant, Key: p.Key, Text: p.Text, CreatedAt: a.At}
	if err := a.Tx.InsertMailNotice(n); err != nil {
		return nil, err
	}
	a.Summary = "Avis à l'administrateur : " + p.Text
	return n, nil
}

func applyMailAnswer(a *kernel.Ctx, p *MailAnswer) (any, error) {
	l, err := kernel.LetterForUpdate(a, p.Outbox.LetterID)
	if err != nil {
		return nil, err
	}
	o := p.Outbox
	e := &domain.OutboxEntry{ID: o.ID, TenantID: a.Cmd.Tenant, LetterID: l.ID, Kind: o.Kind, MessageID: o.MessageID, MailFrom: o.MailFrom,
		RcptTo: o.RcptTo, Subject: o.Subject, Content: o.Content, Status: kernel.OutboxQueued, NextTry: a.At, CreatedAt: a.At}
	if err := a.Tx.InsertOutbox(e); err != nil {
		return nil, fmt.Errorf("queue answer to %s: %w", o.RcptTo, err)
	}
	a.Summary = "Réponse par e-mail à " + o.RcptTo + " : « " + o.Subject + " »"
	return e, nil
}

func applyMailAckPolicySet(a *kernel.Ctx, p *MailAckPolicySet) (any, error) {
	what := "par défaut"
	if p.DoctypeID != "" {
		d, err := a.Tx.Doctype(a.Ctx, a.Cmd.Tenant, p.DoctypeID)
		if err != nil {
			return nil, err
		}
		what = "pour « " + d.Label + " »"
	}
	if err := a.Tx.SetMailAckPolicy(a.Cmd.Tenant, p.DoctypeID, p.Policy, a.At); err != nil {
		return nil, err
	}
	a.Summary = "Accusés de réception " + what + " : " + p.Policy
	return nil, nil
}

func applyMailAckRelease(a *kernel.Ctx, p *MailAckRelease) (any, error) {
	o, err := a.Tx.OutboxEntry(a.Ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if o.Status != kernel.OutboxHeld {
		return nil, fmt.Errorf("%w: accusé de réception %s déjà %s", kernel.ErrConflict, o.MessageID, o.Status)
	}
	if err := a.Tx.ReleaseOutbox(o.ID, p.Subject, p.Content, a.At); err != nil {
		return nil, err
	}
	a.LetterID = o.LetterID
	a.Summary = "Accusé de réception à " + o.RcptTo + " préparé après qualification"
	if o.Kind == "incomplete" {
		a.Summary = "Demande de pièces à " + o.RcptTo + " préparée"
	}
	return nil, nil
}
