package appliance_test

import (
	"database/sql"
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/domain"
)

// tamperEnv is a history to tamper with, as someone with write access to
// the database but not to secrets.key would.
type tamperEnv struct {
	*suiteEnv
	t    *testing.T
	db   *sql.DB
	orig []domain.HistoryEntry
	head string
}

func (e *tamperEnv) entries() []domain.HistoryEntry {
	var out []domain.HistoryEntry
	if err := e.Store.Reader().EachHistory(e.t.Context(), func(h *domain.HistoryEntry) bool {
		out = append(out, *h)
		return true
	}); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *tamperEnv) exec(q string, args ...any) {
	e.t.Helper()
	if _, err := e.db.ExecContext(e.t.Context(), e.q(q), args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

// write replaces the entries from seq from on with es, and the head.
func (e *tamperEnv) write(from int64, es []domain.HistoryEntry, head string) {
	e.t.Helper()
	e.exec(`DELETE FROM history WHERE seq >= ?`, from)
	for _, h := range es {
		e.exec(`INSERT INTO history (seq, tenant_id, at, actor_id, kind, letter_id, summary, payload, prev_hash, hash, digest, sig) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			h.Seq, h.TenantID, h.At, h.ActorID, h.Kind, h.LetterID, h.Summary, h.Payload, h.PrevHash, h.Hash, h.Digest, h.Sig)
	}
	e.exec(`UPDATE meta SET value = ? WHERE key = 'history_head'`, head)
}

func (e *tamperEnv) restore() { e.write(1, e.orig, e.head) }

// tamper changes the entries from mid on with change; with rewrite, it
// then recomputes every hash from mid on and the stored head, as an
// attacker who knows the format would. Signatures stay as they were: they
// cannot be recomputed without the key.
func (e *tamperEnv) tamper(mid int64, rewrite bool, change func([]domain.HistoryEntry) []domain.HistoryEntry) {
	e.t.Helper()
	es := change(append([]domain.HistoryEntry{}, e.orig[mid-1:]...))
	head := e.head
	if rewrite {
		prev := e.orig[mid-2].Hash
		for i := range es {
			es[i].PrevHash = prev
			es[i].Hash = appliance.HashEntry(&es[i])
			prev = es[i].Hash
		}
		head = prev
	}
	e.write(mid, es, head)
}

func (e *tamperEnv) verify(opt appliance.VerifyOptions) appliance.VerifyResult {
	e.t.Helper()
	res, err := appliance.VerifyHistory(e.t.Context(), e.Store.Reader(), opt)
	if err != nil {
		e.t.Fatalf("verify: %v", err)
	}
	return res
}

// TestHistoryTamperEachField changes each field of an entry in turn, then
// the same with every later hash and the head recomputed (the rewritten
// chain), strips signatures, signs with another key, and changes, adds and
// removes letter rows outside the log: each is caught, and named.
func TestHistoryTamperEachField(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, s *suiteEnv) {
		ctx := t.Context()
		l := s.register(t, s.Admin, appliance.RegisterInput{Subject: "Demande de permis", Copies: []domain.Copy{{Kind: "entity", Ref: s.root(t).ID}}})
		other := s.register(t, s.Admin, appliance.RegisterInput{Subject: "Autre demande"})
		if _, err := s.Svc.AddNote(ctx, s.Admin, l.ID, appliance.NoteInput{Text: "À instruire"}); err != nil {
			t.Fatal(err)
		}
		s.Svc.Secrets = s.Secrets
		if _, made, err := s.Svc.Checkpoint(ctx); err != nil || !made {
			t.Fatalf("checkpoint: %v %v", made, err)
		}
		if _, err := s.Svc.Close(ctx, s.Admin, l.ID, "Réponse envoyée"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Svc.AddNote(ctx, s.Admin, other.ID, appliance.NoteInput{Text: "Vu"}); err != nil {
			t.Fatal(err)
		}
		s.tenant(t, "autre", false) // a tenant to move a letter to
		e := &tamperEnv{suiteEnv: s, t: t, db: s.rawDB(t)}
		e.orig = e.entries()
		e.head = e.orig[len(e.orig)-1].Hash
		full := appliance.VerifyOptions{Key: s.HistoryKey, SignedFrom: 1}
		if res := e.verify(full); !res.OK() || res.FirstSigned != 1 || res.Checkpoints != 1 || res.Letters != 2 || res.Uncovered != 0 {
			t.Fatalf("untouched history: %+v", res)
		}

		// The entry of the closing of l: every field in turn.
		var mid int64
		for _, h := range e.orig {
			if h.Kind == "letter.close" {
				mid = h.Seq
			}
		}
		fields := map[string]func(h *domain.HistoryEntry){
			"payload": func(h *domain.HistoryEntry) {
				h.Payload = strings.Replace(h.Payload, "Réponse envoyée", "Sans suite", 1)
			},
			"summary":   func(h *domain.HistoryEntry) { h.Summary = "Rien à signaler" },
			"kind":      func(h *domain.HistoryEntry) { h.Kind = "letter.note" },
			"actor":     func(h *domain.HistoryEntry) { h.ActorID = "quelqu-un-d-autre" },
			"time":      func(h *domain.HistoryEntry) { h.At = "2020-01-01T00:00:00.000Z" },
			"letter":    func(h *domain.HistoryEntry) { h.LetterID = other.ID },
			"tenant":    func(h *domain.HistoryEntry) { h.TenantID = "autre-commune" },
			"digest":    func(h *domain.HistoryEntry) { h.Digest = strings.Repeat("0", 64) },
			"signature": func(h *domain.HistoryEntry) { h.Sig = appliance.SignHistory([]byte("une autre clé"), h.Hash) },
		}
		for name, change := range fields {
			for _, rewrite := range []bool{false, true} {
				e.tamper(mid, rewrite, func(es []domain.HistoryEntry) []domain.HistoryEntry {
					change(&es[0])
					return es
				})
				res := e.verify(full)
				if res.OK() || res.BadSeq != mid || res.Reason == "" {
					t.Errorf("%s changed (chain rewritten: %v): %+v, want entry %d named", name, rewrite, res, mid)
				}
				e.restore()
			}
		}
		// The sequence: an entry removed and the later ones renumbered.
		for _, rewrite := range []bool{false, true} {
			e.tamper(mid, rewrite, func(es []domain.HistoryEntry) []domain.HistoryEntry {
				es = es[1:]
				for i := range es {
					es[i].Seq--
				}
				return es
			})
			if res := e.verify(full); res.OK() || res.BadSeq != mid {
				t.Errorf("entry %d removed and the later ones renumbered (chain rewritten: %v): %+v", mid, rewrite, res)
			}
			e.restore()
		}
		if res := e.verify(full); !res.OK() {
			t.Fatalf("restored history: %+v", res)
		}

		// Every signature removed and an entry rewritten: the server has
		// signed since entry 1, and the data dir says so.
		e.tamper(2, true, func(es []domain.HistoryEntry) []domain.HistoryEntry {
			for i := range es {
				es[i].Sig = ""
			}
			return es
		})
		e.exec(`UPDATE history SET sig = ''`)
		if res := e.verify(full); res.OK() || !strings.Contains(res.Reason, "signature retirée") {
			t.Errorf("signatures stripped: %+v", res)
		}
		e.restore()

		// A rewritten chain verified without the key (secrets.key not at
		// hand): the signed checkpoint still names the old hash.
		var cp int64
		for _, h := range e.orig {
			if h.Kind == string(appliance.KindHistoryCheckpoint) {
				cp = h.Seq
			}
		}
		e.tamper(cp-1, true, func(es []domain.HistoryEntry) []domain.HistoryEntry {
			es[0].Summary = "Rien à signaler"
			return es
		})
		if res := e.verify(appliance.VerifyOptions{}); res.OK() || !strings.Contains(res.Reason, "point de contrôle") {
			t.Errorf("chain rewritten before a checkpoint, no key: %+v", res)
		}
		e.restore()

		// Letter rows changed outside the log: each column in turn, and its
		// copies.
		for col, val := range map[string]any{"subject": "Demande retirée", "body": "autre texte", "status": "new", "due_date": "2099-01-01",
			"entity_id": "autre-entite", "confidential": 1, "closed_at": "", "number": "2026/A/999999", "tenant_id": "autre"} {
			var was any
			if err := e.db.QueryRowContext(ctx, e.q(`SELECT `+col+` FROM letters WHERE id = ?`), l.ID).Scan(&was); err != nil {
				t.Fatal(err)
			}
			e.exec(`UPDATE letters SET `+col+` = ? WHERE id = ?`, val, l.ID)
			if res := e.verify(full); res.OK() || res.BadLetter != l.Number && res.BadLetter != "2026/A/999999" || !strings.Contains(res.Reason, "modifié hors du journal") {
				t.Errorf("letters.%s changed outside the log: %+v", col, res)
			}
			e.exec(`UPDATE letters SET `+col+` = ? WHERE id = ?`, was, l.ID)
		}
		e.exec(`DELETE FROM letter_copies WHERE letter_id = ?`, l.ID)
		if res := e.verify(full); res.OK() || res.BadLetter != l.Number {
			t.Errorf("copy removed outside the log: %+v", res)
		}
		e.exec(`INSERT INTO letter_copies (letter_id, kind, ref) VALUES (?, ?, ?)`, l.ID, "entity", s.root(t).ID)
		if res := e.verify(full); !res.OK() {
			t.Fatalf("letters restored: %+v", res)
		}
		// A letter added outside the log, then one removed.
		e.exec(`INSERT INTO letters (seq, id, tenant_id, category, year, num, number, subject, body, letter_date, arrival_date, priority,
			sender_id, recipient_id, entity_id, assignee_id, doctype_id, due_date, status, confidential, channel, created_at, created_by, updated_at, closed_at)
			SELECT seq + 1000, 'fantome', tenant_id, category, year, num + 1000, '2026/A/001001', 'Courrier fantôme', body, letter_date, arrival_date, priority,
			sender_id, recipient_id, entity_id, assignee_id, doctype_id, due_date, status, confidential, channel, created_at, created_by, updated_at, closed_at
			FROM letters WHERE id = ?`, other.ID)
		if res := e.verify(full); res.OK() || res.BadLetter != "2026/A/001001" || !strings.Contains(res.Reason, "ajouté hors du journal") {
			t.Errorf("letter added outside the log: %+v", res)
		}
		e.exec(`DELETE FROM letters WHERE id = 'fantome'`)
		e.exec(`DELETE FROM notes WHERE letter_id = ?`, other.ID)
		e.exec(`DELETE FROM letters WHERE id = ?`, other.ID)
		if res := e.verify(full); res.OK() || res.BadLetter != other.ID || !strings.Contains(res.Reason, "supprimé hors du journal") {
			t.Errorf("letter removed outside the log: %+v", res)
		}
	})
}
