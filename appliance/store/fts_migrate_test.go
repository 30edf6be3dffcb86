package store

import (
	"context"
	"fmt"
	"testing"

	"missive/appliance/domain"
)

// contentlessSchema is the migration that made SQLite's full-text index
// keep no copy of the text.
const contentlessSchema = 19

// seedIndexedLetters writes letters with a sender and notes, each indexed
// as Apply indexes it, in a store at any schema.
func seedIndexedLetters(t *testing.T, s *Store) {
	t.Helper()
	const at = "2026-01-05T08:00:00.000Z"
	err := s.Update(t.Context(), 0, func(tx *Tx) error {
		if err := tx.exec(`INSERT INTO tenants (id, name, alsace_moselle, created_at) VALUES ('default', 'Ma commune', 0, ?)`, at); err != nil {
			return err
		}
		if err := tx.InsertContact("default", &domain.Contact{ID: "c1", Kind: "person", FirstName: "Éloïse", LastName: "Lefèvre", Email: "eloise.lefevre@exemple.fr", CreatedAt: at}); err != nil {
			return err
		}
		for i, l := range []struct{ subject, body, note string }{
			{"Élagage des platanes", "Les branches gênent la circulation devant l'école.", "Appel de la requérante le 3/12"},
			{"Ravalement de façade", "Une œuvre de restauration du 12 rue des Tilleuls.", ""},
		} {
			id := fmt.Sprintf("l%d", i+1)
			if err := tx.InsertLetter("default", 2026, i+1, &domain.Letter{ID: id, Number: fmt.Sprintf("2026/A/%06d", i+1), Category: domain.Incoming,
				Subject: l.subject, Body: l.body, SenderID: "c1", Status: domain.StatusNew, CreatedAt: at, UpdatedAt: at}); err != nil {
				return err
			}
			if l.note != "" {
				if err := tx.InsertNote("default", &domain.Note{ID: "n" + id, LetterID: id, Text: l.note, CreatedAt: at}); err != nil {
					return err
				}
			}
			if err := tx.IndexLetter(id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// searchIDs is the ids of the letters a search finds, in number order.
func searchIDs(ctx context.Context, t *testing.T, s *Store, q string) string {
	t.Helper()
	ls, _, err := s.Reader().Letters(ctx, Perimeter{TenantID: "default", All: true}, LetterFilter{Query: q, Sort: "number"})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	out := ""
	for _, l := range ls {
		out += l.ID + " "
	}
	return out
}

// TestContentlessIndexMigration: a store upgraded from the schema before
// migration 0019, with letters in it, finds them by the words of their
// subject, number, body, notes and sender as before (folded: "elagage",
// "oeuvre", "lefevre"), keeps no copy of the text in the index on SQLite,
// and the index still follows a letter's changes after the upgrade.
func TestContentlessIndexMigration(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, dsn, dir string) {
		ctx := t.Context()
		old, err := open(ctx, dsn, dir, contentlessSchema-1)
		if err != nil {
			t.Fatal(err)
		}
		seedIndexedLetters(t, old)
		old.Close()

		s, err := Open(ctx, dsn, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for q, want := range map[string]string{
			"elagage":                   "l1 ",
			"circulation ecole":         "l1 ",
			`"3/12"`:                    "l1 ",
			"oeuvre":                    "l2 ",
			"tilleuls":                  "l2 ",
			"2026/A/000002":             "l2 ",
			"lefevre":                   "l1 l2 ",
			"eloise.lefevre@exemple.fr": "l1 l2 ",
			"restaur*":                  "l2 ",
			"absent":                    "",
		} {
			if got := searchIDs(ctx, t, s, q); got != want {
				t.Errorf("search %q after the upgrade: %q, want %q", q, got, want)
			}
		}
		if dsn == "" {
			var n int
			if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'letters_fts_content'`).Scan(&n); err != nil || n != 0 {
				t.Errorf("letters_fts_content still there (%d, %v): the index keeps a copy of the text", n, err)
			}
		}

		// The index follows a change made after the upgrade: the old words
		// no longer find the letter, the new ones do.
		err = s.Update(ctx, 0, func(tx *Tx) error {
			l, err := tx.Letter(ctx, Perimeter{TenantID: "default", All: true}, "l2")
			if err != nil {
				return err
			}
			l.Body = "Demande de permis de démolir."
			if err := tx.UpdateLetter(l); err != nil {
				return err
			}
			return tx.IndexLetter(l.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]string{"tilleuls": "", "demolir": "l2 ", "ravalement": "l2 "} {
			if got := searchIDs(ctx, t, s, q); got != want {
				t.Errorf("search %q after a change: %q, want %q", q, got, want)
			}
		}
	})
}
