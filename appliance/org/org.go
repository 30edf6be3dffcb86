// Package org is the organisation of each commune: the commune itself
// (tenant), its services (entities), users and their API tokens and web
// sessions, contacts and doctypes, and the first start (Bootstrap). The
// letters use its records; it knows nothing of letters.
package org

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"missive/appliance/domain"
	"missive/appliance/kernel"
)

var (
	loginRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	codeRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)
)

// Org reads and changes the organisation.
type Org struct{ k *kernel.Kernel }

// New makes the organisation feature of one appliance.
func New(k *kernel.Kernel) *Org { return &Org{k: k} }

// EntityInput creates an entity.
type EntityInput struct {
	ParentID string `json:"parent_id,omitempty" doc:"Non modifiable: ignoré s'il est vide ou identique lors d'une modification"`
	Code     string `json:"code" doc:"Non modifiable: ignoré s'il est vide ou identique lors d'une modification"`
	Name     string `json:"name"`
	Email    string `json:"email,omitempty" doc:"Adresse électronique du service; vide: celle de l'entité parente, puis de la commune"`
	Address  string `json:"address,omitempty" doc:"Adresse postale du service, une ligne par ligne d'adresse; vide: celle de l'entité parente, puis de la commune"`
	Phone    string `json:"phone,omitempty" doc:"Téléphone du service; vide: celui de l'entité parente, puis de la commune"`
}

func (s *Org) CreateEntity(ctx context.Context, a *kernel.Actor, in EntityInput) (*domain.Entity, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	errs := kernel.FieldErrors{}
	if !codeRe.MatchString(in.Code) {
		errs["code"] = "lettres, chiffres, - et _ (32 au plus)"
	}
	kernel.CheckLen(errs, "name", in.Name, 200, true)
	in.Address, in.Phone, in.Email = checkContact(errs, in.Address, in.Phone, in.Email)
	if in.ParentID != "" {
		if _, err := s.k.Reader().Entity(ctx, a.TenantID(), in.ParentID); err != nil {
			errs["parent_id"] = "entité parente inconnue"
		}
	}
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	v, err := s.k.Propose(ctx, KindEntityCreate, a.TenantID(), a.ID(), EntityCreate{ID: kernel.NewID(), ParentID: in.ParentID, Code: in.Code, Name: strings.TrimSpace(in.Name),
		Email: in.Email, Address: in.Address, Phone: in.Phone})
	if err != nil {
		return nil, err
	}
	return v.(*domain.Entity), nil
}

func (s *Org) Entities(ctx context.Context, a *kernel.Actor) ([]domain.Entity, error) {
	return s.k.Reader().Entities(ctx, a.TenantID())
}

// UserInput creates or updates a user. Password is only for creation.
type UserInput struct {
	Login    string              `json:"login"`
	Name     string              `json:"name"`
	Email    string              `json:"email,omitempty"`
	Role     domain.Role         `json:"role"`
	Password string              `json:"password,omitempty"`
	Disabled bool                `json:"disabled,omitempty"`
	Entities []domain.Membership `json:"entities"`
}

func (s *Org) checkUser(ctx context.Context, a *kernel.Actor, in *UserInput, creating bool) ([]MembershipPayload, error) {
	errs := kernel.FieldErrors{}
	if creating && !loginRe.MatchString(in.Login) {
		errs["login"] = "minuscules, chiffres, . _ - (64 au plus)"
	}
	kernel.CheckLen(errs, "name", in.Name, 200, true)
	kernel.CheckEmail(errs, "email", in.Email)
	if !in.Role.Valid() {
		errs["role"] = "rôle inconnu (admin, mailroom, agent, elected)"
	}
	if creating {
		if err := checkPassword(in.Password); err != nil {
			errs["password"] = err.Error()
		}
	}
	ms := make([]MembershipPayload, 0, len(in.Entities))
	for _, m := range in.Entities {
		if _, err := s.k.Reader().Entity(ctx, a.TenantID(), m.EntityID); err != nil {
			errs["entities"] = "entité inconnue: " + m.EntityID
		}
		ms = append(ms, MembershipPayload{EntityID: m.EntityID, Manager: m.Manager})
	}
	return ms, errs.OrNil()
}

func checkPassword(pw string) error {
	if utf8.RuneCountInString(pw) < 10 {
		return errors.New("10 caractères au moins")
	}
	if len(pw) > 1024 {
		return errors.New("1024 octets au plus")
	}
	return nil
}

func (s *Org) CreateUser(ctx context.Context, a *kernel.Actor, in UserInput) (*domain.User, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	ms, err := s.checkUser(ctx, a, &in, true)
	if err != nil {
		return nil, err
	}
	v, err := s.k.Propose(ctx, KindUserCreate, a.TenantID(), a.ID(), UserCreate{
		ID: kernel.NewID(), Login: in.Login, Name: strings.TrimSpace(in.Name), Email: in.Email, Role: string(in.Role),
		PasswordHash: kernel.HashPassword(in.Password), Entities: ms,
	})
	if err != nil {
		return nil, err
	}
	return v.(*domain.User), nil
}

