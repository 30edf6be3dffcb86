package org

import (
	"context"
	"errors"
	"fmt"
	"missive/appliance/kernel"
)

// Web sessions are signed cookies: nothing is written per request. The
// signing key is derived from the data dir's secrets.key (SecretBox.Derive),
// so it lives in no database, snapshot, backup or raft log: a dump of the
// database alone forges no cookie. Every node of a cluster holds the same
// secrets.key, hence checks the same signatures. What the store keeps is
// each user's session epoch, which a logout, a password change or a
// disabled account moves on to kill every cookie signed before.
//
// Older versions kept a random key per tenant in web_keys, created through
// the log (web.key.create). It is no longer used (migration 0016 blanks it),
// so the sessions of an upgraded server end once: everyone logs in again.

// sessionKeyLabel names the session key's use of secrets.key.
const sessionKeyLabel = "web-session"

// SessionKey returns the key web sessions are signed with. Sessions name
// their tenant inside what is signed, so one key serves every tenant.
func (s *Org) SessionKey() ([]byte, error) {
	k, err := s.k.Secrets.Derive(sessionKeyLabel)
	if err != nil {
		return nil, fmt.Errorf("session signing key: %w", err)
	}
	return k, nil
}

// SessionEpoch is the user's current session epoch; a cookie signed for
// another epoch is dead.
func (s *Org) SessionEpoch(ctx context.Context, userID string) (int64, error) {
	return s.k.Reader().SessionEpoch(ctx, userID)
}

// RevokeSessions ends every web session of a user (themself, or anyone for
// an admin) and returns the new epoch.
func (s *Org) RevokeSessions(ctx context.Context, a *kernel.Actor, userID string) (int64, error) {
	if userID != a.ID() {
		if err := kernel.RequireAdmin(a); err != nil {
			return 0, err
		}
	}
	v, err := s.k.Propose(ctx, KindSessionsRevoke, a.TenantID(), a.ID(), SessionsRevoke{UserID: userID})
	if err != nil {
		return 0, err
	}
	return v.(int64), nil
}

// ChangePassword changes the actor's own password after checking the
// current one (typed from the client address addr, under the same brakes
// as a login), and ends every web session and API token of theirs. It
// returns the new session epoch, for the browser that made the change.
func (s *Org) ChangePassword(ctx context.Context, a *kernel.Actor, current, password, confirm, addr string) (int64, error) {
	errs := kernel.FieldErrors{}
	if err := s.checkCurrentPassword(ctx, a, current, addr); errors.Is(err, kernel.ErrForbidden) {
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
	if err := errs.OrNil(); err != nil {
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
func (s *Org) checkCurrentPassword(ctx context.Context, a *kernel.Actor, current, addr string) error {
	loginKey, addrKey := kernel.LoginKeys(a.TenantID(), a.User.Login, addr)
	if wait := s.k.Logins.Attempt(loginKey, addrKey); wait > 0 {
		return &kernel.ThrottledError{Wait: wait}
	}
	u, err := s.k.Reader().User(ctx, a.TenantID(), a.ID())
	if err != nil {
		s.k.Logins.Release(loginKey, addrKey)
		return err
	}
	if !kernel.CheckPassword(u.PasswordHash, current) {
		return kernel.ErrForbidden
	}
	s.k.Logins.Success(loginKey, addrKey)
	return nil
}
