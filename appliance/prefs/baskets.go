// Package prefs holds each user's preferences: the baskets ("bannettes")
// of each role, saved searches, and the letters a user follows; and the
// counts the home page shows from them.
package prefs

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"missive/appliance/domain"
	"missive/appliance/kernel"
	"missive/appliance/store"
)

// Prefs reads and changes the user preferences.
type Prefs struct{ k *kernel.Kernel }

// New makes the preferences feature of one appliance.
func New(k *kernel.Kernel) *Prefs { return &Prefs{k: k} }

// A basket ("bannette") is a saved view of letters plus the actions allowed
// on a selection of them there. Its filter is typed: an administrator
// chooses among scopes, statuses and "late", never writes a query.

// Basket scopes: whose letters, within the user's perimeter.
const (
	ScopeAll      = "all"      // every letter the user sees
	ScopeMine     = "mine"     // assigned to the user
	ScopeService  = "service"  // of the user's entities (and sub-entities they manage)
	ScopeCopy     = "copy"     // copied to the user or to one of their entities
	ScopeFollowed = "followed" // followed by the user
)

// Scopes lists the scopes in the order the admin page offers them.
var Scopes = []string{ScopeAll, ScopeMine, ScopeService, ScopeCopy, ScopeFollowed}

// Basket actions, applied to a selection of letters.
const (
	ActionTake     = "take"     // assign to oneself
	ActionRedirect = "redirect" // send to an entity and/or a user
	ActionClose    = "close"
	ActionReopen   = "reopen"
	ActionFollow   = "follow"
	ActionUnfollow = "unfollow"
)

// Actions lists the actions in the order the pages offer them.
var Actions = []string{ActionTake, ActionRedirect, ActionClose, ActionReopen, ActionFollow, ActionUnfollow}

// BasketFilter is a basket's typed filter.
type BasketFilter struct {
	Scope    string          `json:"scope"`
	Statuses []domain.Status `json:"statuses,omitempty"`
	Overdue  bool            `json:"overdue,omitempty"`
}

// BasketDef is one basket of a role. An empty Label means the built-in
// label of the basket's id, translated by the UI.
type BasketDef struct {
	ID      string       `json:"id"`
	Label   string       `json:"label,omitempty"`
	Filter  BasketFilter `json:"filter"`
	Actions []string     `json:"actions"`
}

var basketIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

func (b *BasketDef) check() error {
	errs := b.fieldErrors("")
	return errs.OrNil()
}

func (b *BasketDef) fieldErrors(prefix string) kernel.FieldErrors {
	errs := kernel.FieldErrors{}
	if !basketIDRe.MatchString(b.ID) {
		errs[prefix+"id"] = "minuscules, chiffres et - (32 au plus)"
	}
	if utf8.RuneCountInString(b.Label) > 60 {
		errs[prefix+"label"] = "60 caractères au plus"
	}
	if !slices.Contains(Scopes, b.Filter.Scope) {
		errs[prefix+"scope"] = "périmètre inconnu"
	}
	for _, s := range b.Filter.Statuses {
		if !s.Valid() {
			errs[prefix+"statuses"] = "statut inconnu"
		}
	}
	for _, x := range b.Actions {
		if !slices.Contains(Actions, x) {
			errs[prefix+"actions"] = "action inconnue: " + x
		}
	}
	return errs
}

// Allows says whether the basket offers an action.
func (b *BasketDef) Allows(action string) bool { return slices.Contains(b.Actions, action) }

var openStatuses = []domain.Status{domain.StatusNew, domain.StatusInProgress}

// The built-in baskets, by id.
var builtinBaskets = map[string]BasketDef{
	"qualify":  {ID: "qualify", Filter: BasketFilter{Scope: ScopeAll, Statuses: []domain.Status{domain.StatusNew}}, Actions: []string{ActionTake, ActionRedirect, ActionClose, ActionFollow}},
	"mine":     {ID: "mine", Filter: BasketFilter{Scope: ScopeMine, Statuses: openStatuses}, Actions: []string{ActionRedirect, ActionClose, ActionFollow}},
	"service":  {ID: "service", Filter: BasketFilter{Scope: ScopeService, Statuses: openStatuses}, Actions: []string{ActionTake, ActionRedirect, ActionClose, ActionFollow}},
	"copy":     {ID: "copy", Filter: BasketFilter{Scope: ScopeCopy, Statuses: openStatuses}, Actions: []string{ActionFollow}},
	"late":     {ID: "late", Filter: BasketFilter{Scope: ScopeAll, Overdue: true}, Actions: []string{ActionTake, ActionRedirect, ActionClose, ActionFollow}},
	"followed": {ID: "followed", Filter: BasketFilter{Scope: ScopeFollowed}, Actions: []string{ActionUnfollow}},
	"closed":   {ID: "closed", Filter: BasketFilter{Scope: ScopeService, Statuses: []domain.Status{domain.StatusClosed}}, Actions: []string{ActionReopen}},
}

