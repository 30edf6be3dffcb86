package appliance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"missive/appliance/domain"
	"missive/appliance/store"
)

// Applier applies committed commands to the local store. It is the only
// writer of the store; the cluster's FSM delegates to it on every node, in
// log order, so it must be deterministic: no clock, no randomness, no I/O
// but the store.
type Applier struct {
	store *store.Store
	log   *slog.Logger

	// mu serialises applying: raft's FSM goroutine and the retrier of
	// entries that wait for the store (pending.go).
	mu sync.Mutex
	// pending are committed entries the store could not take yet, in log
	// order; npending is their number, read without the lock.
	pending  []pendingEntry
	npending atomic.Int64
	retrying bool
	closed   chan struct{}
	once     sync.Once

	// key signs history entries (history.go); nil leaves them unsigned.
	key []byte

	// waiting maps a command id to whoever waits for its result here: a
	// follower that forwarded the command to the leader (Expect).
	wmu     sync.Mutex
	waiting map[string]chan any
}

// WithHistoryKey makes the Applier sign history entries with key, derived
// from secrets.key (HistoryKeyLabel): every node of a cluster must hold the
// same secrets.key, or their stores differ.
func (a *Applier) WithHistoryKey(key []byte) *Applier {
	a.key = key
	return a
}

func NewApplier(s *store.Store, log *slog.Logger) *Applier {
	return &Applier{store: s, log: log, closed: make(chan struct{}), waiting: map[string]chan any{}}
}

// Expect registers interest in the result of a command, applied here. A
// follower forwards a command to the leader and waits for its own Apply
// of it: Apply is deterministic, so the typed result is the one the
// leader got, and a read on this node that follows sees the write.
// cancel stops waiting; the result channel receives at most one value,
// once the command is applied or refused here (not while it is pending).
func (a *Applier) Expect(data []byte) (result <-chan any, cancel func()) {
	var env struct {
		ID string `json:"id"`
	}
	json.Unmarshal(data, &env)
	ch := make(chan any, 1)
	a.wmu.Lock()
	a.waiting[env.ID] = ch
	a.wmu.Unlock()
	return ch, func() {
		a.wmu.Lock()
		if a.waiting[env.ID] == ch {
			delete(a.waiting, env.ID)
		}
		a.wmu.Unlock()
	}
}

// deliver hands a result to whoever waits for the command here.
func (a *Applier) deliver(id string, r *Result) {
	a.wmu.Lock()
	ch := a.waiting[id]
	delete(a.waiting, id)
	a.wmu.Unlock()
	if ch != nil {
		ch <- r
	}
}

// Result is what Apply returns to the proposer through the raft future.
type Result struct {
	Value any
	Err   error
	// Idem is the key the command recorded, if it carried one.
	Idem *store.IdemRecord
}

// applyCtx is what a handler sees of the command being applied.
type applyCtx struct {
	ctx context.Context
	tx  *store.Tx
	cmd *Command
	at  string // cmd.At in TimeLayout
	// Set by the handler for the history entry.
	letterID string
	summary  string
	// payload recorded in history; defaults to the command payload.
	payload []byte
	// key signs history entries, nil for none.
	key []byte
}

type handler func(a *applyCtx) (any, error)

// registerCore registers the organisation's and the letters' kinds.
func registerCore(r *Registry) {
	Handle(r, KindTenantCreate, applyTenantCreate)
	Handle(r, KindEntityCreate, applyEntityCreate)
	Handle(r, KindUserCreate, applyUserCreate)
	Handle(r, KindUserUpdate, applyUserUpdate)
	Handle(r, KindUserPassword, applyUserPassword)
	Handle(r, KindTokenCreate, applyTokenCreate)
	Handle(r, KindTokenRevoke, applyTokenRevoke)
	Handle(r, KindContactCreate, applyContactCreate)
	Handle(r, KindDoctypeCreate, applyDoctypeCreate)
	Handle(r, KindLetterRegister, applyLetterRegister)
	Handle(r, KindLetterQualify, applyLetterQualify)
	Handle(r, KindLetterRedirect, applyLetterRedirect)
	Handle(r, KindLetterNote, applyLetterNote)
	Handle(r, KindLetterAttach, applyLetterAttach)
	Handle(r, KindLetterLink, applyLetterLink)
	Handle(r, KindLetterClose, applyLetterClose)
	Handle(r, KindLetterReopen, applyLetterReopen)
}