func (s *Org) UpdateUser(ctx context.Context, a *kernel.Actor, userID string, in UserInput) (*domain.User, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	if _, err := s.k.Reader().User(ctx, a.TenantID(), userID); err != nil {
		return nil, err
	}
	ms, err := s.checkUser(ctx, a, &in, false)
	if err != nil {
		return nil, err
	}
	// A disabled account's sessions and tokens end with it: enabled again,
	// it starts with none.
	v, err := s.k.Propose(ctx, KindUserUpdate, a.TenantID(), a.ID(), UserUpdate{
		UserID: userID, Name: strings.TrimSpace(in.Name), Email: in.Email, Role: string(in.Role), Disabled: in.Disabled, Entities: ms,
		EndSessions: in.Disabled,
	})
	if err != nil {
		return nil, err
	}
	return v.(*domain.User), nil
}

// SetPassword sets another user's password (administrators; Missive
// itself for the CLI). Everyone changes their own with ChangePassword,
// which asks for the current one. Every web session and API token of the
// user ends.
func (s *Org) SetPassword(ctx context.Context, a *kernel.Actor, userID, password string) error {
	if err := kernel.RequireAdmin(a); err != nil {
		return err
	}
	if userID == a.ID() {
		return fmt.Errorf("%w: changez votre propre mot de passe en donnant l'actuel (page « Mot de passe »)", kernel.ErrForbidden)
	}
	return s.setPassword(ctx, a, userID, password)
}

func (s *Org) setPassword(ctx context.Context, a *kernel.Actor, userID, password string) error {
	if err := checkPassword(password); err != nil {
		return kernel.FieldErrors{"password": err.Error()}
	}
	if _, err := s.k.Reader().User(ctx, a.TenantID(), userID); err != nil {
		return err
	}
	_, err := s.k.Propose(ctx, KindUserPassword, a.TenantID(), a.ID(), UserPassword{UserID: userID, PasswordHash: kernel.HashPassword(password), EndSessions: true})
	return err
}

func (s *Org) Users(ctx context.Context, a *kernel.Actor) ([]domain.User, error) {
	return s.k.Reader().Users(ctx, a.TenantID())
}

func (s *Org) UserByLogin(ctx context.Context, a *kernel.Actor, login string) (*domain.User, error) {
	return s.k.Reader().UserByLogin(ctx, a.TenantID(), login)
}

// TokenInput asks for an API token.
type TokenInput struct {
	UserID string `json:"user_id,omitempty" doc:"Utilisateur du jeton; vous-même par défaut (un administrateur pour un autre)"`
	Name   string `json:"name,omitempty"`
	// ExpiresOn is the last day the token works (AAAA-MM-JJ, Paris time);
	// "" never expires.
	ExpiresOn string `json:"expires_on,omitempty" doc:"Dernier jour de validité, AAAA-MM-JJ (heure de Paris); vide: sans expiration"`
}

// maxTokenYears bounds an expiry: a date typed 20260 is a mistake.
const maxTokenYears = 5

// CreateToken makes an API token for a user (an admin for anyone, a user
// for themself) and returns it; it cannot be read again.
func (s *Org) CreateToken(ctx context.Context, a *kernel.Actor, userID, name string) (string, error) {
	tok, _, err := s.IssueToken(ctx, a, TokenInput{UserID: userID, Name: name})
	return tok, err
}

// IssueToken is CreateToken with every choice: an optional expiry.
func (s *Org) IssueToken(ctx context.Context, a *kernel.Actor, in TokenInput) (string, *domain.Token, error) {
	if in.UserID == "" {
		in.UserID = a.ID()
	}
	if in.UserID != a.ID() {
		if err := kernel.RequireAdmin(a); err != nil {
			return "", nil, err
		}
	}
	if _, err := s.k.Reader().User(ctx, a.TenantID(), in.UserID); err != nil {
		return "", nil, err
	}
	errs := kernel.FieldErrors{}
	in.Name = strings.TrimSpace(in.Name)
	kernel.CheckLen(errs, "name", in.Name, 200, false)
	expires := ""
	if in.ExpiresOn != "" {
		day, err := time.ParseInLocation(domain.DateLayout, in.ExpiresOn, domain.Paris)
		today := s.k.Today()
		switch {
		case err != nil:
			errs["expires_on"] = "date invalide (AAAA-MM-JJ)"
		case day.Before(time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, domain.Paris)):
			errs["expires_on"] = "date passée"
		case day.After(time.Date(today.Year()+maxTokenYears, today.Month(), today.Day(), 0, 0, 0, 0, domain.Paris)):
			errs["expires_on"] = fmt.Sprintf("%d ans au plus", maxTokenYears)
		default:
			// Valid through that whole day, in Paris.
			expires = day.AddDate(0, 0, 1).UTC().Format(domain.TimeLayout)
		}
	}
	if err := errs.OrNil(); err != nil {
		return "", nil, err
	}
	token, hash := kernel.NewToken()
	v, err := s.k.Propose(ctx, KindTokenCreate, a.TenantID(), a.ID(), TokenCreate{ID: kernel.NewID(), UserID: in.UserID, Name: in.Name, Hash: hash, ExpiresAt: expires})
	if err != nil {
		return "", nil, err
	}
	return token, v.(*domain.Token), nil
}

