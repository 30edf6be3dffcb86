package appliance

import (
	"encoding/json"
	"errors"
	"fmt"

	"missive/appliance/domain"
	"missive/appliance/store"
)

// registerMail registers the apply function of each kind below with r.
func registerMail(r *Registry) {
	Handle(r, KindMailAddressAdd, applyMailAddressAdd)
	Handle(r, KindMailRelaySet, applyMailRelaySet)
	Handle(r, KindMailboxAdd, applyMailboxAdd)
	Handle(r, KindMailRuleAdd, applyMailRuleAdd)
	Handle(r, KindMailTemplateSet, applyMailTemplateSet)
	Handle(r, KindMailIntake, applyMailIntake)
	Handle(r, KindMailOutboxDone, applyMailOutboxResult)
	Handle(r, KindMailNotice, applyMailNotice)
	Handle(r, KindMailAnswer, applyMailAnswer)
	Handle(r, KindMailAckPolicySet, applyMailAckPolicySet)
	Handle(r, KindMailAckRelease, applyMailAckRelease)
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

func applyMailAddressAdd(a *applyCtx, p *MailAddressAdd) (any, error) {
	m := &store.MailAddress{Address: store.MailKey(p.Address), TenantID: a.cmd.Tenant, EntityID: p.EntityID, DoctypeID: p.DoctypeID, CreatedAt: a.at}
	if err := conflict(a.tx.InsertMailAddress(m), "l'adresse "+m.Address+" est déjà utilisée"); err != nil {
		return nil, err
	}
	a.summary = "Adresse de réception « " + m.Address + " » ajoutée"
	return m, nil
}

func applyMailRelaySet(a *applyCtx, p *MailRelaySet) (any, error) {
	m := &store.MailRelay{TenantID: a.cmd.Tenant, Host: p.Host, Port: p.Port, Security: p.Security, Username: p.Username, Secret: p.Secret,
		FromAddress: p.FromAddress, FromName: p.FromName, UpdatedAt: a.at}
	if err := a.tx.SetMailRelay(m); err != nil {
		return nil, err
	}
	if p.Secret != "" {
		p.Secret = "***"
	}
	a.payload = redact(p)
	a.summary = fmt.Sprintf("Relais SMTP sortant : %s:%d", p.Host, p.Port)
	return m, nil
}

func applyMailboxAdd(a *applyCtx, p *MailboxAdd) (any, error) {
	m := &store.Mailbox{ID: p.ID, TenantID: a.cmd.Tenant, Host: p.Host, Port: p.Port, Security: p.Security, Auth: p.Auth, Username: p.Username,
		Secret: p.Secret, Folder: p.Folder, DoneFolder: p.DoneFolder, CreatedAt: a.at, UpdatedAt: a.at}
	if err := conflict(a.tx.InsertMailbox(m), "cette boîte aux lettres est déjà relevée"); err != nil {
		return nil, err
	}
	if p.Secret != "" {
		p.Secret = "***"
	}
	a.payload = redact(p)
	a.summary = fmt.Sprintf("Boîte aux lettres %s@%s:%d (%s) ajoutée", p.Username, p.Host, p.Port, p.Folder)
	return m, nil
}

func applyMailRuleAdd(a *applyCtx, p *MailRuleAdd) (any, error) {
	m := &store.MailRule{ID: p.ID, TenantID: a.cmd.Tenant, Position: p.Position, Recipient: p.Recipient, Keywords: p.Keywords,
		EntityID: p.EntityID, DoctypeID: p.DoctypeID, CreatedAt: a.at}
	if err := a.tx.InsertMailRule(m); err != nil {
		return nil, err
	}
	a.summary = "Règle de routage du courrier électronique ajoutée"
	return m, nil
}

func applyMailTemplateSet(a *applyCtx, p *MailTemplateSet) (any, error) {
	m := &store.MailTemplate{TenantID: a.cmd.Tenant, Mode: p.Mode, Subject: p.Subject, Body: p.Body, UpdatedAt: a.at}
	if err := a.tx.SetMailTemplate(m); err != nil {
		return nil, err
	}
	a.summary = "Modèle de message « " + p.Mode + " » modifié"
	return m, nil
}

func applyMailIntake(a *applyCtx, p *MailIntake) (any, error) {
	// Checked here, in the log's order, and not only before proposing: two
	// copies of a message (SMTP and IMAP, or a retry after a crash) may be
	// proposed at once, and only the first one applied may count.
	if seen, err := a.tx.MailSeen(a.ctx, a.cmd.Tenant, p.Key); err == nil {
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
		cmd := *a.cmd
		if cmd.Payload, err = json.Marshal(p.Letter); err != nil {
			return nil, err
		}
		sub.cmd = &cmd
		v, err := applyLetterRegister(&sub, p.Letter)
		if err != nil {
			return nil, err
		}
		l = v.(*domain.Letter)
		a.letterID = l.ID
		a.summary = sub.summary + " (reçu par e-mail de " + p.FromAddress + ")"
		a.payload = intakeHistory(p)
	case p.LetterID != "":
		if l, err = joinMailToLetter(a, p); err != nil {
			return nil, err
		}
	default:
		a.summary = "Message de " + p.FromAddress + " reçu sans créer de courrier (" + p.Kind + ")"
	}
	if p.BounceOf != "" {
		o, err := a.tx.OutboxByMessageID(a.ctx, a.cmd.Tenant, p.BounceOf)
		switch {
		case err == nil:
			o.Status, o.LastError = OutboxBounced, p.Reason
			if err := a.tx.UpdateOutbox(o); err != nil {
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
	seen := &store.MailSeen{TenantID: a.cmd.Tenant, Key: p.Key, MessageID: p.MessageID, LetterID: letterID, Kind: p.Kind, Source: p.Source,
		FromAddress: p.FromAddress, Subject: p.Subject, NoAck: p.NoAck, ReceivedAt: a.at}
	if err := a.tx.InsertMailSeen(seen); err != nil {
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
func joinMailToLetter(a *applyCtx, p *MailIntake) (*domain.Letter, error) {
	l, err := letterForUpdate(a, p.LetterID)
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
	if err := a.tx.IndexLetter(l.ID); err != nil {
		return nil, err
	}
	switch p.Kind {
	case "bounce":
		a.summary = "Avis de non-distribution reçu de " + p.FromAddress
	default:
		a.summary = "Réponse reçue par e-mail de " + p.FromAddress + " : « " + p.Subject + " »"
	}
	return l, nil
}

// insertOutbox queues a message, or holds it until it is worded.
func insertOutbox(a *applyCtx, o OutboxPayload) error {
	e := &store.OutboxEntry{ID: o.ID, TenantID: a.cmd.Tenant, LetterID: o.LetterID, Kind: o.Kind, MessageID: o.MessageID, MailFrom: o.MailFrom,
		RcptTo: o.RcptTo, Subject: o.Subject, Content: o.Content, Status: OutboxQueued, NextTry: a.at, CreatedAt: a.at}
	if o.Held {
		e.Status, e.NextTry = OutboxHeld, ""
	}
	if err := a.tx.InsertOutbox(e); err != nil {
		return fmt.Errorf("queue %s to %s: %w", o.Kind, o.RcptTo, err)
	}
	return nil
}

func applyMailOutboxResult(a *applyCtx, p *MailOutboxResult) (any, error) {
	o, err := a.tx.OutboxEntry(a.ctx, p.ID)
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
		o.Status, o.SentAt, o.NextTry = OutboxSent, a.at, ""
		a.summary = what + " envoyé à " + o.RcptTo
	case OutboxFailed:
		o.Status, o.NextTry = OutboxFailed, ""
		a.summary = what + " à " + o.RcptTo + " non envoyé : " + p.Error
	case OutboxQueued:
		o.NextTry = p.NextTry
		a.summary = fmt.Sprintf("%s à %s : tentative %d échouée, nouvel essai prévu (%s)", what, o.RcptTo, p.Attempts, p.Error)
	default:
		return nil, fmt.Errorf("%w: statut d'envoi %q inconnu", ErrInvalid, p.Status)
	}
	if err := a.tx.UpdateOutbox(o); err != nil {
		return nil, err
	}
	a.letterID = o.LetterID
	return o, nil
}

func applyMailNotice(a *applyCtx, p *MailNoticeAdd) (any, error) {
	if ok, err := a.tx.MailNoticeExists(a.ctx, a.cmd.Tenant, p.Key); err != nil || ok {
		if err == nil {
			err = fmt.Errorf("%w: avis déjà enregistré", ErrConflict)
		}
		return nil, err
	}
	n := &store.MailNotice{ID: p.ID, TenantID: a.cmd.Tenant, Key: p.Key, Text: p.Text, CreatedAt: a.at}
	if err := a.tx.InsertMailNotice(n); err != nil {
		return nil, err
	}
	a.summary = "Avis à l'administrateur : " + p.Text
	return n, nil
}

func applyMailAnswer(a *applyCtx, p *MailAnswer) (any, error) {
	l, err := letterForUpdate(a, p.Outbox.LetterID)
	if err != nil {
		return nil, err
	}
	o := p.Outbox
	e := &store.OutboxEntry{ID: o.ID, TenantID: a.cmd.Tenant, LetterID: l.ID, Kind: o.Kind, MessageID: o.MessageID, MailFrom: o.MailFrom,
		RcptTo: o.RcptTo, Subject: o.Subject, Content: o.Content, Status: OutboxQueued, NextTry: a.at, CreatedAt: a.at}
	if err := a.tx.InsertOutbox(e); err != nil {
		return nil, fmt.Errorf("queue answer to %s: %w", o.RcptTo, err)
	}
	a.summary = "Réponse par e-mail à " + o.RcptTo + " : « " + o.Subject + " »"
	return e, nil
}

func applyMailAckPolicySet(a *applyCtx, p *MailAckPolicySet) (any, error) {
	what := "par défaut"
	if p.DoctypeID != "" {
		d, err := a.tx.Doctype(a.ctx, a.cmd.Tenant, p.DoctypeID)
		if err != nil {
			return nil, err
		}
		what = "pour « " + d.Label + " »"
	}
	if err := a.tx.SetMailAckPolicy(a.cmd.Tenant, p.DoctypeID, p.Policy, a.at); err != nil {
		return nil, err
	}
	a.summary = "Accusés de réception " + what + " : " + p.Policy
	return nil, nil
}

func applyMailAckRelease(a *applyCtx, p *MailAckRelease) (any, error) {
	o, err := a.tx.OutboxEntry(a.ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if o.Status != OutboxHeld {
		return nil, fmt.Errorf("%w: accusé de réception %s déjà %s", ErrConflict, o.MessageID, o.Status)
	}
	if err := a.tx.ReleaseOutbox(o.ID, p.Subject, p.Content, a.at); err != nil {
		return nil, err
	}
	a.letterID = o.LetterID
	a.summary = "Accusé de réception à " + o.RcptTo + " préparé après qualification"
	if o.Kind == "incomplete" {
		a.summary = "Demande de pièces à " + o.RcptTo + " préparée"
	}
	return nil, nil
}
