package appliance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"missive/appliance/authlimit"
	"missive/appliance/blob"
	"missive/appliance/domain"
	"missive/appliance/drafts"
	"missive/appliance/store"
)

// Proposer puts a command in the replicated log and returns what Apply
// returned for it once committed. The cluster package implements it.
type Proposer interface {
	Propose(ctx context.Context, cmd []byte) (any, error)
}

// Service is the entry point of every change and every read made on behalf
// of a user: the API, the web UI, the mail bridge, the WebDAV share and the
// CLI all go through it.
type Service struct {
	Store *store.Store
	Blobs *blob.Store
	prop  Proposer
	log   *slog.Logger
	// MaxUpload bounds one document, in bytes.
	MaxUpload int64
	// Now is the clock; tests replace it.
	Now func() time.Time
	// Secrets seals relay and mailbox passwords (secrets.go); nil keeps
	// them in clear, as tests and older data dirs do.
	Secrets *SecretBox
	// reg stamps registration numbers on this node so that they are
	// gap-free without a retry storm (numbering.go).
	reg numbering
	// Office converts final answers to PDF with LibreOffice (replies.go).
	Office *drafts.Converter
	// Applier is this node's, when the Service knows it: while committed
	// entries wait for the store, writes are refused as unavailable
	// instead of joining the queue.
	Applier *Applier
	// Logins brakes password guessing on every door that takes a password
	// (Authenticate, CheckCurrentPassword): one per process, shared.
	Logins *authlimit.Limiter
}

func NewService(st *store.Store, blobs *blob.Store, prop Proposer, log *slog.Logger) *Service {
	s := &Service{Store: st, Blobs: blobs, prop: prop, log: log, MaxUpload: 50 << 20, Now: time.Now, Office: drafts.NewConverter(log, 1)}
	// The limiter reads the Service's clock, which tests replace.
	s.Logins = authlimit.New(func() time.Time { return s.Now() }, authlimit.Limits{})
	return s
}

// propose submits a command and unwraps the Result of its application.
func (s *Service) propose(ctx context.Context, kind Kind, tenant, actor string, payload any) (any, error) {
	if err := s.writable(); err != nil {
		return nil, err
	}
	cmd, err := NewCommand(kind, tenant, actor, s.Now(), payload)
	if err != nil {
		return nil, err
	}
	stampIdem(ctx, cmd)
	b, err := cmd.Encode()
	if err != nil {
		return nil, err
	}
	resp, err := s.prop.Propose(ctx, b)
	return applyResult(ctx, kind, resp, err)
}

func (s *Service) reader() store.Reader { return s.Store.Reader() }

// writable refuses a write while committed entries wait for the store: it
// would only wait behind them, and was validated against a store that
// lacks them.
func (s *Service) writable() error {
	if s.Applier != nil && !s.Applier.Drain() {
		return fmt.Errorf("%w: %d modifications attendent la base de données", ErrUnavailable, s.Applier.Pending())
	}
	return nil
}

