package kernel

import (
	"fmt"

	"missive/appliance/store"
)

// The outbox is the queue of outgoing mail that the mail bridge sends.
// Several features append to it inside their Apply (the mail intake's
// acknowledgements and an agent's answer, a letter's request for missing
// pieces, a backup's alert), so the message's payload, its statuses and
// its insert are the kernel's: no feature imports another to queue a
// message, and the queued row is built one way.

// Outbox statuses.
const (
	OutboxQueued  = "queued"
	OutboxSent    = "sent"
	OutboxFailed  = "failed"
	OutboxBounced = "bounced"
	OutboxHeld    = "held"
)

// InsertOutbox queues a message, or holds it until it is worded.
func InsertOutbox(a *Ctx, o OutboxPayload) error {
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

// OutboxPayload is a message queued for sending, rendered before proposing
// so that every node stores the same bytes under the same Message-ID.
type OutboxPayload struct {
	ID        string `json:"id"`
	LetterID  string `json:"letter_id"`
	Kind      string `json:"kind"`
	MessageID string `json:"message_id"`
	MailFrom  string `json:"mail_from"`
	RcptTo    string `json:"rcpt_to"`
	Subject   string `json:"subject"`
	Content   string `json:"content"`
	// Held: an acknowledgement waiting for its letter to be qualified; its
	// Message-ID is fixed now, its text when it is released.
	Held bool `json:"held,omitempty"`
}
