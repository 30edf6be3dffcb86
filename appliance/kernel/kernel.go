// Package kernel is the write path every feature shares: the command
// envelope and the registry of kinds, the Applier (the only writer of the
// store), the history chain, the proposer, the actor and its perimeter,
// errors, ids and secrets. Features (appliance/letters, appliance/mail…)
// register their kinds here and propose through a Kernel; nothing in this
// package knows a feature. appliance/DESIGN.md tells the write path.
package kernel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"missive/appliance/authlimit"
	"missive/appliance/blob"
	"missive/appliance/domain"
	"missive/appliance/store"
	"strings"
	"sync"
	"time"
)

// Settings are the knobs of a running appliance that its owner (the
// command line, a test) sets after construction: the facade embeds them,
// so svc.Now = clock reaches every feature at once.
type Settings struct {
	// Log is the appliance's logger.
	Log *slog.Logger
	// MaxUpload bounds one document, in bytes.
	MaxUpload int64
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Secrets seals relay and mailbox passwords (secrets.go); nil keeps
	// them in clear, as tests and older data dirs do.
	Secrets *SecretBox
	// Applier is this node's, when known: while committed entries wait
	// for the store, writes are refused as unavailable instead of joining
	// the queue.
	Applier *Applier
	// Logins brakes password guessing on every door that takes a password
	// (Authenticate, CheckCurrentPassword): one per process, shared.
	Logins *authlimit.Limiter
	// ReadOnly says why this node takes no write (it started on a full
	// disk), for the pages to show; "" when it takes them. The writes
	// themselves are refused by the Proposer (ReadOnlyError).
	ReadOnly string
}

// Kernel is what a feature holds: the store and blob store, read and
// written only through it, the proposer, and the shared Settings. It is
// never handed to the outer layers (web, api, mail bridge, WebDAV), which
// see the facade's methods only.
type Kernel struct {
	*Settings
	store *store.Store
	blobs *blob.Store
	prop  Proposer
}

// New makes the kernel of one appliance.
func New(st *store.Store, blobs *blob.Store, prop Proposer, log *slog.Logger) *Kernel {
	set := &Settings{Log: log, MaxUpload: 50 << 20, Now: time.Now}
	// The limiter reads the clock, which tests replace.
	set.Logins = authlimit.New(func() time.Time { return set.Now() }, authlimit.Limits{})
	return &Kernel{Settings: set, store: st, blobs: blobs, prop: prop}
}

// Store is the store, for a feature's own reads and the facade's
// wiring; outer layers never get it.
func (s *Kernel) Store() *store.Store { return s.store }

// Blobs is the blob store, on the same terms as Store.
func (s *Kernel) Blobs() *blob.Store { return s.blobs }

// Prop is the proposer, for features that pipeline (numbering).
func (s *Kernel) Prop() Proposer { return s.prop }

// Proposer puts a command in the replicated log and returns what Apply
// returned for it once committed. The cluster package implements it.
type Proposer interface {
	Propose(ctx context.Context, cmd []byte) (any, error)
}

// Propose submits a command and unwraps the Result of its application.
func (s *Kernel) Propose(ctx context.Context, kind Kind, tenant, actor string, payload any) (any, error) {
	if err := s.Writable(); err != nil {
		return nil, err
	}
	cmd, err := NewCommand(kind, tenant, actor, s.Now(), payload)
	if err != nil {
		return nil, err
	}
	StampIdem(ctx, cmd)
	b, err := cmd.Encode()
	if err != nil {
		return nil, err
	}
	resp, err := s.prop.Propose(ctx, b)
	return ApplyResult(ctx, kind, resp, err)
}

// Reader reads the local store.
func (s *Kernel) Reader() store.Reader { return s.store.Reader() }

