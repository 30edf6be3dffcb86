package appliance

import (
	"encoding/json"
	"errors"
	"fmt"

	"missive/appliance/kernel"
	"missive/appliance/store"
)

// registerWeb registers the apply function of each kind below with r.
func registerWeb(r *kernel.Registry) {
	kernel.Handle(r, KindWebKeyCreate, applyWebKeyCreate)
	kernel.Handle(r, KindSessionsRevoke, applySessionsRevoke)
	kernel.Handle(r, KindLetterRegisterForm, applyLetterRegisterForm)
}

func applyWebKeyCreate(a *kernel.Ctx, p *WebKeyCreate) (any, error) {
	// Two nodes may propose a key at once: the first applied wins, the
	// other proposer reads it back.
	if _, err := a.Tx.WebKey(a.Ctx, a.Cmd.Tenant); err == nil {
		return nil, fmt.Errorf("%w: clé de session déjà créée", ErrConflict)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if len(p.Secret) < 32 {
		return nil, fmt.Errorf("%w: clé de session trop courte", ErrInvalid)
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

// applyLetterRegisterForm applies the registration form's commands of
// earlier versions, which carried the form's key in their payload; a form
// now proposes letter.register with the key in the envelope (Idem). Both
// record the key in the same table, so they are the one mechanism.
func applyLetterRegisterForm(a *kernel.Ctx, p *LetterRegisterForm) (any, error) {
	sub := *a
	cmd := *a.Cmd
	var err error
	if cmd.Payload, err = json.Marshal(p.Letter); err != nil {
		return nil, err
	}
	sub.Cmd = &cmd
	register := func(a *kernel.Ctx) (any, error) { return applyLetterRegister(a, &p.Letter) }
	v, _, err := kernel.ApplyKeyed(&sub, &Idem{Key: p.Key}, register)
	if err != nil {
		return nil, err
	}
	a.LetterID, a.Summary = sub.LetterID, sub.Summary
	return v, nil
}