// Apply applies the raft entry at index. A corrupt entry panics: the log is
// the source of truth and a node must not go on without it. A command that
// breaks a rule changes nothing and returns its error in the Result. An
// entry the store cannot take now (it does not answer) is neither skipped
// nor refused: it waits, with every entry after it, until the store answers
// again, and its proposer is told it is pending (pending.go).
func (a *Applier) Apply(index uint64, data []byte) any {
	cmd, err := DecodeCommand(data)
	if err != nil {
		panic(fmt.Sprintf("raft entry %d: %v", index, err))
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.applyLocked(index, cmd)
}

// applyLocked is Apply once the entry is decoded and a.mu held.
func (a *Applier) applyLocked(index uint64, cmd *Command) any {
	if a.drainLocked() {
		res, err := a.apply(index, cmd)
		if err == nil {
			return res
		}
		a.hold(index, cmd, err)
	} else {
		a.queue(index, cmd)
	}
	return &Result{Err: &PendingError{CommandID: cmd.ID}}
}

// apply applies one entry in one store transaction. Its error means the
// store could not be reached and nothing was applied; a refusal is in the
// Result.
func (a *Applier) apply(index uint64, cmd *Command) (*Result, error) {
	res := &Result{}
	ctx := context.Background()
	err := a.store.Update(ctx, index, func(tx *store.Tx) error { return a.run(ctx, tx, cmd, res) })
	if IsUnavailable(err) {
		return nil, err
	}
	return a.settle(index, cmd, res, err), nil
}

// run runs a command's handler in tx and appends its history entry; its
// result goes in res.
func (a *Applier) run(ctx context.Context, tx *store.Tx, cmd *Command, res *Result) error {
	ac := &applyCtx{ctx: ctx, tx: tx, cmd: cmd, at: cmd.At.UTC().Format(domain.TimeLayout), payload: cmd.Payload, key: a.key}
	h := kinds.handler(cmd.Kind)
	var v any
	var err error
	if cmd.Idem != nil {
		v, res.Idem, err = applyKeyed(ac, cmd.Idem, h)
	} else {
		v, err = h(ac)
	}
	if err != nil {
		res.Idem = nil
		return err
	}
	res.Value = v
	return appendHistory(ac)
}

// settle turns the outcome of a committed entry into its Result and hands
// it to whoever waits for it here. err is the entry's own error: a
// refusal, or ErrApplied for an entry applied before a restart.
func (a *Applier) settle(index uint64, cmd *Command, res *Result, err error) *Result {
	switch {
	case errors.Is(err, store.ErrApplied):
		return &Result{}
	case err != nil:
		res.Err = err
		a.log.Debug("command refused", "kind", cmd.Kind, "tenant", cmd.Tenant, "index", index, "err", err)
	}
	a.deliver(cmd.ID, res)
	return res
}

// SnapshotTo starts a consistent snapshot of the store now and returns the
// function that streams it, which may run while later commands apply. It
// refuses while entries wait for the store: raft would record them as in
// the snapshot and drop them from its log.
func (a *Applier) SnapshotTo() (func(io.Writer) error, func(), error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if n := len(a.pending); n > 0 {
		return nil, nil, fmt.Errorf("snapshot: %d committed entries wait for the store: %w", n, ErrUnavailable)
	}
	snap, err := a.store.BeginSnapshot(context.Background())
	if err != nil {
		return nil, nil, err
	}
	return snap.Stream, snap.Release, nil
}

// Restore replaces the store with a snapshot stream. Raft restores a
// snapshot past every entry it handed over, so nothing waits any more.
func (a *Applier) Restore(r io.Reader) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.store.Load(context.Background(), r); err != nil {
		return err
	}
	a.pending = nil
	a.npending.Store(0)
	return nil
}

func decode[T any](a *applyCtx) (*T, error) {
	var p T
	if err := strictUnmarshal(a.cmd.Payload, &p); err != nil {
		return nil, fmt.Errorf("%s payload: %w", a.cmd.Kind, err)
	}
	return &p, nil
}

// conflict turns a uniqueness violation into ErrConflict with a message.
func conflict(err error, msg string) error {
	if err == nil {
		return nil
	}
	s := strings.ToLower(err.Error())
	if strings.Contains(s, "unique") || strings.Contains(s, "duplicate key") {
		return fmt.Errorf("%w: %s", ErrConflict, msg)
	}
	return err
}

