package appliance

import (
	"context"
	"errors"
	"fmt"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// The intake of one message, where mail meets the letters: its input
// carries a registration (RegisterInput, LetterRegister) and its uploads,
// and it drives the letters' numbering (RegisterInput.wrap) and blob
// storage, so it stays with the letters until they have a package of
// their own; the command it proposes (mail.intake) and its apply are the
// mail package's.

// MailIntakeInput is one message taken in by the bridge for a tenant.
type MailIntakeInput struct {
	Key, MessageID, Kind, Source string
	FromAddress, Subject, NoAck  string
	// Register makes a new letter; LetterID joins an existing one.
	Register *RegisterInput
	LetterID string
	Note     string
	BounceOf string
	Reason   string
	// Outbox renders the messages to queue once the letter is stamped (p is
	// nil when joining a letter). It may be called more than once if the
	// registration number has to be stamped again.
	Outbox func(p *LetterRegister) ([]OutboxPayload, error)
}

// MailIntakeResult says what a message became.
type MailIntakeResult struct {
	Letter *domain.Letter
	// Duplicate: the message had been taken in before (LetterID is what it
	// became then).
	Duplicate bool
	LetterID  string
}

// IntakeMail takes one message in, exactly once per tenant and key: the
// key is recorded in the same command as the letter, and Apply refuses a
// key already recorded.
func (s *Service) IntakeMail(ctx context.Context, a *Actor, in MailIntakeInput, uploads ...Upload) (*MailIntakeResult, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	if in.Key == "" || in.Kind == "" {
		return nil, fmt.Errorf("%w: clé et nature du message obligatoires", ErrInvalid)
	}
	if seen, err := s.reader().MailSeen(ctx, a.TenantID(), in.Key); err == nil {
		return &MailIntakeResult{Duplicate: true, LetterID: seen.LetterID}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	base := MailIntake{Key: in.Key, MessageID: in.MessageID, Kind: in.Kind, Source: in.Source, FromAddress: in.FromAddress,
		Subject: in.Subject, NoAck: in.NoAck, BounceOf: in.BounceOf, Reason: in.Reason, Note: in.Note}
	if in.Note != "" {
		base.NoteID = NewID()
	}
	seen := func(err error) (*MailIntakeResult, error) {
		var se *MailSeenError
		if errors.As(err, &se) {
			return &MailIntakeResult{Duplicate: true, LetterID: se.LetterID}, nil
		}
		return nil, err
	}
	if in.Register != nil {
		reg := *in.Register
		reg.Channel = domain.ChannelEmail
		reg.wrap = func(p *LetterRegister) (Kind, any, error) {
			m := base
			m.Letter = p
			if in.Outbox != nil {
				var err error
				if m.Outbox, err = in.Outbox(p); err != nil {
					return "", nil, err
				}
			}
			return KindMailIntake, m, nil
		}
		l, err := s.RegisterLetter(ctx, a, reg, uploads...)
		if err != nil {
			return seen(err)
		}
		return &MailIntakeResult{Letter: l, LetterID: l.ID}, nil
	}
	if in.LetterID != "" {
		for _, u := range uploads {
			d, err := s.storeUpload(u, in.LetterID)
			if err != nil {
				return nil, err
			}
			base.Documents = append(base.Documents, *d)
		}
		base.LetterID = in.LetterID
	}
	if in.Outbox != nil {
		var err error
		if base.Outbox, err = in.Outbox(nil); err != nil {
			return nil, err
		}
	}
	v, err := s.propose(ctx, KindMailIntake, a.TenantID(), a.ID(), base)
	if err != nil {
		return seen(err)
	}
	res := &MailIntakeResult{LetterID: in.LetterID}
	if l, ok := v.(*domain.Letter); ok && l != nil {
		res.Letter = l
	}
	return res, nil
}