// Writable refuses a write while committed entries wait for the store: it
// would only wait behind them, and was validated against a store that
// lacks them.
func (s *Kernel) Writable() error {
	if s.Applier != nil && !s.Applier.Drain() {
		return fmt.Errorf("%w: %d modifications attendent la base de données", ErrUnavailable, s.Applier.Pending())
	}
	return nil
}

// Ready says whether this node's store serves: it answers a cheap query
// and no committed entry waits for it.
func (s *Kernel) Ready(ctx context.Context) error {
	if err := s.Writable(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := s.store.Check(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// Today is the civil date in Paris.
func (s *Kernel) Today() time.Time {
	y, m, d := s.Now().In(domain.Paris).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Actor is a user resolved for one request: who they are and what they see.
type Actor struct {
	User      *domain.User
	Tenant    *domain.Tenant
	Perimeter store.Perimeter
	entities  map[string]bool
}

func (a *Actor) ID() string { return a.User.ID }

func (a *Actor) Role() domain.Role { return a.User.Role }

func (a *Actor) TenantID() string { return a.Tenant.ID }

func (a *Actor) IsAdmin() bool { return a.User.Role == domain.RoleAdmin }

func (a *Actor) InEntity(id string) bool { return a.entities[id] }

// ActorFor loads a user and computes their perimeter: the entities they
// belong to, plus every sub-entity of those they manage.
func (s *Kernel) ActorFor(ctx context.Context, tenant, userID string) (*Actor, error) {
	r := s.Reader()
	t, err := r.Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	u, err := r.User(ctx, tenant, userID)
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, fmt.Errorf("%w: compte désactivé", ErrForbidden)
	}
	ents, err := r.Entities(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return NewActor(t, u, ents), nil
}

func NewActor(t *domain.Tenant, u *domain.User, ents []domain.Entity) *Actor {
	children := map[string][]string{}
	for _, e := range ents {
		children[e.ParentID] = append(children[e.ParentID], e.ID)
	}
	set := map[string]bool{}
	var walk func(id string)
	walk = func(id string) {
		if set[id] {
			return
		}
		set[id] = true
		for _, c := range children[id] {
			walk(c)
		}
	}
	for _, m := range u.Entities {
		if m.Manager {
			walk(m.EntityID)
		} else {
			set[m.EntityID] = true
		}
	}
	p := store.Perimeter{TenantID: t.ID, UserID: u.ID, All: u.Role == domain.RoleAdmin, AllOpen: u.Role == domain.RoleMailroom}
	for id := range set {
		p.Entities = append(p.Entities, id)
	}
	return &Actor{User: u, Tenant: t, Perimeter: p, entities: set}
}

// SystemActor acts for Missive itself in a tenant (first start, mail intake).
func (s *Kernel) SystemActor(ctx context.Context, tenant string) (*Actor, error) {
	t, err := s.Reader().Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	u := &domain.User{ID: SystemActor, Login: SystemActor, Name: "Missive", Role: domain.RoleAdmin}
	return NewActor(t, u, nil), nil
}

// ErrThrottled means too many password attempts: the caller must wait
// (ThrottledError says how long) and no password was checked.
var ErrThrottled = errors.New("trop de tentatives")

// ThrottledError is ErrThrottled with the wait.
type ThrottledError struct{ Wait time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("trop de tentatives: réessayez dans %d s", int(e.Wait.Round(time.Second)/time.Second)+1)
}

func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// LoginKeys are the limiter's keys of an attempt: the login (in its
// tenant) and the client's address.
func LoginKeys(tenant, login, addr string) (string, string) {
	return "login:" + tenant + "/" + strings.ToLower(login), "addr:" + addr
}

// Authenticate checks a login and password from the client address addr
// and returns the actor. The attempt is counted by s.Logins before the
// password is checked; too many answer a *ThrottledError without a check.
// A wrong login or password is ErrForbidden; a failure of the store is
// another error (the caller answers "unavailable", not "wrong password"),
// and is not held against the login.
func (s *Kernel) Authenticate(ctx context.Context, tenant, login, password, addr string) (*Actor, error) {
	loginKey, addrKey := LoginKeys(tenant, login, addr)
	if wait := s.Logins.Attempt(loginKey, addrKey); wait > 0 {
		return nil, &ThrottledError{Wait: wait}
	}
	u, err := s.Reader().UserByLogin(ctx, tenant, login)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Same work and answer whether or not the login exists.
		CheckPassword(dummyHash(), password)
		return nil, ErrForbidden
	case err != nil:
		s.Logins.Release(loginKey, addrKey)
		return nil, fmt.Errorf("authenticate %s: %w", login, err)
	}
	if !CheckPassword(u.PasswordHash, password) {
		return nil, ErrForbidden
	}
	a, err := s.ActorFor(ctx, tenant, u.ID)
	switch {
	case errors.Is(err, ErrForbidden), errors.Is(err, store.ErrNotFound):
		return nil, ErrForbidden
	case err != nil:
		s.Logins.Release(loginKey, addrKey)
		return nil, fmt.Errorf("authenticate %s: %w", login, err)
	}
	s.Logins.Success(loginKey, addrKey)
	return a, nil
}

// dummyHash is computed on first use: hashing at init cost every CLI
// command (missive version included) an argon2 run.
var dummyHash = sync.OnceValue(func() string { return HashPassword("missive-dummy") })

// AuthenticateToken resolves a Bearer token.
func (s *Kernel) AuthenticateToken(ctx context.Context, token string) (*Actor, error) {
	owner := func() (string, string, error) {
		return s.Reader().TokenOwner(ctx, TokenHash(token), s.Now().UTC().Format(domain.TimeLayout))
	}
	tenant, userID, err := owner()
	if errors.Is(err, store.ErrNotFound) && s.ReadConsistent(ctx) == nil {
		// Tokens are valid on every node at once: one made on another
		// node a moment ago may not be applied here yet. Catch up with
		// the leader's read index and look again before refusing.
		tenant, userID, err = owner()
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrForbidden
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate token: %w", err)
	}
	return s.ActorFor(ctx, tenant, userID)
}

// RequireAdmin is the check of every organisation change.
func RequireAdmin(a *Actor) error {
	if !a.IsAdmin() {
		return fmt.Errorf("%w: réservé aux administrateurs", ErrForbidden)
	}
	return nil
}

// ReadConsistent waits until this node has applied every write committed
// cluster-wide before the call, so that the read that follows is
// linearizable (?consistency=strong). A proposer that cannot tell (a
// test's) makes it a no-op.
func (s *Kernel) ReadConsistent(ctx context.Context) error {
	if r, ok := s.prop.(interface{ ReadIndex(context.Context) error }); ok {
		return r.ReadIndex(ctx)
	}
	return nil
}

func CanWrite(a *Actor) error {
	if a.Role() == domain.RoleElected {
		return fmt.Errorf("%w: accès en lecture seule", ErrForbidden)
	}
	return nil
}

// CanAct says whether the actor may act on a letter they see (redirect,
// close, qualify, attach): the rule letterToAct enforces, for pages that
// decide which buttons to show.
func (a *Actor) CanAct(l *domain.Letter) bool {
	if CanWrite(a) != nil {
		return false
	}
	return a.Role() == domain.RoleAdmin || a.Role() == domain.RoleMailroom || l.AssigneeID == a.ID() || a.InEntity(l.EntityID)
}

// Clock is Now, as a method for the outer layers' interfaces.
func (s *Settings) Clock() time.Time { return s.Now() }

// UploadLimit is MaxUpload, as a method for the outer layers' interfaces.
func (s *Settings) UploadLimit() int64 { return s.MaxUpload }

// ReadOnlyReason is ReadOnly, as a method for the outer layers' interfaces.
func (s *Settings) ReadOnlyReason() string { return s.ReadOnly }
