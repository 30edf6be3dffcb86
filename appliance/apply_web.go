package appliance

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// registerWeb registers the apply function of each kind below with r.
func registerWeb(r *kernel.Registry) {
	kernel.Handle(r, KindWebKeyCreate, applyWebKeyCreate)
	kernel.Handle(r, KindSessionsRevoke, applySessionsRevoke)
	kernel.Handle(r, KindBasketsSet, applyBasketsSet)
	kernel.Handle(r, KindSearchSave, applySearchSave)
	kernel.Handle(r, KindSearchDelete, applySearchDelete)
	kernel.Handle(r, KindLetterFollow, applyLetterFollow)
	kernel.Handle(r, KindLetterUnfollow, applyLetterUnfollow)
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

func applyBasketsSet(a *kernel.Ctx, p *BasketsSet) (any, error) {
	if !domain.Role(p.Role).Valid() {
		return nil, fmt.Errorf("%w: rôle %q inconnu", ErrInvalid, p.Role)
	}
	rows := make([]store.BasketRow, len(p.Baskets))
	for i, b := range p.Baskets {
		if err := b.check(); err != nil {
			return nil, err
		}
		f, err := json.Marshal(b.Filter)
		if err != nil {
			return nil, err
		}
		rows[i] = store.BasketRow{ID: b.ID, Label: b.Label, Filter: string(f), Actions: strings.Join(b.Actions, " ")}
	}
	if err := kernel.Conflict(a.Tx.ReplaceBaskets(a.Cmd.Tenant, p.Role, rows, a.At), "deux bannettes ont le même identifiant"); err != nil {
		return nil, err
	}
	a.Summary = "Bannettes du rôle « " + p.Role + " » modifiées"
	if len(rows) == 0 {
		a.Summary = "Bannettes par défaut rétablies pour le rôle « " + p.Role + " »"
	}
	return nil, nil
}

func applySearchSave(a *kernel.Ctx, p *SearchSave) (any, error) {
	s := &store.SavedSearch{ID: p.ID, TenantID: a.Cmd.Tenant, UserID: a.Cmd.Actor, Name: p.Name, Query: p.Query, CreatedAt: a.At}
	if err := a.Tx.SaveSearch(s); err != nil {
		return nil, err
	}
	a.Summary = "Recherche « " + p.Name + " » enregistrée"
	return s, nil
}

func applySearchDelete(a *kernel.Ctx, p *SearchDelete) (any, error) {
	ss, err := a.Tx.SavedSearches(a.Ctx, a.Cmd.Tenant, a.Cmd.Actor)
	if err != nil {
		return nil, err
	}
	name := ""
	for _, s := range ss {
		if s.ID == p.ID {
			name = s.Name
		}
	}
	if name == "" {
		return nil, fmt.Errorf("recherche %s: %w", p.ID, ErrNotFound)
	}
	if err := a.Tx.DeleteSearch(a.Cmd.Tenant, a.Cmd.Actor, p.ID); err != nil {
		return nil, err
	}
	a.Summary = "Recherche « " + name + " » supprimée"
	return nil, nil
}

func applyLetterFollow(a *kernel.Ctx, p *LetterFollow) (any, error) {
	l, err := a.Tx.Letter(a.Ctx, store.Perimeter{TenantID: a.Cmd.Tenant, All: true}, p.LetterID)
	if err != nil {
		return nil, err
	}
	if ok, err := a.Tx.Following(a.Ctx, a.Cmd.Actor, l.ID); err != nil || ok {
		if err == nil {
			err = fmt.Errorf("%w: vous suivez déjà le courrier %s", ErrConflict, l.Number)
		}
		return nil, err
	}
	if err := a.Tx.InsertFollow(a.Cmd.Tenant, a.Cmd.Actor, l.ID, a.At); err != nil {
		return nil, err
	}
	// The letter's own timeline stays about the letter: a follow is the
	// follower's business, kept in the tenant's history only.
	a.Summary = "Courrier " + l.Number + " suivi"
	return nil, nil
}

func applyLetterUnfollow(a *kernel.Ctx, p *LetterFollow) (any, error) {
	l, err := a.Tx.Letter(a.Ctx, store.Perimeter{TenantID: a.Cmd.Tenant, All: true}, p.LetterID)
	if err != nil {
		return nil, err
	}
	if ok, err := a.Tx.Following(a.Ctx, a.Cmd.Actor, l.ID); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("%w: vous ne suivez pas le courrier %s", ErrConflict, l.Number)
		}
		return nil, err
	}
	if err := a.Tx.DeleteFollow(a.Cmd.Actor, l.ID); err != nil {
		return nil, err
	}
	a.Summary = "Courrier " + l.Number + " n'est plus suivi"
	return nil, nil
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
