package org

import (
	"fmt"

	"missive/appliance/domain"
	"missive/appliance/kernel"
)

func applyTenantCreate(a *kernel.Ctx, p *TenantCreate) (any, error) {
	t := &domain.Tenant{ID: p.ID, Name: p.Name, AlsaceMoselle: p.AlsaceMoselle, CreatedAt: a.At}
	if err := kernel.Conflict(a.Tx.InsertTenant(t), "la commune "+p.ID+" existe déjà"); err != nil {
		return nil, err
	}
	a.Summary = "Commune « " + p.Name + " » créée"
	return t, nil
}

func applyEntityCreate(a *kernel.Ctx, p *EntityCreate) (any, error) {
	if p.ParentID != "" {
		if _, err := a.Tx.Entity(a.Ctx, a.Cmd.Tenant, p.ParentID); err != nil {
			return nil, err
		}
	}
	e := &domain.Entity{ID: p.ID, ParentID: p.ParentID, Code: p.Code, Name: p.Name, Email: p.Email, Address: p.Address, Phone: p.Phone, CreatedAt: a.At}
	if err := kernel.Conflict(a.Tx.InsertEntity(a.Cmd.Tenant, e), "le code d'entité "+p.Code+" existe déjà"); err != nil {
		return nil, err
	}
	a.Summary = "Entité « " + p.Name + " » créée"
	return e, nil
}

func memberships(a *kernel.Ctx, ps []MembershipPayload) ([]domain.Membership, error) {
	out := make([]domain.Membership, 0, len(ps))
	for _, m := range ps {
		if _, err := a.Tx.Entity(a.Ctx, a.Cmd.Tenant, m.EntityID); err != nil {
			return nil, err
		}
		out = append(out, domain.Membership{EntityID: m.EntityID, Manager: m.Manager})
	}
	return out, nil
}

func applyUserCreate(a *kernel.Ctx, p *UserCreate) (any, error) {
	if !domain.Role(p.Role).Valid() {
		return nil, fmt.Errorf("%w: rôle %q inconnu", kernel.ErrInvalid, p.Role)
	}
	ms, err := memberships(a, p.Entities)
	if err != nil {
		return nil, err
	}
	u := &domain.User{ID: p.ID, Login: p.Login, Name: p.Name, Email: p.Email, Role: domain.Role(p.Role), Entities: ms, PasswordHash: p.PasswordHash, CreatedAt: a.At}
	if err := kernel.Conflict(a.Tx.InsertUser(a.Cmd.Tenant, u, a.At), "l'identifiant "+p.Login+" existe déjà"); err != nil {
		return nil, err
	}
	p.PasswordHash = ""
	a.Payload = kernel.Redact(p)
	a.Summary = "Utilisateur « " + p.Login + " » créé (" + p.Role + ")"
	return u, nil
}

func applyUserUpdate(a *kernel.Ctx, p *UserUpdate) (any, error) {
	u, err := a.Tx.User(a.Ctx, a.Cmd.Tenant, p.UserID)
	if err != nil {
		return nil, err
	}
	if !domain.Role(p.Role).Valid() {
		return nil, fmt.Errorf("%w: rôle %q inconnu", kernel.ErrInvalid, p.Role)
	}
	if u.Entities, err = memberships(a, p.Entities); err != nil {
		return nil, err
	}
	u.Name, u.Email, u.Role, u.Disabled = p.Name, p.Email, domain.Role(p.Role), p.Disabled
	if err := a.Tx.UpdateUser(a.Cmd.Tenant, u, a.At); err != nil {
		return nil, err
	}
	a.Summary = "Utilisateur « " + u.Login + " » modifié"
	if p.EndSessions {
		if _, err := endSessions(a, u.ID); err != nil {
			return nil, err
		}
		a.Summary += " ; sessions et jetons d'API fermés"
	}
	return u, nil
}