// Tokens lists the API tokens of a user: one's own, or anyone's for an
// administrator ("" lists every user's).
func (s *Org) Tokens(ctx context.Context, a *kernel.Actor, userID string) ([]domain.Token, error) {
	if userID != a.ID() {
		if err := kernel.RequireAdmin(a); err != nil {
			return nil, err
		}
	}
	return s.k.Reader().Tokens(ctx, a.TenantID(), userID)
}

// RevokeToken ends an API token: one's own, or anyone's for an
// administrator. Another user's token is "not found" to a non-admin.
func (s *Org) RevokeToken(ctx context.Context, a *kernel.Actor, id string) (*domain.Token, error) {
	t, err := s.k.Reader().Token(ctx, a.TenantID(), id)
	if err != nil {
		return nil, err
	}
	if t.UserID != a.ID() && !a.IsAdmin() {
		return nil, fmt.Errorf("jeton %s: %w", id, kernel.ErrNotFound)
	}
	v, err := s.k.Propose(ctx, KindTokenRevoke, a.TenantID(), a.ID(), TokenRevoke{TokenID: t.ID})
	if err != nil {
		return nil, err
	}
	return v.(*domain.Token), nil
}

func (s *Org) CreateContact(ctx context.Context, a *kernel.Actor, in kernel.ContactInput) (*domain.Contact, error) {
	if err := kernel.CanWrite(a); err != nil {
		return nil, err
	}
	errs := kernel.FieldErrors{}
	p := in.Payload("", errs)
	if p.Email != "" {
		if _, err := s.k.Reader().ContactByEmail(ctx, a.TenantID(), p.Email); err == nil {
			errs["email"] = "un contact a déjà cette adresse"
		}
	}
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	v, err := s.k.Propose(ctx, KindContactCreate, a.TenantID(), a.ID(), p)
	if err != nil {
		return nil, err
	}
	return v.(*domain.Contact), nil
}

// Contacts lists the contacts the actor may see: not the sender or the
// recipient of a confidential letter outside their perimeter.
func (s *Org) Contacts(ctx context.Context, a *kernel.Actor, q string, limit, offset int) ([]domain.Contact, error) {
	return s.k.Reader().Contacts(ctx, a.Perimeter, q, limit, offset)
}

// Contact reads a contact the actor may see (Contacts); ErrNotFound
// otherwise.
func (s *Org) Contact(ctx context.Context, a *kernel.Actor, id string) (*domain.Contact, error) {
	return s.k.Reader().ContactIn(ctx, a.Perimeter, id)
}

// DoctypeInput creates or changes a doctype. RetentionYears (the DUA,
// counted from the letter's closing) and FinalDisposition are optional.
type DoctypeInput struct {
	Code             string             `json:"code" doc:"Non modifiable: ignoré s'il est vide ou identique lors d'une modification"`
	Label            string             `json:"label"`
	DelayDays        int                `json:"delay_days" doc:"Délai, compté dans l'unité delay_unit; 0: pas de date limite"`
	DelayUnit        domain.DelayUnit   `json:"delay_unit,omitempty" doc:"working_days, calendar_days ou months. Vide: 2 months pour un type sva ou svr sans délai (CRPA L231-1, L231-4); sinon l'unité actuelle à la modification, working_days à la création"`
	RemindBefore     int                `json:"remind_before"`
	RemindAfter      int                `json:"remind_after"`
	Mode             domain.Mode        `json:"mode"`
	RetentionYears   int                `json:"retention_years" doc:"Durée d'utilité administrative (DUA) en années, de 0 (non renseignée) à 100, à compter de la clôture du courrier"`
	FinalDisposition domain.Disposition `json:"final_disposition" doc:"Sort final: conserver, detruire, trier, ou vide (non renseigné)"`
}

