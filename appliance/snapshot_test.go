package appliance_test

import (
	"bytes"
	"slices"
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

// openEmpty opens a fresh, migrated, empty store of a dialect.
func openEmpty(t *testing.T, dialect string) *store.Store {
	t.Helper()
	dsn := ""
	if dialect == "postgres" {
		dsn = pgtest.DSN(t)
	}
	st, err := store.Open(t.Context(), dsn, t.TempDir())
	if err != nil {
		t.Fatalf("open %s store: %v", dialect, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func dumpOf(t *testing.T, st *store.Store) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := st.Dump(t.Context(), &b); err != nil {
		t.Fatalf("dump %s: %v", st.Dialect(), err)
	}
	return b.Bytes()
}

// searchAll is what an admin's search box finds in a store, by number.
func searchAll(t *testing.T, st *store.Store, q string) []string {
	t.Helper()
	ls, _, err := st.Reader().Letters(t.Context(), store.Perimeter{TenantID: "default", All: true}, store.LetterFilter{Query: q, Limit: 500})
	if err != nil {
		t.Fatalf("search %q in %s: %v", q, st.Dialect(), err)
	}
	var out []string
	for _, l := range ls {
		out = append(out, l.Number)
	}
	return out
}

// populate gives a store a bit of everything the snapshot carries.
func populate(t *testing.T, env *suiteEnv) *domain.Letter {
	t.Helper()
	ctx := t.Context()
	voirie := env.entity(t, env.root(t).ID, "VOIRIE", "Voirie")
	agent := env.user(t, "agent", domain.RoleAgent, manager(voirie))
	if _, err := env.Svc.CreateToken(ctx, env.Admin, agent.ID(), "scanner"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Svc.CreateDoctype(ctx, env.Admin, appliance.DoctypeInput{Code: "ARCHIVE", Label: "Gardé dix ans", RetentionYears: 10,
		FinalDisposition: domain.DispositionSort}); err != nil {
		t.Fatal(err)
	}
	l := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Élagage des tilleuls", Body: "Texte « accentué » sur\nplusieurs lignes",
		EntityID: voirie.ID, Confidential: true, Copies: []domain.Copy{{Kind: "user", Ref: agent.ID()}},
		Sender: &appliance.ContactInput{FirstName: "Zoé", LastName: "Œuvrard", Email: "zoe@example.fr"}},
		appliance.Upload{Name: "scan.pdf", Body: strings.NewReader("%PDF-1.4")})
	other := env.register(t, env.Admin, appliance.RegisterInput{Category: domain.Outgoing, Subject: "Réponse"})
	if err := env.Svc.Link(ctx, env.Admin, l.ID, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Svc.AddNote(ctx, env.Admin, l.ID, appliance.NoteInput{Text: "Note publique tronçonneuse"}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Svc.AddNote(ctx, env.Admin, l.ID, appliance.NoteInput{Text: "Note réservée", Entities: []string{voirie.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Svc.Close(ctx, env.Admin, other.ID, "Envoyée"); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestSnapshotAcrossDialects(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		l := populate(t, env)
		src := env.dump(t)
		here, there := env.Store.Dialect(), "postgres"
		if here == "postgres" {
			there = "sqlite"
		}
		other := openEmpty(t, there)
		if err := other.Load(ctx, bytes.NewReader(src)); err != nil {
			t.Fatalf("load %s snapshot into %s: %v", here, there, err)
		}
		if got := dumpOf(t, other); !bytes.Equal(got, src) {
			t.Fatalf("%s → %s: dumps differ\n%s", here, there, firstDiff(src, got))
		}
		back := openEmpty(t, here)
		if err := back.Load(ctx, bytes.NewReader(dumpOf(t, other))); err != nil {
			t.Fatalf("load back into %s: %v", here, err)
		}
		if got := dumpOf(t, back); !bytes.Equal(got, src) {
			t.Fatalf("%s → %s → %s: dumps differ\n%s", here, there, here, firstDiff(src, got))
		}
		// The full-text index is not in the snapshot: Load rebuilt it.
		for _, st := range []*store.Store{other, back} {
			for _, q := range []string{"elagage", "tilleuls", "oeuvrard", "tronconneuse", l.Number} {
				if got := searchAll(t, st, q); len(got) != 1 || got[0] != l.Number {
					t.Errorf("%s: search %q after load: %v, want %s", st.Dialect(), q, got, l.Number)
				}
			}
			if got := searchAll(t, st, "réservée"); len(got) != 0 {
				t.Errorf("%s: restricted note searchable after load: %v", st.Dialect(), got)
			}
			if res, err := appliance.VerifyHistory(ctx, st.Reader()); err != nil || res.BadSeq != 0 {
				t.Errorf("%s: history after load: %+v, %v", st.Dialect(), res, err)
			}
			if idx, err := st.AppliedIndex(ctx); err != nil || idx == 0 {
				t.Errorf("%s: applied index after load: %d, %v", st.Dialect(), idx, err)
			}
			if !hasRetention(t, st) {
				t.Errorf("%s: the doctype's DUA and sort final are lost by the snapshot", st.Dialect())
			}
		}
	})
}

// hasRetention says whether the doctype of populate kept its retention.
func hasRetention(t *testing.T, st *store.Store) bool {
	t.Helper()
	ds, err := st.Reader().Doctypes(t.Context(), "default")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Code == "ARCHIVE" {
			return d.RetentionYears == 10 && d.FinalDisposition == domain.DispositionSort
		}
	}
	return false
}

func TestSnapshotRefusedLeavesStoreUnchanged(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		populate(t, env)
		good := env.dump(t)
		lines := strings.SplitAfter(string(good), "\n")
		if lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		firstRow := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "[") })
		// Another store's content, so that a half-applied load would show.
		other := openEmpty(t, env.Store.Dialect())
		seed, err := apptestSnapshot(t)
		if err != nil {
			t.Fatal(err)
		}
		if err := other.Load(t.Context(), bytes.NewReader(seed)); err != nil {
			t.Fatalf("seed the target: %v", err)
		}
		before := dumpOf(t, other)
		for _, c := range []struct {
			name, snapshot, want string
		}{
			{"cut mid-line", string(good[:len(good)/2]), "snapshot"},
			{"cut before the end marker", strings.Join(lines[:len(lines)-1], ""), "truncated"},
			{"a row missing", strings.Join(slices.Delete(slices.Clone(lines), firstRow, firstRow+1), ""), "rows"},
			{"unknown table", strings.Join(lines[:len(lines)-1], "") + `{"table":"passwords","columns":["x"]}` + "\n" + lines[len(lines)-1], "unknown table"},
			{"bad column", strings.Replace(string(good), `"columns":["key"`, `"columns":["key; DROP TABLE letters"`, 1), "column"},
			{"newer format version", strings.Replace(string(good), `"version":1`, `"version":2`, 1), "version 2"},
			{"not a snapshot", strings.Replace(string(good), `missive-snapshot`, `pg_dump`, 1), "not a Missive snapshot"},
			{"newer schema", strings.Replace(string(good), `"schema":`, `"schema":9`, 1), "plus récente"},
			{"empty", "", "header"},
		} {
			if c.snapshot == string(good) {
				t.Fatalf("%s: the snapshot was not altered", c.name)
			}
			err := other.Load(t.Context(), strings.NewReader(c.snapshot))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: load error %v, want one mentioning %q", c.name, err, c.want)
			}
			if after := dumpOf(t, other); !bytes.Equal(after, before) {
				t.Fatalf("%s: a refused load changed the store\n%s", c.name, firstDiff(before, after))
			}
		}
		// The store still takes a good snapshot after all that.
		if err := other.Load(t.Context(), bytes.NewReader(good)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(dumpOf(t, other), good) {
			t.Fatal("good snapshot did not load identically")
		}
	})
}

// apptestSnapshot is the snapshot of a freshly bootstrapped store with one
// letter, different from populate's.
func apptestSnapshot(t *testing.T) ([]byte, error) {
	t.Helper()
	env := &suiteEnv{Env: apptest.New(t, ""), Clock: apptest.NewClock(time.Time{})}
	env.Clock.Set(t, "2025-01-15T10:00")
	env.Svc.Now = env.Clock.Now
	env.register(t, env.Admin, appliance.RegisterInput{Subject: "Contenu existant"})
	var b bytes.Buffer
	err := env.Store.Dump(t.Context(), &b)
	return b.Bytes(), err
}

// firstDiff shows where two dumps part, for a readable failure.
func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "line " + strconv.Itoa(i+1) + ":\n- " + al[i] + "\n+ " + bl[i]
		}
	}
	return "lengths " + strconv.Itoa(len(al)) + " and " + strconv.Itoa(len(bl)) + " lines"
}
