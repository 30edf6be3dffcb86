package appliance

import (
	"context"
	"errors"
	"regexp"

	"missive/appliance/domain"
	"missive/appliance/store"
)

var formKeyRe = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// RegisterLetterOnce registers a letter from a form that carries a random
// key: the same key submitted again (a double click, a reload, a retry after
// a timeout) returns the letter the first submission made, with dup set,
// instead of registering another one.
func (s *Service) RegisterLetterOnce(ctx context.Context, a *Actor, key string, in RegisterInput, uploads ...Upload) (l *domain.Letter, dup bool, err error) {
	if !formKeyRe.MatchString(key) {
		return nil, false, FieldErrors{"form_key": "formulaire expiré: rechargez la page"}
	}
	if id, err := s.reader().Submission(ctx, a.TenantID(), key); err == nil {
		l, err := s.submitted(ctx, a, id)
		return l, true, err
	} else if !isNotFound(err) {
		return nil, false, err
	}
	in.wrap = func(p *LetterRegister) (Kind, any, error) {
		return KindLetterRegisterForm, LetterRegisterForm{Key: key, Letter: *p}, nil
	}
	l, err = s.RegisterLetter(ctx, a, in, uploads...)
	var fs *FormSubmittedError
	if errors.As(err, &fs) {
		l, err := s.submitted(ctx, a, fs.LetterID)
		return l, true, err
	}
	return l, false, err
}

// submitted reads the letter a form made. Its author may read it back even
// when they routed it outside their own perimeter (a confidential letter):
// they typed it.
func (s *Service) submitted(ctx context.Context, a *Actor, id string) (*domain.Letter, error) {
	l, err := s.reader().Letter(ctx, store.Perimeter{TenantID: a.TenantID(), All: true}, id)
	if err != nil {
		return nil, err
	}
	if l.CreatedBy != a.ID() {
		return nil, ErrNotFound
	}
	return l, nil
}
