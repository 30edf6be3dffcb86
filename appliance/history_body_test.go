package appliance_test

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/store"
)

// witnessBody is a letter's text of several kilobytes with words no other
// text has. The witness is lower-case ASCII words between single spaces,
// so that it reads the same once folded for the full-text index: a copy
// of the text kept by the index would hold it too.
func witnessBody(witness string) string {
	filler := strings.Repeat("Madame, Monsieur, je vous prie de bien vouloir examiner ma demande. ", 40)
	return filler + witness + " " + filler
}

// textColumns lists every column of the schema that may hold text, as
// "table.column", virtual tables aside (their stored text is in their
// shadow tables, which are listed).
func textColumns(t *testing.T, db *sql.DB, sqlite bool) []string {
	t.Helper()
	q := `SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying')`
	if sqlite {
		q = `SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.sql NOT LIKE 'CREATE VIRTUAL TABLE%' AND upper(p.type) <> 'INTEGER'`
	}
	rows, err := db.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatalf("text columns: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// whereStored says which columns hold witness, and in how many rows.
func (e *suiteEnv) whereStored(t *testing.T, db *sql.DB, witness string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tc := range textColumns(t, db, e.DSN == "") {
		table, col, _ := strings.Cut(tc, ".")
		var n int
		q := fmt.Sprintf(`SELECT COUNT(*) FROM %q WHERE CAST(%q AS TEXT) LIKE ?`, table, col)
		if err := db.QueryRowContext(t.Context(), e.q(q), "%"+witness+"%").Scan(&n); err != nil {
			t.Fatalf("%s: %v", tc, err)
		}
		if n > 0 {
			out[tc] = n
		}
	}
	return out
}

// historyPayloads are the payloads of a letter's history entries, by kind.
func historyPayloads(t *testing.T, env *suiteEnv, letterID string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := env.Store.Reader().EachHistory(t.Context(), func(h *domain.HistoryEntry) bool {
		if h.LetterID == letterID {
			out[h.Kind] = h.Payload
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func bodyRef(body string) string {
	sum := sha256.Sum256([]byte(body))
	return `"body_sha256":"` + hex.EncodeToString(sum[:]) + `","body_len":` + strconv.Itoa(len(body))
}

// TestLetterTextStoredOnce: a letter's text is in the letters table and
// nowhere else in the database — not in the full-text index (SQLite's is
// contentless; PostgreSQL's is a tsvector), not in the history, whose
// entries for a registration, a mail intake and a qualification hold the
// text's SHA-256 and length instead; the chain commits to the text through
// them and through the letter's digest, so a text changed outside the log
// is found by verify.
func TestLetterTextStoredOnce(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, s *suiteEnv) {
		ctx := t.Context()
		typed := witnessBody("saisie guichet cormoran7 heliotrope4 quenouille")
		l1 := s.register(t, s.Admin, appliance.RegisterInput{Subject: "Demande au guichet", Body: typed})
		mailed := witnessBody("courriel recu zibeline3 marjolaine8 escarcelle")
		res, err := s.Svc.IntakeMail(ctx, s.Admin, appliance.MailIntakeInput{Key: "mid:once@exemple.test", MessageID: "once@exemple.test", Kind: "letter",
			Source: "smtp", FromAddress: "paul.martin@exemple.fr", Subject: "Ravalement",
			Register: &appliance.RegisterInput{Category: domain.Incoming, Subject: "Ravalement", Body: mailed,
				Sender: &appliance.ContactInput{Kind: "person", FirstName: "Paul", LastName: "Martin", Email: "paul.martin@exemple.fr"}}})
		if err != nil {
			t.Fatal(err)
		}
		l2 := res.Letter
		edited := witnessBody("texte corrige pelican5 astrolabe2 mirabelle")
		if _, err := s.Svc.Qualify(ctx, s.Admin, l1.ID, appliance.QualifyInput{Body: &edited}); err != nil {
			t.Fatal(err)
		}

		for _, c := range []struct {
			letter, kind, body string
		}{
			{l1.ID, "letter.register", typed},
			{l1.ID, "letter.qualify", edited},
			{l2.ID, "mail.intake", mailed},
		} {
			p := historyPayloads(t, s, c.letter)[c.kind]
			if strings.Contains(p, c.body[len(c.body)/2-40:len(c.body)/2+40]) || strings.Contains(p, `"body":`) {
				t.Errorf("%s history entry holds the letter's text: %.300s…", c.kind, p)
			}
			if !strings.Contains(p, bodyRef(c.body)) {
				t.Errorf("%s history entry lacks the text's SHA-256 and length (%s): %.300s…", c.kind, bodyRef(c.body), p)
			}
		}

		db := s.rawDB(t)
		for _, w := range []string{"cormoran7 heliotrope4", "zibeline3 marjolaine8", "pelican5 astrolabe2"} {
			got := s.whereStored(t, db, w)
			want := map[string]int{"letters.body": 1}
			if w == "cormoran7 heliotrope4" {
				want = map[string]int{} // replaced by the qualification
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%q is stored in %v, want %v", w, got, want)
			}
		}

		full := appliance.VerifyOptions{Key: s.HistoryKey, SignedFrom: 1}
		if r, err := appliance.VerifyHistory(ctx, s.Store.Reader(), full); err != nil || !r.OK() {
			t.Fatalf("untouched history: %+v %v", r, err)
		}
		// A text changed behind the log's back, the history untouched.
		for _, l := range []*domain.Letter{l1, l2} {
			var was string
			if err := db.QueryRowContext(ctx, s.q(`SELECT body FROM letters WHERE id = ?`), l.ID).Scan(&was); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, s.q(`UPDATE letters SET body = ? WHERE id = ?`), strings.Replace(was, "demande", "requête", 1), l.ID); err != nil {
				t.Fatal(err)
			}
			if r, err := appliance.VerifyHistory(ctx, s.Store.Reader(), full); err != nil || r.OK() || r.BadLetter != l.Number {
				t.Errorf("text of %s changed outside the log: %+v %v", l.Number, r, err)
			}
			if _, err := db.ExecContext(ctx, s.q(`UPDATE letters SET body = ? WHERE id = ?`), was, l.ID); err != nil {
				t.Fatal(err)
			}
		}
		if r, err := appliance.VerifyHistory(ctx, s.Store.Reader(), full); err != nil || !r.OK() {
			t.Fatalf("history restored: %+v %v", r, err)
		}
	})
}

// historyFixture is a snapshot written by the build before history entries
// left out the letters' text (commit baa83fd, an apptest appliance): a
// letter registered then qualified with a new text, a letter taken in by
// mail, a signed checkpoint. Its entries hold the texts in their payloads.
const historyFixture = "testdata/history-baa83fd.snapshot"

// TestHistoryWithTextsStillVerifies: a store whose history was written
// with the letters' texts in its payloads (an upgraded data dir, an old
// backup) keeps those entries as they were, verifies, finds its letters by
// the words of their texts, and goes on with entries without texts; a text
// changed outside the log is found on the old letters too.
func TestHistoryWithTextsStillVerifies(t *testing.T) {
	t.Parallel()
	fixture, err := os.ReadFile(historyFixture)
	if err != nil {
		t.Fatal(err)
	}
	forEachStore(t, func(t *testing.T, s *suiteEnv) {
		ctx := t.Context()
		if err := s.Store.Load(ctx, bytes.NewReader(fixture)); err != nil {
			t.Fatalf("load %s: %v", historyFixture, err)
		}
		applied, err := s.Store.Reader().Meta(ctx, "applied_index")
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.ParseUint(applied, 10, 64)
		s.Proposer.Resume(n)
		admin, err := s.Svc.Authenticate(ctx, "default", "admin", apptest.AdminPassword, "apptest")
		if err != nil {
			t.Fatal(err)
		}
		full := appliance.VerifyOptions{Key: s.HistoryKey, SignedFrom: 1}
		verify := func(what string) appliance.VerifyResult {
			t.Helper()
			r, err := appliance.VerifyHistory(ctx, s.Store.Reader(), full)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			return r
		}
		if r := verify("loaded"); !r.OK() || r.Checkpoints != 1 || r.Letters != 2 {
			t.Fatalf("history written with the texts: %+v", r)
		}
		find := func(q string) *domain.Letter {
			t.Helper()
			ls, _, err := s.Store.Reader().Letters(ctx, store.Perimeter{TenantID: "default", All: true}, store.LetterFilter{Query: q})
			if err != nil || len(ls) != 1 {
				t.Fatalf("search %q: %d letters, %v", q, len(ls), err)
			}
			return &ls[0]
		}
		planes, facade := find("platanes scolaire"), find("tilleuls")
		if p := historyPayloads(t, s, planes.ID)["letter.register"]; !strings.Contains(p, "gênent la circulation") {
			t.Fatalf("an entry written with the text no longer has it: %s", p)
		}

		body := "Réponse à la demande de taille des haies du cimetière."
		l := s.register(t, admin, appliance.RegisterInput{Subject: "Haies du cimetière", Body: body})
		edited := "Les branches des platanes ont été taillées."
		if _, err := s.Svc.Qualify(ctx, admin, planes.ID, appliance.QualifyInput{Body: &edited}); err != nil {
			t.Fatal(err)
		}
		if p := historyPayloads(t, s, l.ID)["letter.register"]; strings.Contains(p, "cimetière.") || !strings.Contains(p, bodyRef(body)) {
			t.Fatalf("a new entry holds the text: %s", p)
		}
		if r := verify("continued"); !r.OK() || r.Letters != 3 {
			t.Fatalf("history continued without texts: %+v", r)
		}
		if find("taillees").ID != planes.ID || find("cimetiere").ID != l.ID {
			t.Fatal("the new texts are not found")
		}

		db := s.rawDB(t)
		if _, err := db.ExecContext(ctx, s.q(`UPDATE letters SET body = body || ' Sans suite.' WHERE id = ?`), facade.ID); err != nil {
			t.Fatal(err)
		}
		if r := verify("tampered"); r.OK() || r.BadLetter != facade.Number {
			t.Fatalf("text of an old letter changed outside the log: %+v", r)
		}
	})
}

// TestVersionOneEntryKeepsItsText: what a history entry holds follows the
// command, not the binary applying it. A registration of envelope version
// 1, written by a binary before VersionBodyDigest, is recorded with its
// text by this binary too, as the binary that wrote it recorded it on
// the other nodes; one of this binary's version holds the digest.
func TestVersionOneEntryKeepsItsText(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, s *suiteEnv) {
		for n, v := range []int{1, appliance.CommandVersion} {
			n++
			body := witnessBody(fmt.Sprintf("version %d pivoine%d colibri%d", v, v, v))
			p := appliance.LetterRegister{ID: appliance.NewID(), Category: "incoming", Year: 2026, Num: n, Number: fmt.Sprintf("2026/A/%06d", n),
				Subject: "Version", Body: body, ArrivalDate: "2026-03-10", Priority: "normal", Status: "new", Channel: "paper", Copies: []appliance.CopyPayload{}}
			cmd, err := appliance.NewCommand(appliance.KindLetterRegister, "default", s.Admin.ID(), time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC), p)
			if err != nil {
				t.Fatal(err)
			}
			cmd.V = v
			b, err := cmd.Encode()
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Proposer.Propose(t.Context(), b)
			if r, ok := res.(*appliance.Result); err == nil && ok && r.Err != nil {
				err = r.Err
			}
			if err != nil {
				t.Fatalf("version %d: %v", v, err)
			}
			got := historyPayloads(t, s, p.ID)["letter.register"]
			kept := strings.Contains(got, body[len(body)/2-40:len(body)/2+40])
			if want := v < appliance.CommandVersion; kept != want {
				t.Errorf("version %d: history holds the text: %v, want %v", v, kept, want)
			}
		}
	})
}