// Ready says whether this node's store serves: it answers a cheap query
// and no committed entry waits for it.
func (s *Service) Ready(ctx context.Context) error {
	if err := s.writable(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := s.Store.Check(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// today is the civil date in Paris.
func (s *Service) today() time.Time {
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

func (a *Actor) ID() string              { return a.User.ID }
func (a *Actor) Role() domain.Role       { return a.User.Role }
func (a *Actor) TenantID() string        { return a.Tenant.ID }
func (a *Actor) IsAdmin() bool           { return a.User.Role == domain.RoleAdmin }
func (a *Actor) InEntity(id string) bool { return a.entities[id] }

// ActorFor loads a user and computes their perimeter: the entities they
// belong to, plus every sub-entity of those they manage.
func (s *Service) ActorFor(ctx context.Context, tenant, userID string) (*Actor, error) {
	r := s.reader()
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
	return newActor(t, u, ents), nil
}

func newActor(t *domain.Tenant, u *domain.User, ents []domain.Entity) *Actor {
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
func (s *Service) SystemActor(ctx context.Context, tenant string) (*Actor, error) {
	t, err := s.reader().Tenant(ctx, tenant)
	if err != nil {
		return nil, err
	}
	u := &domain.User{ID: SystemActor, Login: SystemActor, Name: "Missive", Role: domain.RoleAdmin}
	return newActor(t, u, nil), nil
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

// loginKeys are the limiter's keys of an attempt: the login (in its
// tenant) and the client's address.
func loginKeys(tenant, login, addr string) (string, string) {
	return "login:" + tenant + "/" + strings.ToLower(login), "addr:" + addr
}

// Authenticate checks a login and password from the client address addr
// and returns the actor. The attempt is counted by s.Logins before the
// password is checked; too many answer a *ThrottledError without a check.
// A wrong login or password is ErrForbidden; a failure of the store is
// another error (the caller answers "unavailable", not "wrong password"),
// and is not held against the login.
func (s *Service) Authenticate(ctx context.Context, tenant, login, password, addr string) (*Actor, error) {
	loginKey, addrKey := loginKeys(tenant, login, addr)
	if wait := s.Logins.Attempt(loginKey, addrKey); wait > 0 {
		return nil, &ThrottledError{Wait: wait}
	}
	u, err := s.reader().UserByLogin(ctx, tenant, login)
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
func (s *Service) AuthenticateToken(ctx context.Context, token string) (*Actor, error) {
	tenant, userID, err := s.reader().TokenOwner(ctx, TokenHash(token), s.Now().UTC().Format(domain.TimeLayout))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrForbidden
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate token: %w", err)
	}
	return s.ActorFor(ctx, tenant, userID)
}

// requireAdmin is the check of every organisation change.
func requireAdmin(a *Actor) error {
	if !a.IsAdmin() {
		return fmt.Errorf("%w: réservé aux administrateurs", ErrForbidden)
	}
	return nil
}

// ErrAlreadyBootstrapped is returned by Bootstrap on a data dir in use.
var ErrAlreadyBootstrapped = errors.New("déjà initialisé")

// Bootstrap creates, on an empty store, the tenant "default", its root
// entity, a few common doctypes and the user "admin" with this password.
func (s *Service) Bootstrap(ctx context.Context, tenantName, adminPassword string) error {
	if _, err := s.reader().Tenant(ctx, "default"); err == nil {
		return ErrAlreadyBootstrapped
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if _, err := s.propose(ctx, KindTenantCreate, "default", SystemActor, TenantCreate{ID: "default", Name: tenantName}); err != nil {
		return fmt.Errorf("create tenant: %w", err)
	}
	root := NewID()
	if _, err := s.propose(ctx, KindEntityCreate, "default", SystemActor, EntityCreate{ID: root, Code: "MAIRIE", Name: "Mairie"}); err != nil {
		return fmt.Errorf("create root entity: %w", err)
	}
	for _, d := range []DoctypeCreate{
		{Code: "COURRIER", Label: "Courrier simple", DelayDays: 15, RemindBefore: 3, RemindAfter: 5, Mode: "normal"},
		{Code: "RECLAMATION", Label: "Réclamation", DelayDays: 21, RemindBefore: 5, RemindAfter: 5, Mode: "normal"},
		{Code: "DEMANDE-SVA", Label: "Demande d'autorisation (silence vaut acceptation)", DelayDays: domain.SilenceMonths, DelayUnit: string(domain.UnitMonths),
			RemindBefore: 10, RemindAfter: 0, Mode: "sva"},
		{Code: "DEMANDE-SVR", Label: "Demande (silence vaut rejet)", DelayDays: domain.SilenceMonths, DelayUnit: string(domain.UnitMonths),
			RemindBefore: 10, RemindAfter: 0, Mode: "svr"},
	} {
		if d.DelayUnit == "" {
			d.DelayUnit = string(domain.UnitWorkingDays)
		}
		d.ID = NewID()
		if _, err := s.propose(ctx, KindDoctypeCreate, "default", SystemActor, d); err != nil {
			return fmt.Errorf("create doctype %s: %w", d.Code, err)
		}
	}
	_, err := s.propose(ctx, KindUserCreate, "default", SystemActor, UserCreate{
		ID: NewID(), Login: "admin", Name: "Administrateur", Role: string(domain.RoleAdmin),
		PasswordHash: HashPassword(adminPassword), Entities: []MembershipPayload{{EntityID: root, Manager: true}},
	})
	if err != nil {
		return fmt.Errorf("create admin: %w", err)
	}
	return nil
}
