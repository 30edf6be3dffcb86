package appliance

import (
	"encoding/json"
	"errors"
	"fmt"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// registerMail registers the apply function of each kind below with r.
func registerMail(r *kernel.Registry) {
	kernel.Handle(r, KindMailAddressAdd, applyMailAddressAdd)
	kernel.Handle(r, KindMailRelaySet, applyMailRelaySet)
	kernel.Handle(r, KindMailboxAdd, applyMailboxAdd)
	kernel.Handle(r, KindMailRuleAdd, applyMailRuleAdd)
	kernel.Handle(r, KindMailTemplateSet, applyMailTemplateSet)
	kernel.Handle(r, KindMailIntake, applyMailIntake)
	kernel.Handle(r, KindMailOutboxDone, applyMailOutboxResult)
	kernel.Handle(r, KindMailNotice, applyMailNotice)
	kernel.Handle(r, KindMailAnswer, applyMailAnswer)
	kernel.Handle(r, KindMailAckPolicySet, applyMailAckPolicySet)
	kernel.Handle(r, KindMailAckRelease, applyMailAckRelease)
}

// MailSeenError means the message was taken in before: LetterID is what it
// became ("" when it became no letter).
type MailSeenError struct{ LetterID string }

func (e *MailSeenError) Error() string        { return "message déjà reçu" }
func (e *MailSeenError) Is(target error) bool { return target == ErrConflict }

// Outbox statuses.
const (
	OutboxQueued  = "queued"
	OutboxSent    = "sent"
	OutboxFailed  = "failed"
	OutboxBounced = "bounced"
	OutboxHeld    = "held"
)

func applyMailAddressAdd(a *kernel.Ctx, p *MailAddressAdd) (any, error) {
	m := &store.MailAddress{Address: store.MailKey(p.Address), TenantID: a.Cmd.Tenant, EntityID: p.EntityID, DoctypeID: p.DoctypeID, CreatedAt: a.At}
	if err := kernel.Conflict(a.Tx.InsertMailAddress(m), "l'adresse "+m.Address+" est déjà utilisée"); err != nil {
		return nil, err
	}
	a.Summary = "Adresse de réception « " + m.Address + " » ajoutée"
	return m, nil
}

func applyMailRelaySet(a *kernel.Ctx, p *MailRelaySet) (any, error) {
	m := &store.MailRelay{TenantID: a.Cmd.Tenant, Host: p.Host, Port: p.Port, Security: p.Security, Username: p.Username, Secret: p.Secret,
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
	m := &store.Mailbox{ID: p.ID, TenantID: a.Cmd.Tenant, Host: p.Host, Port: p.Port, Security: p.Security, Auth: p.Auth, Username: p.Username,
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
	m := &store.MailRule{ID: p.ID, TenantID: a.Cmd.Tenant, Position: p.Position, Recipient: p.Recipient, Keywords: p.Keywords,
		EntityID: p.EntityID, DoctypeID: p.DoctypeID, CreatedAt: a.At}
	if err := a.Tx.InsertMailRule(m); err != nil {
		return nil, err
	}
	a.Summary = "Règle de routage du courrier électronique ajoutée"
	return m, nil
}

func applyMailTemplateSet(a *kernel.Ctx, p *MailTemplateSet) (any, error) {
	m := &store.MailTemplate{TenantID: a.Cmd.Tenant, Mode: p.Mode, Subject: p.Subject, Body: p.Body, UpdatedAt: a.At}
	if err := a.Tx.SetMailTemplate(m); err != nil {
		return nil, err
	}
	a.Summary = "Modèle de message « " + p.Mode + " » modifié"
	return m, nil
}

func applyMailIntake(a *kernel.Ctx, p *MailIntake) (any, error) {
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
		v, err := applyLetterRegister(&sub, p.Letter)
		if err != nil {
			return nil, err
		}
		l = v.(*domain.Letter)
		a.LetterID = l.ID
		a.Summary = sub.Summary + " (reçu par e-mail de " + p.FromAddress + ")"
		a.Payload = intakeHistory(p)
	case p.LetterID != "":
		if l, err = joinMailToLetter(a, p); err != nil {
			return nil, err
		}
	default:
		a.Summary = "Message de " + p.FromAddress + " reçu sans créer de courrier (" + p.Kind + ")"
	}
	if p.BounceOf != "" {
		o, err := a.Tx.OutboxByMessageID(a.Ctx, a.Cmd.Tenant, p.BounceOf)
		switch {
		case err == nil:
			o.Status, o.LastError = OutboxBounced, p.Reason
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
	seen := &store.MailSeen{TenantID: a.Cmd.Tenant, Key: p.Key, MessageID: p.MessageID, LetterID: letterID, Kind: p.Kind, Source: p.Source,
		FromAddress: p.FromAddress, Subject: p.Subject, NoAck: p.NoAck, ReceivedAt: a.At}
	if err := a.Tx.InsertMailSeen(seen); err != nil {
		return nil, fmt.Errorf("record message %s: %w", p.Key, err)
	}
	for _, o := range p.Outbox {
		if o.LetterID == "" {
			o.LetterID = letterID
		}
		if err := insertOutbox(a, o); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// joinMailToLetter adds a reply or bounce to the letter it threads to:
// its documents, its text as a note, and the letter indexed again so a
// search finds the reply's words.
func joinMailToLetter(a *kernel.Ctx, p *MailIntake) (*domain.Letter, error) {
	l, err := kernel.LetterForUpdate(a, p.LetterID)
	if err != nil {
		return nil, err
	}
	for i := range p.Documents {
		d := p.Documents[i]
		d.LetterID = l.ID
		if _, err := attach(a, &d); err != nil {
			return nil, err
		}
	}
	if err := addNote(a, l.ID, p.NoteID, p.Note, nil); err != nil {
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

// insertOutbox queues a message, or holds it until it is worded.
func insertOutbox(a *kernel.Ctx, o OutboxPayload) error {
	e := &store.OutboxEntry{ID: o.ID, TenantID: a.Cmd.Tenant, LetterID: o.LetterID, Kind: o.Kind, MessageID: o.MessageID, MailFrom: o.MailFrom,
		RcptTo: o.RcptTo, Subject: o.Subject, Content: o.Content, Status: OutboxQueued, NextTry: a.At, CreatedAt: a.At}
	if o.Held {
		e.Status, e.NextTry = OutboxHeld, ""
	}
	if err := a.Tx.InsertOutbox(e); err != nil {
		return fmt.Errorf("queue %s to %s: %w", o.Kind, o.RcptTo, err)
	}
	return nil
}

func applyMailOutboxResult(a *kernel.Ctx, p *MailOutboxResult) (any, error) {
	o, err := a.Tx.OutboxEntry(a.Ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if o.Status != OutboxQueued {
		return nil, fmt.Errorf("%w: message %s déjà %s", ErrConflict, o.MessageID, o.Status)
	}
	o.Attempts, o.LastError = p.Attempts, p.Error
	what := map[string]string{"ack": "Accusé de réception", "answer": "Réponse", "notice": "Notification", "incomplete": "Demande de pièces"}[o.Kind]
	if what == "" {
		what = "Message"
	}
	switch p.Status {
	case OutboxSent:
		o.Status, o.SentAt, o.NextTry = OutboxSent, a.At, ""
		a.Summary = what + " envoyé à " + o.RcptTo
	case OutboxFailed:
		o.Status, o.NextTry = OutboxFailed, ""
		a.Summary = what + " à " + o.RcptTo + " non envoyé : " + p.Error
	case OutboxQueued:
		o.NextTry = p.NextTry
		a.Summary = fmt.Sprintf("%s à %s : tentative %d échouée, nouvel essai prévu (%s)", what, o.RcptTo, p.Attempts, p.Error)
	default:
		return nil, fmt.Errorf("%w: statut d'envoi %q inconnu", ErrInvalid, p.Status)
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
			err = fmt.Errorf("%w: avis déjà enregistré", ErrConflict)
		}
		return nil, err
	}
	n := &store.MailNotice{ID: p.ID, TenantID: a.Cmd.Tenant, Key: p.Key, Text: p.Text, CreatedAt: a.At}
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
	e := &store.OutboxEntry{ID: o.ID, TenantID: a.Cmd.Tenant, LetterID: l.ID, Kind: o.Kind, MessageID: o.MessageID, MailFrom: o.MailFrom,
		RcptTo: o.RcptTo, Subject: o.Subject, Content: o.Content, Status: OutboxQueued, NextTry: a.At, CreatedAt: a.At}
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
	if o.Status != OutboxHeld {
		return nil, fmt.Errorf("%w: accusé de réception %s déjà %s", ErrConflict, o.MessageID, o.Status)
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
