package org

import (
	"errors"
	"fmt"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

func applyWebKeyCreate(a *kernel.Ctx, p *WebKeyCreate) (any, error) {
	// Two nodes may propose a key at once: the first applied wins, the
	// other proposer reads it back.
	if _, err := a.Tx.WebKey(a.Ctx, a.Cmd.Tenant); err == nil {
		return nil, fmt.Errorf("%w: clé de session déjà créée", kernel.ErrConflict)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if len(p.Secret) < 32 {
		return nil, fmt.Errorf("%w: clé de session trop courte", kernel.ErrInvalid)
	}
	// Entries of older versions only: the key is derived from secrets.key
	// now (sessions.go). The row keeps the first-wins rule of the time;
	// the key itself is not stored.
	if err := a.Tx.InsertWebKey(a.Cmd.Tenant, "", a.At); err != nil {
		return nil, err
	}
	a.Payload = kernel.Redact(WebKeyCreate{Secret: "***"})
	a.Summary = "Clé de signature des sessions web créée"
	return nil, nil
}

func applySessionsRevoke(a *kernel.Ctx, p *SessionsRevoke) (any, error) {
	u, err := a.Tx.User(a.Ctx, a.Cmd.Tenant, p.UserID)
	if err != nil {
		return nil, err
	}
	epoch, err := a.Tx.SessionEpoch(a.Ctx, u.ID)
	if err != nil {
		return nil, err
	}
	epoch++
	if err := a.Tx.SetSessionEpoch(a.Cmd.Tenant, u.ID, epoch, a.At); err != nil {
		return nil, err
	}
	a.Summary = "Sessions web de « " + u.Login + " » fermées"
	return epoch, nil
}
