package mail

import (
	"context"
	"encoding/json"
	"strings"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// MailMessage is one e-mail about a letter: the message that made it, a
// reply or bounce that joined it, or an acknowledgement, answer or notice
// sent about it.
type MailMessage struct {
	Direction string `json:"direction" doc:"in (reçu) ou out (envoyé)"`
	Kind      string `json:"kind" doc:"letter, reply, bounce (reçus); ack, answer, notice (envoyés)"`
	MessageID string `json:"message_id,omitempty"`
	From      string `json:"from,omitempty"`
	To        string `json:"to,omitempty"`
	Subject   string `json:"subject,omitempty"`
	Status    string `json:"status,omitempty" doc:"Envoyés: queued, sent, failed ou bounced"`
	Attempts  int    `json:"attempts,omitempty"`
	NextTry   string `json:"next_try,omitempty"`
	LastError string `json:"last_error,omitempty"`
	NoAck     string `json:"no_ack,omitempty" doc:"Reçus: pourquoi aucun accusé de réception n'a été envoyé"`
	At        string `json:"at"`
	SentAt    string `json:"sent_at,omitempty"`
}

// LetterMessages lists the e-mails of a letter the actor sees, in order.
func (f *Mail) LetterMessages(ctx context.Context, a *kernel.Actor, letterID string) ([]MailMessage, error) {
	r := f.k.Reader()
	l, err := r.Letter(ctx, a.Perimeter, letterID)
	if err != nil {
		return nil, err
	}
	in, err := r.MailSeenForLetter(ctx, l.ID)
	if err != nil {
		return nil, err
	}
	out, err := r.OutboxForLetter(ctx, l.ID)
	if err != nil {
		return nil, err
	}
	msgs := make([]MailMessage, 0, len(in)+len(out))
	for _, m := range in {
		msgs = append(msgs, MailMessage{Direction: "in", Kind: m.Kind, MessageID: m.MessageID, From: m.FromAddress, Subject: m.Subject, NoAck: m.NoAck, At: m.ReceivedAt})
	}
	for _, o := range out {
		msgs = append(msgs, MailMessage{Direction: "out", Kind: o.Kind, MessageID: o.MessageID, From: o.MailFrom, To: o.RcptTo, Subject: o.Subject,
			Status: o.Status, Attempts: o.Attempts, NextTry: o.NextTry, LastError: o.LastError, At: o.CreatedAt, SentAt: o.SentAt})
	}
	// Stable by time: received and sent messages interleave as they happened.
	for i := 1; i < len(msgs); i++ {
		for j := i; j > 0 && msgs[j].At < msgs[j-1].At; j-- {
			msgs[j], msgs[j-1] = msgs[j-1], msgs[j]
		}
	}
	return msgs, nil
}

// MailAnswerInput is an agent's answer by e-mail to a letter.
type MailAnswerInput struct {
	Text        string   `json:"text"`
	DocumentIDs []string `json:"document_ids,omitempty" doc:"Documents du courrier joints à la réponse (dernière version)"`
	To          string   `json:"to,omitempty" doc:"Destinataire; l'adresse de l'expéditeur du courrier par défaut"`
	Subject     string   `json:"subject,omitempty"`
}

// AnswerByMail queues an answer to the letter's sender through the
// tenant's relay. It threads like an acknowledgement: a reply to it joins
// the letter.
func (f *Mail) AnswerByMail(ctx context.Context, a *kernel.Actor, letterID string, in MailAnswerInput) (*store.OutboxEntry, error) {
	l, err := f.k.LetterToAct(ctx, a, letterID)
	if err != nil {
		return nil, err
	}
	r, t := f.k.Reader(), a.TenantID()
	errs := kernel.FieldErrors{}
	in.Text = strings.TrimSpace(in.Text)
	kernel.CheckLen(errs, "text", in.Text, 100000, true)
	if in.To == "" && l.SenderID != "" {
		if c, err := r.Contact(ctx, t, l.SenderID); err == nil {
			in.To = c.Email
		}
	}
	in.To = store.MailKey(in.To)
	if in.To == "" {
		errs["to"] = "l'expéditeur n'a pas d'adresse e-mail: indiquez un destinataire"
	}
	kernel.CheckEmail(errs, "to", in.To)
	if in.Subject == "" {
		in.Subject = "Re: " + l.Subject + " (courrier n° " + l.Number + ")"
	}
	kernel.CheckLen(errs, "subject", in.Subject, 500, false)
	recipe := AnswerRecipe{To: in.To, Subject: in.Subject, Text: in.Text, FromName: a.Tenant.Name,
		Date: f.k.Now().UTC().Format(domain.TimeLayout), Attachments: []AnswerAttachment{}}
	for _, id := range in.DocumentIDs {
		d, err := r.Document(ctx, t, id)
		if err != nil || d.LetterID != l.ID {
			errs["document_ids"] = "document inconnu ou d'un autre courrier"
			continue
		}
		v := d.Versions[len(d.Versions)-1]
		recipe.Attachments = append(recipe.Attachments, AnswerAttachment{Name: d.Name, SHA256: v.SHA256, MIME: v.MIME})
	}
	recipe.From, recipe.FromName = f.MailSender(ctx, a.Tenant)
	if recipe.From == "" {
		errs["to"] = "aucune adresse d'expédition: configurez une adresse de réception ou le relais"
	}
	if seen, err := r.MailSeenForLetter(ctx, l.ID); err == nil {
		for _, m := range seen {
			if m.MessageID != "" {
				recipe.InReplyTo = m.MessageID // the latest message of the thread
			}
		}
	}
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	content, err := json.Marshal(recipe)
	if err != nil {
		return nil, err
	}
	id := kernel.NewID()
	_, domainPart, _ := strings.Cut(recipe.From, "@")
	p := MailAnswer{Outbox: kernel.OutboxPayload{ID: id, LetterID: l.ID, Kind: "answer", MessageID: "answer." + id + "@" + domainPart,
		MailFrom: recipe.From, RcptTo: in.To, Subject: in.Subject, Content: string(content)}}
	v, err := f.k.Propose(ctx, KindMailAnswer, t, a.ID(), p)
	if err != nil {
		return nil, err
	}
	return v.(*store.OutboxEntry), nil
}

// MailSender is the address and name the tenant's mail goes out from: the
// relay's, else its first receiving address and its name; "" when it has
// neither.
func (f *Mail) MailSender(ctx context.Context, t *domain.Tenant) (addr, name string) {
	r := f.k.Reader()
	name = t.Name
	if relay, err := r.MailRelay(ctx, t.ID); err == nil {
		addr = relay.FromAddress
		if relay.FromName != "" {
			name = relay.FromName
		}
	}
	if addr == "" {
		if as, err := r.MailAddresses(ctx, t.ID); err == nil && len(as) > 0 {
			addr = as[0].Address
		}
	}
	return addr, name
}