// defaultBaskets are each role's baskets until an administrator sets them.
var defaultBaskets = map[domain.Role][]string{
	domain.RoleAdmin:    {"qualify", "mine", "service", "copy", "late", "followed", "closed"},
	domain.RoleMailroom: {"qualify", "mine", "copy", "late", "followed", "closed"},
	domain.RoleAgent:    {"mine", "service", "copy", "late", "followed", "closed"},
	domain.RoleElected:  {"service", "copy", "late", "followed", "closed"},
}

// DefaultBaskets returns a role's built-in baskets. An elected member reads
// only: their baskets offer following, nothing that changes a letter.
func DefaultBaskets(role domain.Role) []BasketDef {
	var out []BasketDef
	for _, id := range defaultBaskets[role] {
		b := builtinBaskets[id]
		b.Actions = slices.Clone(b.Actions)
		if role == domain.RoleElected {
			b.Actions = slices.DeleteFunc(b.Actions, func(x string) bool { return x != ActionFollow && x != ActionUnfollow })
		}
		if b.Filter.Overdue {
			b.Filter.Scope = lateScope(role)
		}
		out = append(out, b)
	}
	return out
}

// BuiltinBasket returns the built-in basket of this id, for the admin page.
func BuiltinBasket(id string) (BasketDef, bool) {
	b, ok := builtinBaskets[id]
	return b, ok
}