// checkDoctype validates what a doctype's creation and change share, and
// defaults the mode and, when no unit is given, the delay: the law's two
// months for an SVA or SVR doctype given no delay, else the unit of the
// doctype changed (current), else working days.
func checkDoctype(errs kernel.FieldErrors, in *DoctypeInput, current *domain.Doctype) {
	kernel.CheckLen(errs, "label", in.Label, 200, true)
	if in.Mode == "" {
		in.Mode = domain.ModeNormal
	}
	silence := in.Mode == domain.ModeSVA || in.Mode == domain.ModeSVR
	switch {
	case in.DelayUnit != "":
	case silence && in.DelayDays == 0:
		in.DelayUnit, in.DelayDays = domain.UnitMonths, domain.SilenceMonths
	case current != nil:
		in.DelayUnit = current.DelayUnit
	default:
		in.DelayUnit = domain.UnitWorkingDays
	}
	switch {
	case !in.DelayUnit.Valid():
		errs["delay_unit"] = "working_days (jours ouvrés), calendar_days (jours calendaires) ou months (mois)"
	case in.DelayUnit == domain.UnitMonths && (in.DelayDays < 0 || in.DelayDays > maxDelayMonths):
		errs["delay_days"] = fmt.Sprintf("entre 0 et %d mois", maxDelayMonths)
	case in.DelayDays < 0 || in.DelayDays > maxDelayDays:
		errs["delay_days"] = fmt.Sprintf("entre 0 et %d jours", maxDelayDays)
	}
	if in.RemindBefore < 0 || in.RemindBefore > 365 {
		errs["remind_before"] = "entre 0 et 365"
	}
	if in.RemindAfter < 0 || in.RemindAfter > 365 {
		errs["remind_after"] = "entre 0 et 365"
	}
	if !in.Mode.Valid() {
		errs["mode"] = "normal, sva ou svr"
	}
	if in.RetentionYears < 0 || in.RetentionYears > domain.MaxRetentionYears {
		errs["retention_years"] = fmt.Sprintf("entre 0 (non renseignée) et %d ans", domain.MaxRetentionYears)
	}
	if !in.FinalDisposition.Valid() {
		errs["final_disposition"] = "conserver, detruire, trier ou vide"
	}
}

// The longest delays a doctype may set: ten years.
const (
	maxDelayDays   = 3650
	maxDelayMonths = 120
)

func (s *Org) CreateDoctype(ctx context.Context, a *kernel.Actor, in DoctypeInput) (*domain.Doctype, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	errs := kernel.FieldErrors{}
	if !codeRe.MatchString(in.Code) {
		errs["code"] = "lettres, chiffres, - et _ (32 au plus)"
	}
	checkDoctype(errs, &in, nil)
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	v, err := s.k.Propose(ctx, KindDoctypeCreate, a.TenantID(), a.ID(), DoctypeCreate{ID: kernel.NewID(), Code: in.Code, Label: strings.TrimSpace(in.Label),
		DelayDays: in.DelayDays, DelayUnit: string(in.DelayUnit), RemindBefore: in.RemindBefore, RemindAfter: in.RemindAfter, Mode: string(in.Mode),
		RetentionYears: in.RetentionYears, FinalDisposition: string(in.FinalDisposition)})
	if err != nil {
		return nil, err
	}
	return v.(*domain.Doctype), nil
}

// UpdateDoctype changes every field of a doctype but its code, which
// in.Code may repeat or leave empty.
func (s *Org) UpdateDoctype(ctx context.Context, a *kernel.Actor, id string, in DoctypeInput) (*domain.Doctype, error) {
	if err := kernel.RequireAdmin(a); err != nil {
		return nil, err
	}
	d, err := s.k.Reader().Doctype(ctx, a.TenantID(), id)
	if err != nil {
		return nil, err
	}
	errs := kernel.FieldErrors{}
	if in.Code != "" && in.Code != d.Code {
		errs["code"] = "le code d'un type de courrier ne change pas"
	}
	checkDoctype(errs, &in, d)
	if err := errs.OrNil(); err != nil {
		return nil, err
	}
	v, err := s.k.Propose(ctx, KindDoctypeUpdate, a.TenantID(), a.ID(), DoctypeUpdate{DoctypeID: d.ID, Label: strings.TrimSpace(in.Label),
		DelayDays: in.DelayDays, DelayUnit: string(in.DelayUnit), RemindBefore: in.RemindBefore, RemindAfter: in.RemindAfter, Mode: string(in.Mode),
		RetentionYears: in.RetentionYears, FinalDisposition: string(in.FinalDisposition)})
	if err != nil {
		return nil, err
	}
	return v.(*domain.Doctype), nil
}

// Doctype reads one doctype of the actor's tenant.
func (s *Org) Doctype(ctx context.Context, a *kernel.Actor, id string) (*domain.Doctype, error) {
	return s.k.Reader().Doctype(ctx, a.TenantID(), id)
}

func (s *Org) Doctypes(ctx context.Context, a *kernel.Actor) ([]domain.Doctype, error) {
	return s.k.Reader().Doctypes(ctx, a.TenantID())
}
