package store_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/store"
	"missive/appliance/store/pgtest"
)

// searchEnv is a store with a few letters whose words the seeds look for.
func searchEnv(tb testing.TB, dsn string) *apptest.Env {
	tb.Helper()
	env := apptest.New(tb, dsn)
	ctx := context.Background()
	for _, in := range []appliance.RegisterInput{
		{Category: domain.Incoming, Subject: "Demande de permis de construire", Body: "Extension d'une maison, 12 rue Victor Hugo.",
			Sender: &appliance.ContactInput{FirstName: "Éloïse", LastName: "Lefèvre", Email: "eloise.lefevre@example.fr"}},
		{Category: domain.Incoming, Subject: "Élagage des platanes rue Victor Hugo", Body: "Les branches touchent la façade. Œuvre d'art à protéger."},
		{Category: domain.Outgoing, Subject: "Réponse: l'urbanisme vous informe", Body: "Votre dossier 2026/A/000123 est complet."},
	} {
		if _, err := env.Svc.RegisterLetter(ctx, env.Admin, in); err != nil {
			tb.Fatalf("seed letter %q: %v", in.Subject, err)
		}
	}
	return env
}

var querySeeds = []string{
	"permis de construire", "élagage*", `"rue Victor Hugo"`, "2026/A/000123", "l'urbanisme",
	`"rue Victor`, `permis "de`, `"`, `""*`, "*", "***", "ÉLAGAGE", "Œuvre", "eloise.lefevre@example.fr",
	"permis 🏠 construire", "🌳*", "a\x00b", "\x00", "\xff\xfe", "NEAR(permis construire)", "permis OR élagage",
	"permis AND NOT élagage", "-permis", "^permis", "sub:permis", "{subject}: permis", "permis + construire",
	"İstanbul", "straße STRASSE", "ẞ", strings.Repeat("mot ", 40), strings.Repeat("x", 300),
	"un deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize dix-sept",
}

func FuzzParseQuery(f *testing.F) {
	// Each dialect builds its own query syntax from the terms: both must
	// take whatever ParseQuery yields.
	readers := map[string]store.Reader{
		"sqlite":   searchEnv(f, "").Store.Reader(),
		"postgres": searchEnv(f, pgtest.DSN(f)).Store.Reader(),
	}
	all := store.Perimeter{TenantID: "default", All: true}
	for _, s := range querySeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		terms := store.ParseQuery(q)
		if len(terms) > 16 {
			t.Fatalf("%d terms, want ≤ 16", len(terms))
		}
		for _, term := range terms {
			if len(term.Words) == 0 {
				t.Fatalf("term without words in %+v", terms)
			}
			for _, w := range term.Words {
				if w == "" || !utf8.ValidString(w) {
					t.Fatalf("bad word %q", w)
				}
				for _, c := range w {
					if !unicode.IsLetter(c) && !unicode.IsDigit(c) {
						t.Fatalf("word %q holds %U, neither a letter nor a digit", w, c)
					}
				}
			}
		}
		for dialect, r := range readers {
			if _, _, err := r.Letters(context.Background(), all, store.LetterFilter{Query: q}); err != nil {
				t.Fatalf("%s: search %q (terms %+v): %v", dialect, q, terms, err)
			}
		}
	})
}

func FuzzFold(f *testing.F) {
	for _, s := range querySeeds {
		f.Add(s)
	}
	for _, s := range []string{"Éloïse Œuvre", "Æsop", "ǅemal", "Ωmega", "Å", "ﬁnance", "ǰ", "ΐ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := store.Fold(s)
		if twice := store.Fold(once); twice != once {
			t.Fatalf("Fold(%q) = %q but Fold(%q) = %q", s, once, once, twice)
		}
	})
}

// FuzzSnapshotLoad feeds Load mutated snapshots: a refused stream must
// leave the store exactly as it was, since a node restores from it.
func FuzzSnapshotLoad(f *testing.F) {
	env := searchEnv(f, "")
	ctx := context.Background()
	dump := func(tb testing.TB) []byte {
		tb.Helper()
		var b bytes.Buffer
		if err := env.Store.Dump(ctx, &b); err != nil {
			tb.Fatalf("dump: %v", err)
		}
		return b.Bytes()
	}
	orig := dump(f)
	if err := env.Store.Load(ctx, bytes.NewReader(orig)); err != nil {
		f.Fatalf("a store's own dump does not load: %v", err)
	}
	if again := dump(f); !bytes.Equal(orig, again) {
		f.Fatal("dump → load → dump is not stable")
	}
	f.Add(orig)
	lines := strings.SplitAfter(string(orig), "\n")
	f.Add([]byte(strings.Join(lines[:len(lines)/2], "")))                               // truncated
	f.Add([]byte(strings.Join(lines[:len(lines)-2], "") + lines[len(lines)-1]))         // a row lost
	f.Add([]byte(strings.Replace(string(orig), `"version":1`, `"version":2`, 1)))       // newer format
	f.Add([]byte(strings.Replace(string(orig), `"schema":`, `"schema":9`, 1)))          // newer schema
	f.Add([]byte(strings.Replace(string(orig), `"table":"letters"`, `"table":"x"`, 1))) // unknown table
	f.Add([]byte(strings.Replace(string(orig), `"subject"`, `"subject) VALUES (1); DROP TABLE letters; --"`, 1)))
	f.Add([]byte(lines[0] + `{"table":"meta","columns":["key","value"]}` + "\n" + `["applied_index",1.5]` + "\n" + `{"end":true,"rows":1}` + "\n"))
	f.Add([]byte(lines[0] + `{"end":true,"rows":0}` + "\n"))
	f.Add([]byte(lines[0] + `["row","before","table"]` + "\n"))
	f.Add([]byte(`{"format":"missive-snapshot","version":1,"schema":1}` + "\n" + `{"end":true,"rows":-1}`))
	f.Add([]byte("\x00\xff"))
	f.Add([]byte(""))

	// Every input starts from orig: an accepted snapshot is undone before
	// the next, which spares a dump per input.
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := env.Store.Load(ctx, bytes.NewReader(data)); err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			if after := dump(t); !bytes.Equal(orig, after) {
				t.Fatalf("refused snapshot (%v) changed the store", err)
			}
			return
		}
		// Accepted: what it loaded must dump and load again.
		loaded := dump(t)
		if err := env.Store.Load(ctx, bytes.NewReader(loaded)); err != nil {
			t.Fatalf("dump of an accepted snapshot does not load: %v", err)
		}
		if again := dump(t); !bytes.Equal(loaded, again) {
			t.Fatal("dump → load → dump is not stable")
		}
		if err := env.Store.Load(ctx, bytes.NewReader(orig)); err != nil {
			t.Fatalf("restore the store: %v", err)
		}
		if again := dump(t); !bytes.Equal(orig, again) {
			t.Fatal("store not restored")
		}
	})
}
