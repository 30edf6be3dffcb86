package prefs

import (
	"encoding/json"
	"fmt"
	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
	"strings"
)

// Register registers the apply function of each kind of command.go.
func Register(r *kernel.Registry) {
	kernel.Handle(r, KindBasketsSet, applyBasketsSet)
	kernel.Handle(r, KindSearchSave, applySearchSave)
	kernel.Handle(r, KindSearchDelete, applySearchDelete)
	kernel.Handle(r, KindLetterFollow, applyLetterFollow)
	kernel.Handle(r, KindLetterUnfollow, applyLetterUnfollow)
}

func applyBasketsSet(a *kernel.Ctx, p *BasketsSet) (any, error) {
	if !domain.Role(p.Role).Valid() {
		return nil, fmt.Errorf("%w: rôle %q inconnu", kernel.ErrInvalid, p.Role)
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
		return nil, fmt.Errorf("recherche %s: %w", p.ID, kernel.ErrNotFound)
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
			err = fmt.Errorf("%w: vous suivez déjà le courrier %s", kernel.ErrConflict, l.Number)
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
			err = fmt.Errorf("%w: vous ne suivez pas le courrier %s", kernel.ErrConflict, l.Number)
		}
		return nil, err
	}
	if err := a.Tx.DeleteFollow(a.Cmd.Actor, l.ID); err != nil {
		return nil, err
	}
	a.Summary = "Courrier " + l.Number + " n'est plus suivi"
	return nil, nil
}