func applyTenantCreate(a *applyCtx, p *TenantCreate) (any, error) {
	t := &domain.Tenant{ID: p.ID, Name: p.Name, AlsaceMoselle: p.AlsaceMoselle, CreatedAt: a.at}
	if err := conflict(a.tx.InsertTenant(t), "la commune "+p.ID+" existe déjà"); err != nil {
		return nil, err
	}
	a.summary = "Commune « " + p.Name + " » créée"
	return t, nil
}

func applyEntityCreate(a *applyCtx, p *EntityCreate) (any, error) {
	if p.ParentID != "" {
		if _, err := a.tx.Entity(a.ctx, a.cmd.Tenant, p.ParentID); err != nil {
			return nil, err
		}
	}
	e := &domain.Entity{ID: p.ID, ParentID: p.ParentID, Code: p.Code, Name: p.Name, Email: p.Email, Address: p.Address, Phone: p.Phone, CreatedAt: a.at}
	if err := conflict(a.tx.InsertEntity(a.cmd.Tenant, e), "le code d'entité "+p.Code+" existe déjà"); err != nil {
		return nil, err
	}
	a.summary = "Entité « " + p.Name + " » créée"
	return e, nil
}

func memberships(a *applyCtx, ps []MembershipPayload) ([]domain.Membership, error) {
	out := make([]domain.Membership, 0, len(ps))
	for _, m := range ps {
		if _, err := a.tx.Entity(a.ctx, a.cmd.Tenant, m.EntityID); err != nil {
			return nil, err
		}
		out = append(out, domain.Membership{EntityID: m.EntityID, Manager: m.Manager})
	}
	return out, nil
}

// redact keeps secrets' hashes out of the history payload.
func redact(p any) []byte {
	b, _ := json.Marshal(p)
	return b
}

func applyUserCreate(a *applyCtx, p *UserCreate) (any, error) {
	if !domain.Role(p.Role).Valid() {
		return nil, fmt.Errorf("%w: rôle %q inconnu", ErrInvalid, p.Role)
	}
	ms, err := memberships(a, p.Entities)
	if err != nil {
		return nil, err
	}
	u := &domain.User{ID: p.ID, Login: p.Login, Name: p.Name, Email: p.Email, Role: domain.Role(p.Role), Entities: ms, PasswordHash: p.PasswordHash, CreatedAt: a.at}
	if err := conflict(a.tx.InsertUser(a.cmd.Tenant, u, a.at), "l'identifiant "+p.Login+" existe déjà"); err != nil {
		return nil, err
	}
	p.PasswordHash = ""
	a.payload = redact(p)
	a.summary = "Utilisateur « " + p.Login + " » créé (" + p.Role + ")"
	return u, nil
}

func applyUserUpdate(a *applyCtx, p *UserUpdate) (any, error) {
	u, err := a.tx.User(a.ctx, a.cmd.Tenant, p.UserID)
	if err != nil {
		return nil, err
	}
	if !domain.Role(p.Role).Valid() {
		return nil, fmt.Errorf("%w: rôle %q inconnu", ErrInvalid, p.Role)
	}
	if u.Entities, err = memberships(a, p.Entities); err != nil {
		return nil, err
	}
	u.Name, u.Email, u.Role, u.Disabled = p.Name, p.Email, domain.Role(p.Role), p.Disabled
	if err := a.tx.UpdateUser(a.cmd.Tenant, u, a.at); err != nil {
		return nil, err
	}
	a.summary = "Utilisateur « " + u.Login + " » modifié"
	if p.EndSessions {
		if _, err := endSessions(a, u.ID); err != nil {
			return nil, err
		}
		a.summary += " ; sessions et jetons d'API fermés"
	}
	return u, nil
}

// endSessions ends every web session of a user (their epoch moves on) and
// revokes every API token: what a changed password or a disabled account
// means. It returns the new epoch.
func endSessions(a *applyCtx, userID string) (int64, error) {
	epoch, err := a.tx.SessionEpoch(a.ctx, userID)
	if err != nil {
		return 0, err
	}
	epoch++
	if err := a.tx.SetSessionEpoch(a.cmd.Tenant, userID, epoch, a.at); err != nil {
		return 0, err
	}
	if err := a.tx.RevokeUserTokens(a.cmd.Tenant, userID); err != nil {
		return 0, err
	}
	return epoch, nil
}