// RoleBaskets returns a role's baskets: the configured ones, or the
// built-in ones when the role has none.
func (s *Prefs) RoleBaskets(ctx context.Context, tenant string, role domain.Role) ([]BasketDef, error) {
	rows, err := s.k.Reader().Baskets(ctx, tenant, string(role))
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return DefaultBaskets(role), nil
	}
	out := make([]BasketDef, 0, len(rows))
	for _, r := range rows {
		b := BasketDef{ID: r.ID, Label: r.Label, Actions: strings.Fields(r.Actions)}
		if err := json.Unmarshal([]byte(r.Filter), &b.Filter); err != nil {
			return nil, fmt.Errorf("basket %s of %s: %w", r.ID, role, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// Baskets returns the actor's baskets.
func (s *Prefs) Baskets(ctx context.Context, a *kernel.Actor) ([]BasketDef, error) {
	return s.RoleBaskets(ctx, a.TenantID(), a.Role())
}

// Basket returns one of the actor's baskets by id.
func (s *Prefs) Basket(ctx context.Context, a *kernel.Actor, id string) (*BasketDef, error) {
	bs, err := s.Baskets(ctx, a)
	if err != nil {
		return nil, err
	}
	for i := range bs {
		if bs[i].ID == id {
			return &bs[i], nil
		}
	}
	return nil, fmt.Errorf("bannette %s: %w", id, kernel.ErrNotFound)
}

// SetBaskets replaces a role's baskets (admin). An empty list restores the
// built-in ones.
func (s *Prefs) SetBaskets(ctx context.Context, a *kernel.Actor, role domain.Role, bs []BasketDef) error {
	if err := kernel.RequireAdmin(a); err != nil {
		return err
	}
	errs := kernel.FieldErrors{}
	if !role.Valid() {
		errs["role"] = "rôle inconnu"
	}
	if len(bs) > 30 {
		errs["baskets"] = "30 bannettes au plus"
	}
	seen := map[string]bool{}
	for i := range bs {
		bs[i].Label = strings.TrimSpace(bs[i].Label)
		if bs[i].Actions == nil {
			bs[i].Actions = []string{}
		}
		prefix := fmt.Sprintf("baskets.%d.", i)
		for k, v := range bs[i].fieldErrors(prefix) {
			errs[k] = v
		}
		if seen[bs[i].ID] {
			errs[prefix+"id"] = "identifiant déjà utilisé par une autre bannette"
		}
		seen[bs[i].ID] = true
		if _, builtin := builtinBaskets[bs[i].ID]; !builtin && bs[i].Label == "" {
			errs[prefix+"label"] = "obligatoire pour une bannette ajoutée"
		}
	}
	if err := errs.OrNil(); err != nil {
		return err
	}
	_, err := s.k.Propose(ctx, KindBasketsSet, a.TenantID(), a.ID(), BasketsSet{Role: string(role), Baskets: bs})
	return err
}

// scope turns a basket's filter into the store's scope for this actor.
func (s *Prefs) scope(a *kernel.Actor, b *BasketDef) store.BasketScope {
	sc := store.BasketScope{Statuses: b.Filter.Statuses, Overdue: b.Filter.Overdue}
	switch b.Filter.Scope {
	case ScopeMine:
		sc.AssigneeID = a.ID()
	case ScopeService:
		sc.Entities = a.Perimeter.Entities
		sc.None = len(sc.Entities) == 0
	case ScopeCopy:
		// Copied to the user or to an entity they belong to; a manager's
		// sub-entities have their own copies, not the manager's.
		sc.CopyUser = a.ID()
		for _, m := range a.User.Entities {
			sc.CopyEntities = append(sc.CopyEntities, m.EntityID)
		}
	case ScopeFollowed:
		sc.FollowedBy = a.ID()
	}
	return sc
}

// BasketLetters lists a basket's letters matching f.
func (s *Prefs) BasketLetters(ctx context.Context, a *kernel.Actor, b *BasketDef, f store.LetterFilter) ([]domain.Letter, int, error) {
	f.Today = s.k.Today().Format(domain.DateLayout)
	if !store.ValidSort(f.Sort) {
		return nil, 0, kernel.FieldErrors{"sort": "tri inconnu"}
	}
	if f.Limit > 500 {
		f.Limit = 500
	}
	return s.k.Reader().BasketLetters(ctx, a.Perimeter, s.scope(a, b), f, 0)
}

// BasketCount counts a basket's letters, up to limit (0: all of them).
func (s *Prefs) BasketCount(ctx context.Context, a *kernel.Actor, b *BasketDef, limit int) (int, error) {
	return s.k.Reader().CountBasket(ctx, a.Perimeter, s.scope(a, b), s.k.Today().Format(domain.DateLayout), limit)
}

// LateLetters lists the letters of the actor's "late" basket (their
// role's default one if they have none), the longest overdue first, and
// counts them up to countLimit.
func (s *Prefs) LateLetters(ctx context.Context, a *kernel.Actor, limit, countLimit int) ([]domain.Letter, int, error) {
	late, err := s.Basket(ctx, a, "late")
	if err != nil {
		late = &BasketDef{ID: "late", Filter: BasketFilter{Scope: lateScope(a.Role()), Overdue: true}}
	}
	f := store.LetterFilter{Sort: "due", Limit: limit, Today: s.k.Today().Format(domain.DateLayout)}
	return s.k.Reader().BasketLetters(ctx, a.Perimeter, s.scope(a, late), f, countLimit)
}

// lateScope is whose late letters a role watches: the whole town for the
// mail room and administrators, their own services for the others (a
// letter they are only copied on is someone else's to answer).
func lateScope(r domain.Role) string {
	if r == domain.RoleAdmin || r == domain.RoleMailroom {
		return ScopeAll
	}
	return ScopeService
}

// Follow adds a letter the actor sees to their "Suivis" basket; anyone who
// sees a letter may follow it, an elected member too.
func (s *Prefs) Follow(ctx context.Context, a *kernel.Actor, letterID string) error {
	l, err := s.k.Reader().Letter(ctx, a.Perimeter, letterID)
	if err != nil {
		return err
	}
	_, err = s.k.Propose(ctx, KindLetterFollow, a.TenantID(), a.ID(), LetterFollow{LetterID: l.ID})
	return err
}

func (s *Prefs) Unfollow(ctx context.Context, a *kernel.Actor, letterID string) error {
	l, err := s.k.Reader().Letter(ctx, a.Perimeter, letterID)
	if err != nil {
		return err
	}
	_, err = s.k.Propose(ctx, KindLetterUnfollow, a.TenantID(), a.ID(), LetterFollow{LetterID: l.ID})
	return err
}

// Following says whether the actor follows the letter.
func (s *Prefs) Following(ctx context.Context, a *kernel.Actor, letterID string) (bool, error) {
	return s.k.Reader().Following(ctx, a.ID(), letterID)
}

// Today is the civil date in Paris, for pages that count the days left
// before a due date.
func (s *Prefs) Today() time.Time { return s.k.Today() }
