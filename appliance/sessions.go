package appliance

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// Web sessions are signed cookies: nothing is written per request. What the
// store keeps is the signing key of each tenant (created once, through the
// log, so every node checks the same signatures) and each user's session
// epoch, which a logout moves on to kill every cookie signed before.

// SessionKey returns the tenant's session signing key, creating it on
// first use.
func (s *Service) SessionKey(ctx context.Context, tenant string) ([]byte, error) {
	k, err := s.reader().WebKey(ctx, tenant)
	if err == nil {
		return base64.RawStdEncoding.DecodeString(k)
	}
	if !isNotFound(err) {
		return nil, err
	}
	if _, err := s.reader().Tenant(ctx, tenant); err != nil {
		return nil, err
	}
	b := make([]byte, 32)
	rand.Read(b)
	secret := base64.RawStdEncoding.EncodeToString(b)
	_, err = s.propose(ctx, KindWebKeyCreate, tenant, SystemActor, WebKeyCreate{Secret: secret})
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, ErrConflict):
		// Another request or node created it first: use theirs.
		k, err := s.reader().WebKey(ctx, tenant)
		if err != nil {
			return nil, fmt.Errorf("read session key: %w", err)
		}
		return base64.RawStdEncoding.DecodeString(k)
	}
	return nil, fmt.Errorf("create session key: %w", err)
}

// SessionEpoch is the user's current session epoch; a cookie signed for
// another epoch is dead.
func (s *Service) SessionEpoch(ctx context.Context, userID string) (int64, error) {
	return s.reader().SessionEpoch(ctx, userID)
}

// RevokeSessions ends every web session of a user (themself, or anyone for
// an admin) and returns the new epoch.
func (s *Service) RevokeSessions(ctx context.Context, a *Actor, userID string) (int64, error) {
	if userID != a.ID() {
		if err := requireAdmin(a); err != nil {
			return 0, err
		}
	}
	v, err := s.propose(ctx, KindSessionsRevoke, a.TenantID(), a.ID(), SessionsRevoke{UserID: userID})
	if err != nil {
		return 0, err
	}
	return v.(int64), nil
}

// ChangePassword changes the actor's own password after checking the
// current one (typed from the client address addr, under the same brakes
// as a login), and ends every web session and API token of theirs. It
// returns the new session epoch, for the browser that made the change.
func (s *Service) ChangePassword(ctx context.Context, a *Actor, current, password, confirm, addr string) (int64, error) {
	errs := FieldErrors{}
	if err := s.checkCurrentPassword(ctx, a, current, addr); errors.Is(err, ErrForbidden) {
		errs["current"] = "mot de passe actuel incorrect"
	} else if err != nil {
		return 0, err
	}
	if err := checkPassword(password); err != nil {
		errs["password"] = err.Error()
	} else if password == current {
		errs["password"] = "le nouveau mot de passe doit différer de l'actuel"
	}
	if confirm != password {
		errs["confirm"] = "les deux saisies diffèrent"
	}
	if err := errs.orNil(); err != nil {
		return 0, err
	}
	if err := s.setPassword(ctx, a, a.ID(), password); err != nil {
		return 0, err
	}
	return s.SessionEpoch(ctx, a.ID())
}

// checkCurrentPassword checks the actor's own password, counted by the
// login limiter like a login: someone holding a session (or a token) but
// not the password gets no more guesses here than at the login page.
func (s *Service) checkCurrentPassword(ctx context.Context, a *Actor, current, addr string) error {
	loginKey, addrKey := loginKeys(a.TenantID(), a.User.Login, addr)
	if wait := s.Logins.Attempt(loginKey, addrKey); wait > 0 {
		return &ThrottledError{Wait: wait}
	}
	u, err := s.reader().User(ctx, a.TenantID(), a.ID())
	if err != nil {
		s.Logins.Release(loginKey, addrKey)
		return err
	}
	if !CheckPassword(u.PasswordHash, current) {
		return ErrForbidden
	}
	s.Logins.Success(loginKey, addrKey)
	return nil
}
