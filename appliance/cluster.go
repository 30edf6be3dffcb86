package appliance

import (
	"context"
	"errors"
	"fmt"

	"missive/appliance/domain"
	"missive/appliance/kernel"
)

// The admission of the commands a follower forwards to the leader (Admit):
// it checks registration numbers, so it stays with the letters' numbering.
// The membership record (join tokens, members) is appliance/sites.

// NumberTakenError is the leader's refusal of a registration a follower
// stamped with a number that is not the next one: Next is the number to
// stamp instead. It matches kernel.ErrNumberTaken, so the follower's service
// stamps again.
type NumberTakenError struct {
	Number string
	Next   int
}

func (e *NumberTakenError) Error() string {
	return fmt.Sprintf("%v: %s (suivant: %d)", kernel.ErrNumberTaken, e.Number, e.Next)
}

func (e *NumberTakenError) Is(target error) bool { return target == kernel.ErrNumberTaken }

// Admit runs on the leader for each command a follower forwards. It puts
// the command in the log with queue, after checking, under the numbering
// lock, that a registration carries the next number of its sequence
// (counting those queued and not yet applied here): two sites
// registering at once never get the same number, and numbers stay
// gap-free. Anything else is queued as it is; Apply checks the rest.
func (s *Service) Admit(ctx context.Context, data []byte, queue func() (wait func() (any, error))) (func() (any, error), error) {
	cmd, err := DecodeCommand(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	p, err := registration(cmd)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return queue(), nil
	}
	key := numKey{cmd.Tenant, domain.Category(p.Category), p.Year}
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	next, sq, err := s.reg.next(ctx, s.reader(), key)
	if err != nil {
		return nil, err
	}
	if p.Num != next {
		return nil, &NumberTakenError{Number: p.Number, Next: next}
	}
	wait := queue()
	sq.last = p.Num
	epoch := sq.epoch
	return func() (any, error) {
		resp, err := wait()
		if _, rerr := kernel.ApplyResult(ctx, cmd.Kind, resp, err); rerr != nil && !errors.Is(rerr, ErrPending) {
			s.reg.failed(sq, epoch, 0)
		}
		return resp, err
	}, nil
}

// registration is the registration a command carries, or nil.
func registration(cmd *Command) (*LetterRegister, error) {
	var p *LetterRegister
	var err error
	switch cmd.Kind {
	case KindLetterRegister:
		p, err = decodePayload[LetterRegister](cmd)
	case KindLetterRegisterForm:
		var f *LetterRegisterForm
		if f, err = decodePayload[LetterRegisterForm](cmd); err == nil {
			p = &f.Letter
		}
	case KindMailIntake:
		var m *MailIntake
		if m, err = decodePayload[MailIntake](cmd); err == nil {
			p = m.Letter
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return p, nil
}

func decodePayload[T any](cmd *Command) (*T, error) {
	return kernel.Decode[T](&kernel.Ctx{Cmd: cmd})
}
