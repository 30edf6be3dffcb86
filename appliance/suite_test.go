package appliance_test

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/store"
	"missive/appliance/store/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// suiteEnv is an appliance over one real store, with what a test needs to
// reach the database behind the Service's back (tampering, counting).
type suiteEnv struct {
	*apptest.Env
	DSN   string // "" for SQLite
	Clock *apptest.Clock
}

// forEachStore runs fn against SQLite and against PostgreSQL, in parallel
// subtests, each on a fresh bootstrapped store whose clock is fixed at
// 2026-03-10 09:00 in Paris.
func forEachStore(t *testing.T, fn func(t *testing.T, env *suiteEnv)) {
	t.Helper()
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			dsn := ""
			if dialect == "postgres" {
				dsn = pgtest.DSN(t)
			}
			env := &suiteEnv{Env: apptest.New(t, dsn), DSN: dsn, Clock: apptest.NewClock(time.Time{})}
			if got := env.Store.Dialect(); got != dialect {
				t.Fatalf("store dialect %q, want %q", got, dialect)
			}
			env.Clock.Set(t, "2026-03-10T09:00")
			env.Svc.Now = env.Clock.Now
			fn(t, env)
		})
	}
}

// rawDB opens a second connection pool on the store's database, as an
// attacker or a careless DBA with file or SQL access would.
func (e *suiteEnv) rawDB(t *testing.T) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if e.DSN == "" {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(e.Dir, "missive.db")+"?_pragma=busy_timeout(10000)")
	} else {
		db, err = sql.Open("pgx", e.DSN)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// q writes a raw query's ? placeholders in the store's dialect.
func (e *suiteEnv) q(query string) string {
	if e.DSN == "" {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// entity creates an entity as the admin.
func (e *suiteEnv) entity(t *testing.T, parentID, code, name string) *domain.Entity {
	t.Helper()
	en, err := e.Svc.CreateEntity(t.Context(), e.Admin, appliance.EntityInput{ParentID: parentID, Code: code, Name: name})
	if err != nil {
		t.Fatalf("create entity %s: %v", code, err)
	}
	return en
}

// root is the entity Bootstrap created.
func (e *suiteEnv) root(t *testing.T) *domain.Entity {
	t.Helper()
	en, err := e.Store.Reader().EntityByCode(t.Context(), "default", "MAIRIE")
	if err != nil {
		t.Fatalf("root entity: %v", err)
	}
	return en
}

// user creates a user as the admin and returns them as an actor.
func (e *suiteEnv) user(t *testing.T, login string, role domain.Role, ms ...domain.Membership) *appliance.Actor {
	t.Helper()
	u, err := e.Svc.CreateUser(t.Context(), e.Admin, appliance.UserInput{Login: login, Name: "Agent " + login, Role: role,
		Password: "mot-de-passe-" + login, Entities: ms})
	if err != nil {
		t.Fatalf("create user %s: %v", login, err)
	}
	a, err := e.Svc.ActorFor(t.Context(), "default", u.ID)
	if err != nil {
		t.Fatalf("actor %s: %v", login, err)
	}
	return a
}

func member(en *domain.Entity) domain.Membership { return domain.Membership{EntityID: en.ID} }
func manager(en *domain.Entity) domain.Membership {
	return domain.Membership{EntityID: en.ID, Manager: true}
}

// register registers a letter, incoming unless in says otherwise.
func (e *suiteEnv) register(t *testing.T, a *appliance.Actor, in appliance.RegisterInput, uploads ...appliance.Upload) *domain.Letter {
	t.Helper()
	if in.Category == "" {
		in.Category = domain.Incoming
	}
	l, err := e.Svc.RegisterLetter(t.Context(), a, in, uploads...)
	if err != nil {
		t.Fatalf("register %q: %v", in.Subject, err)
	}
	return l
}

// letter reads a letter as the admin.
func (e *suiteEnv) letter(t *testing.T, id string) *domain.Letter {
	t.Helper()
	l, err := e.Svc.Letter(t.Context(), e.Admin, id)
	if err != nil {
		t.Fatalf("read letter %s: %v", id, err)
	}
	return l
}

// historyLen counts the entries of the whole chain.
func (e *suiteEnv) historyLen(t *testing.T) int {
	t.Helper()
	n := 0
	if err := e.Store.Reader().EachHistory(t.Context(), func(*domain.HistoryEntry) bool { n++; return true }); err != nil {
		t.Fatal(err)
	}
	return n
}

// dump is the whole store in the logical snapshot format: two equal dumps
// mean nothing changed.
func (e *suiteEnv) dump(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := e.Store.Dump(t.Context(), &b); err != nil {
		t.Fatalf("dump: %v", err)
	}
	return b.Bytes()
}

// applyDirect applies a hand-built command at raft index 0 (not recorded),
// bypassing the Service's checks, as a command stamped by another leader
// would arrive.
func (e *suiteEnv) applyDirect(t *testing.T, tenant, actor string, kind appliance.Kind, payload any) *appliance.Result {
	t.Helper()
	return e.applyAt(t, 0, tenant, actor, kind, payload)
}

func (e *suiteEnv) applyAt(t *testing.T, index uint64, tenant, actor string, kind appliance.Kind, payload any) *appliance.Result {
	t.Helper()
	cmd, err := appliance.NewCommand(kind, tenant, actor, e.Clock.Now(), payload)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cmd.Encode()
	if err != nil {
		t.Fatal(err)
	}
	r, ok := appliance.NewApplier(e.Store, apptest.Logger()).WithHistoryKey(e.HistoryKey).Apply(index, b).(*appliance.Result)
	if !ok {
		t.Fatalf("apply %s: result is not a *Result", kind)
	}
	return r
}

// tenant creates another tenant with its own admin, through the Applier:
// the Service has no call for it yet.
func (e *suiteEnv) tenant(t *testing.T, id string, alsaceMoselle bool) *appliance.Actor {
	t.Helper()
	if r := e.applyDirect(t, id, appliance.SystemActor, appliance.KindTenantCreate, appliance.TenantCreate{ID: id, Name: "Commune " + id, AlsaceMoselle: alsaceMoselle}); r.Err != nil {
		t.Fatalf("create tenant %s: %v", id, r.Err)
	}
	uid := appliance.NewID()
	if r := e.applyDirect(t, id, appliance.SystemActor, appliance.KindUserCreate, appliance.UserCreate{ID: uid, Login: "admin", Name: "Admin " + id, Role: "admin"}); r.Err != nil {
		t.Fatalf("create admin of %s: %v", id, r.Err)
	}
	a, err := e.Svc.ActorFor(t.Context(), id, uid)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// ids lists the ids of letters, for set comparisons.
func ids(ls []domain.Letter) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.ID
	}
	return out
}

// wantErr checks err against a sentinel (nil: success).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("%s: unexpected error %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s: error %v, want %v", what, err, want)
	}
}

// list runs Service.Letters and fails the test on error.
func (e *suiteEnv) list(t *testing.T, a *appliance.Actor, f store.LetterFilter) ([]domain.Letter, int) {
	t.Helper()
	if f.Limit == 0 {
		f.Limit = 500
	}
	ls, total, err := e.Svc.Letters(t.Context(), a, f)
	if err != nil {
		t.Fatalf("letters %+v: %v", f, err)
	}
	return ls, total
}
