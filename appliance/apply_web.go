package appliance

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"missive/appliance/domain"
	"missive/appliance/store"
)

// registerWeb registers the apply function of each kind below with r.
func registerWeb(r *Registry) {
	Handle(r, KindWebKeyCreate, applyWebKeyCreate)
	Handle(r, KindSessionsRevoke, applySessionsRevoke)
	Handle(r, KindBasketsSet, applyBasketsSet)
	Handle(r, KindSearchSave, applySearchSave)
	Handle(r, KindSearchDelete, applySearchDelete)
	Handle(r, KindLetterFollow, applyLetterFollow)
	Handle(r, KindLetterUnfollow, applyLetterUnfollow)
	Handle(r, KindLetterRegisterForm, applyLetterRegisterForm)
}

func applyWebKeyCreate(a *applyCtx, p *WebKeyCreate) (any, error) {
	// Two nodes may propose a key at once: the first applied wins, the
	// other proposer reads it back.
	if _, err := a.tx.WebKey(a.ctx, a.cmd.Tenant); err == nil {
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
	if err := a.tx.InsertWebKey(a.cmd.Tenant, "", a.at); err != nil {
		return nil, err
	}
	a.payload = redact(WebKeyCreate{Secret: "***"})
	a.summary = "Clé de signature des sessions web créée"
	return nil, nil
}

func applySessionsRevoke(a *applyCtx, p *SessionsRevoke) (any, error) {
	u, err := a.tx.User(a.ctx, a.cmd.Tenant, p.UserID)
	if err != nil {
		return nil, err
	}
	epoch, err := a.tx.SessionEpoch(a.ctx, u.ID)
	if err != nil {
		return nil, err
	}
	epoch++
	if err := a.tx.SetSessionEpoch(a.cmd.Tenant, u.ID, epoch, a.at); err != nil {
		return nil, err
	}
	a.summary = "Sessions web de « " + u.Login + " » fermées"
	return epoch, nil
}

func applyBasketsSet(a *applyCtx, p *BasketsSet) (any, error) {
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
	if err := conflict(a.tx.ReplaceBaskets(a.cmd.Tenant, p.Role, rows, a.at), "deux bannettes ont le même identifiant"); err != nil {
		return nil, err
	}
	a.summary = "Bannettes du rôle « " + p.Role + " » modifiées"
	if len(rows) == 0 {
		a.summary = "Bannettes par défaut rétablies pour le rôle « " + p.Role + " »"
	}
	return nil, nil
}

func applySearchSave(a *applyCtx, p *SearchSave) (any, error) {
	s := &store.SavedSearch{ID: p.ID, TenantID: a.cmd.Tenant, UserID: a.cmd.Actor, Name: p.Name, Query: p.Query, CreatedAt: a.at}
	if err := a.tx.SaveSearch(s); err != nil {
		return nil, err
	}
	a.summary = "Recherche « " + p.Name + " » enregistrée"
	return s, nil
}

func applySearchDelete(a *applyCtx, p *SearchDelete) (any, error) {
	ss, err := a.tx.SavedSearches(a.ctx, a.cmd.Tenant, a.cmd.Actor)
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
	if err := a.tx.DeleteSearch(a.cmd.Tenant, a.cmd.Actor, p.ID); err != nil {
		return nil, err
	}
	a.summary = "Recherche « " + name + " » supprimée"
	return nil, nil
}

func applyLetterFollow(a *applyCtx, p *LetterFollow) (any, error) {
	l, err := a.tx.Letter(a.ctx, store.Perimeter{TenantID: a.cmd.Tenant, All: true}, p.LetterID)
	if err != nil {
		return nil, err
	}
	if ok, err := a.tx.Following(a.ctx, a.cmd.Actor, l.ID); err != nil || ok {
		if err == nil {
			err = fmt.Errorf("%w: vous suivez déjà le courrier %s", ErrConflict, l.Number)
		}
		return nil, err
	}
	if err := a.tx.InsertFollow(a.cmd.Tenant, a.cmd.Actor, l.ID, a.at); err != nil {
		return nil, err
	}
	// The letter's own timeline stays about the letter: a follow is the
	// follower's business, kept in the tenant's history only.
	a.summary = "Courrier " + l.Number + " suivi"
	return nil, nil
}

func applyLetterUnfollow(a *applyCtx, p *LetterFollow) (any, error) {
	l, err := a.tx.Letter(a.ctx, store.Perimeter{TenantID: a.cmd.Tenant, All: true}, p.LetterID)
	if err != nil {
		return nil, err
	}
	if ok, err := a.tx.Following(a.ctx, a.cmd.Actor, l.ID); err != nil || !ok {
		if err == nil {
			err = fmt.Errorf("%w: vous ne suivez pas le courrier %s", ErrConflict, l.Number)
		}
		return nil, err
	}
	if err := a.tx.DeleteFollow(a.cmd.Actor, l.ID); err != nil {
		return nil, err
	}
	a.summary = "Courrier " + l.Number + " n'est plus suivi"
	return nil, nil
}

// applyLetterRegisterForm applies the registration form's commands of
// earlier versions, which carried the form's key in their payload; a form
// now proposes letter.register with the key in the envelope (Idem). Both
// record the key in the same table, so they are the one mechanism.
func applyLetterRegisterForm(a *applyCtx, p *LetterRegisterForm) (any, error) {
	sub := *a
	cmd := *a.cmd
	var err error
	if cmd.Payload, err = json.Marshal(p.Letter); err != nil {
		return nil, err
	}
	sub.cmd = &cmd
	register := func(a *applyCtx) (any, error) { return applyLetterRegister(a, &p.Letter) }
	v, _, err := applyKeyed(&sub, &Idem{Key: p.Key}, register)
	if err != nil {
		return nil, err
	}
	a.letterID, a.summary = sub.letterID, sub.summary
	return v, nil
}