func applyUserPassword(a *applyCtx, p *UserPassword) (any, error) {
	u, err := a.tx.User(a.ctx, a.cmd.Tenant, p.UserID)
	if err != nil {
		return nil, err
	}
	if err := a.tx.SetPassword(a.cmd.Tenant, p.UserID, p.PasswordHash, a.at); err != nil {
		return nil, err
	}
	a.payload = redact(UserPassword{UserID: p.UserID, EndSessions: p.EndSessions})
	a.summary = "Mot de passe de « " + u.Login + " » changé"
	if p.EndSessions {
		if _, err := endSessions(a, u.ID); err != nil {
			return nil, err
		}
		a.summary += " ; sessions et jetons d'API fermés"
	}
	return nil, nil
}

func applyTokenCreate(a *applyCtx, p *TokenCreate) (any, error) {
	u, err := a.tx.User(a.ctx, a.cmd.Tenant, p.UserID)
	if err != nil {
		return nil, err
	}
	if err := a.tx.InsertToken(a.cmd.Tenant, p.ID, p.UserID, p.Name, p.Hash, a.at, p.ExpiresAt); err != nil {
		return nil, err
	}
	p.Hash = ""
	a.payload = redact(p)
	a.summary = "Jeton d'API créé pour « " + u.Login + " »"
	return &domain.Token{ID: p.ID, UserID: u.ID, UserLogin: u.Login, Name: p.Name, CreatedAt: a.at, ExpiresAt: p.ExpiresAt}, nil
}

func applyTokenRevoke(a *applyCtx, p *TokenRevoke) (any, error) {
	t, err := a.tx.Token(a.ctx, a.cmd.Tenant, p.TokenID)
	if err != nil {
		return nil, err
	}
	if t.Revoked {
		return nil, fmt.Errorf("%w: jeton déjà révoqué", ErrConflict)
	}
	if err := a.tx.RevokeToken(a.cmd.Tenant, t.ID); err != nil {
		return nil, err
	}
	t.Revoked = true
	a.summary = "Jeton d'API « " + t.Name + " » de « " + t.UserLogin + " » révoqué"
	return t, nil
}

func contactFrom(p *ContactCreate, at string) *domain.Contact {
	return &domain.Contact{ID: p.ID, Kind: domain.ContactKind(p.Kind), Civility: p.Civility, FirstName: p.FirstName, LastName: p.LastName,
		Organization: p.Organization, Email: p.Email, Phone: p.Phone, Address: p.Address, Postcode: p.Postcode, City: p.City,
		Country: p.Country, CreatedAt: at}
}

func applyContactCreate(a *applyCtx, p *ContactCreate) (any, error) {
	c := contactFrom(p, a.at)
	if err := conflict(a.tx.InsertContact(a.cmd.Tenant, c), "un contact a déjà l'adresse "+p.Email); err != nil {
		return nil, err
	}
	a.summary = "Contact « " + c.DisplayName() + " » créé"
	return c, nil
}

func applyDoctypeCreate(a *applyCtx, p *DoctypeCreate) (any, error) {
	if !domain.Mode(p.Mode).Valid() {
		return nil, fmt.Errorf("%w: mode %q inconnu", ErrInvalid, p.Mode)
	}
	if err := checkRetention(p.RetentionYears, p.FinalDisposition); err != nil {
		return nil, err
	}
	days, unit, err := legacyDelay(p.Mode, p.DelayDays, p.DelayUnit)
	if err != nil {
		return nil, err
	}
	d := &domain.Doctype{ID: p.ID, Code: p.Code, Label: p.Label, DelayDays: days, DelayUnit: unit, RemindBefore: p.RemindBefore, RemindAfter: p.RemindAfter, Mode: domain.Mode(p.Mode),
		RetentionYears: p.RetentionYears, FinalDisposition: domain.Disposition(p.FinalDisposition), CreatedAt: a.at}
	if err := conflict(a.tx.InsertDoctype(a.cmd.Tenant, d), "le code "+p.Code+" existe déjà"); err != nil {
		return nil, err
	}
	a.summary = "Type de courrier « " + p.Label + " » créé"
	return d, nil
}
