package appliance

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

var formKeyRe = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// RegisterLetterOnce registers a letter from a form that carries a random
// key: the same key submitted again (a double click, a reload, a retry after
// a timeout) returns the letter the first submission made, with dup set,
// instead of registering another one. The key is an idempotency key like
// the API's (idempotency.go), without a fingerprint: a form corrected and
// sent again is still the one letter.
func (s *Service) RegisterLetterOnce(ctx context.Context, a *Actor, key string, in RegisterInput, uploads ...Upload) (l *domain.Letter, dup bool, err error) {
	if !formKeyRe.MatchString(key) {
		return nil, false, FieldErrors{"form_key": "formulaire expiré: rechargez la page"}
	}
	if rec, err := s.IdemRecord(ctx, a, key); err == nil {
		l, err := s.submitted(ctx, a, rec)
		return l, true, err
	} else if !kernel.IsNotFound(err) {
		return nil, false, err
	}
	ctx, _ = WithIdempotency(ctx, key, nil)
	l, err = s.RegisterLetter(ctx, a, in, uploads...)
	var de *DuplicateError
	if errors.As(err, &de) {
		l, err := s.submitted(ctx, a, de.Record)
		return l, true, err
	}
	return l, false, err
}

// submitted reads the letter a form made. Its author may read it back even
// when they routed it outside their own perimeter (a confidential letter):
// they typed it.
func (s *Service) submitted(ctx context.Context, a *Actor, rec *store.IdemRecord) (*domain.Letter, error) {
	var made struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(rec.Result), &made); err != nil || made.ID == "" {
		return nil, ErrNotFound
	}
	l, err := s.reader().Letter(ctx, store.Perimeter{TenantID: a.TenantID(), All: true}, made.ID)
	if err != nil {
		return nil, err
	}
	if l.CreatedBy != a.ID() {
		return nil, ErrNotFound
	}
	return l, nil
}
