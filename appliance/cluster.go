package appliance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// What the cluster package asks of the appliance: its membership record
// (join tokens, members), kept in the store through commands so that
// every node, and whichever leads, knows it; and the admission of the
// commands a follower forwards to the leader (Admit).

// CreateJoinToken records the hash of a join token that admits one node,
// a voter or not, until expires.
func (s *Service) CreateJoinToken(ctx context.Context, hash string, voter bool, expires time.Time) error {
	_, err := s.propose(ctx, KindClusterToken, ClusterTenant, SystemActor,
		ClusterToken{Hash: hash, Voter: voter, ExpiresAt: expires.UTC().Format(domain.TimeLayout)})
	return err
}

// UseJoinToken uses a join token for a node, once cluster-wide, and
// returns the member it made. A token unknown, used or expired is
// ErrForbidden.
func (s *Service) UseJoinToken(ctx context.Context, hash, nodeID, address string) (*store.ClusterMember, error) {
	// Checked here first, so that anyone who can reach the join service
	// cannot fill the log with refused commands; Apply checks again.
	tok, err := s.reader().JoinToken(ctx, hash)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("%w: jeton d'adhésion inconnu", ErrForbidden)
	case err != nil:
		return nil, err
	case tok.UsedBy != "":
		return nil, fmt.Errorf("%w: jeton d'adhésion déjà utilisé (par le nœud %s)", ErrForbidden, tok.UsedBy)
	case s.Now().UTC().Format(domain.TimeLayout) >= tok.ExpiresAt:
		return nil, fmt.Errorf("%w: jeton d'adhésion expiré depuis le %s: créez-en un autre (missive cluster token)", ErrForbidden, tok.ExpiresAt)
	}
	v, err := s.propose(ctx, KindClusterJoin, ClusterTenant, SystemActor, ClusterJoin{Hash: hash, NodeID: nodeID, Address: address})
	if err != nil {
		return nil, err
	}
	return v.(*store.ClusterMember), nil
}

// SetClusterMember records a member's suffrage, or its removal.
func (s *Service) SetClusterMember(ctx context.Context, m ClusterMember) error {
	_, err := s.propose(ctx, KindClusterMember, ClusterTenant, SystemActor, m)
	return err
}

// ClusterMember reads a member from the local store.
func (s *Service) ClusterMember(ctx context.Context, nodeID string) (*store.ClusterMember, error) {
	return s.reader().ClusterMember(ctx, nodeID)
}

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

// BlobRefs calls fn for every document the store references (the
// cluster's background pass and check).
func (s *Service) BlobRefs(ctx context.Context, fn func(sum string) error) error {
	return s.store.BlobRefs(ctx, fn)
}