// endSessions ends every web session of a user (their epoch moves on) and
// revokes every API token: what a changed password or a disabled account
// means. It returns the new epoch.
func endSessions(a *kernel.Ctx, userID string) (int64, error) {
	epoch, err := a.Tx.SessionEpoch(a.Ctx, userID)
	if err != nil {
		return 0, err
	}
	epoch++
	if err := a.Tx.SetSessionEpoch(a.Cmd.Tenant, userID, epoch, a.At); err != nil {
		return 0, err
	}
	if err := a.Tx.RevokeUserTokens(a.Cmd.Tenant, userID); err != nil {
		return 0, err
	}
	return epoch, nil
}

func applyUserPassword(a *kernel.Ctx, p *UserPassword) (any, error) {
	u, err := a.Tx.User(a.Ctx, a.Cmd.Tenant, p.UserID)
	if err != nil {
		return nil, err
	}
	if err := a.Tx.SetPassword(a.Cmd.Tenant, p.UserID, p.PasswordHash, a.At); err != nil {
		return nil, err
	}
	a.Payload = kernel.Redact(UserPassword{UserID: p.UserID, EndSessions: p.EndSessions})
	a.Summary = "Mot de passe de « " + u.Login + " » changé"
	if p.EndSessions {
		if _, err := endSessions(a, u.ID); err != nil {
			return nil, err
		}
		a.Summary += " ; sessions et jetons d'API fermés"
	}
	return nil, nil
}

func applyTokenCreate(a *kernel.Ctx, p *TokenCreate) (any, error) {
	u, err := a.Tx.User(a.Ctx, a.Cmd.Tenant, p.UserID)
	if err != nil {
		return nil, err
	}
	if err := a.Tx.InsertToken(a.Cmd.Tenant, p.ID, p.UserID, p.Name, p.Hash, a.At, p.ExpiresAt); err != nil {
		return nil, err
	}
	p.Hash = ""
	a.Payload = kernel.Redact(p)
	a.Summary = "Jeton d'API créé pour « " + u.Login + " »"
	return &domain.Token{ID: p.ID, UserID: u.ID, UserLogin: u.Login, Name: p.Name, CreatedAt: a.At, ExpiresAt: p.ExpiresAt}, nil
}

func applyTokenRevoke(a *kernel.Ctx, p *TokenRevoke) (any, error) {
	t, err := a.Tx.Token(a.Ctx, a.Cmd.Tenant, p.TokenID)
	if err != nil {
		return nil, err
	}
	if t.Revoked {
		return nil, fmt.Errorf("%w: jeton déjà révoqué", kernel.ErrConflict)
	}
	if err := a.Tx.RevokeToken(a.Cmd.Tenant, t.ID); err != nil {
		return nil, err
	}
	t.Revoked = true
	a.Summary = "Jeton d'API « " + t.Name + " » de « " + t.UserLogin + " » révoqué"
	return t, nil
}

func applyContactCreate(a *kernel.Ctx, p *kernel.ContactCreate) (any, error) {
	c := kernel.ContactFrom(p, a.At)
	if err := kernel.Conflict(a.Tx.InsertContact(a.Cmd.Tenant, c), "un contact a déjà l'adresse "+p.Email); err != nil {
		return nil, err
	}
	a.Summary = "Contact « " + c.DisplayName() + " » créé"
	return c, nil
}

func applyDoctypeCreate(a *kernel.Ctx, p *DoctypeCreate) (any, error) {
	days, unit, err := doctypeRules(p.Mode, p.RetentionYears, p.FinalDisposition, p.DelayDays, p.DelayUnit)
	if err != nil {
		return nil, err
	}
	d := &domain.Doctype{ID: p.ID, Code: p.Code, Label: p.Label, DelayDays: days, DelayUnit: unit, RemindBefore: p.RemindBefore, RemindAfter: p.RemindAfter, Mode: domain.Mode(p.Mode),
		RetentionYears: p.RetentionYears, FinalDisposition: domain.Disposition(p.FinalDisposition), CreatedAt: a.At}
	if err := kernel.Conflict(a.Tx.InsertDoctype(a.Cmd.Tenant, d), "le code "+p.Code+" existe déjà"); err != nil {
		return nil, err
	}
	a.Summary = "Type de courrier « " + p.Label + " » créé"
	return d, nil
}
