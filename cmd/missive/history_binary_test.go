//go:build !bench

package main

import (
	"database/sql"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/domain"
)

// TestSignedHistoryOfTheBinary: the history of a new data dir is signed
// from its first entry and checkpointed on demand; a subject changed in
// the letters table, and an entry rewritten with every later hash and the
// head recomputed, are both caught by history verify, and the server warns
// at start.
func TestSignedHistoryOfTheBinary(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	s := startMissive(t, data)
	tok := s.token("admin")
	var l apiLetter
	s.must(201, "POST", "/api/v1/letters", tok, map[string]any{"category": "incoming", "subject": "Demande de subvention"}, &l)
	s.must(201, "POST", "/api/v1/letters/"+l.ID+"/actions/note", tok, map[string]any{"text": "Dossier complet"}, nil)
	cp := mustMissive(t, "", "history", "checkpoint", "--data", data)
	if !regexp.MustCompile(`^Point de contrôle signé inscrit au journal: entrée n° \d+\.`).MatchString(cp) {
		t.Fatalf("history checkpoint said %q", cp)
	}
	if again := mustMissive(t, "", "history", "checkpoint", "--data", data); !strings.HasPrefix(again, "Rien de nouveau") {
		t.Fatalf("a second checkpoint with nothing new: %q", again)
	}
	s.must(201, "POST", "/api/v1/letters", tok, map[string]any{"category": "incoming", "subject": "Autre demande"}, nil)
	s.stop()
	if !strings.Contains(s.stderr.String(), `msg="history verified"`) {
		t.Errorf("the server did not verify the history at start:\n%s", s.stderr)
	}

	out := mustMissive(t, "", "history", "verify", "--data", data)
	n := verifyHistory(t, data)
	for _, want := range []string{"Entrées 1 à " + strconv.Itoa(n) + " signées (HMAC, clé tirée de secrets.key)", "1 points de contrôle signés", "2 courriers conformes"} {
		if !strings.Contains(out, want) {
			t.Errorf("history verify does not say %q:\n%s", want, out)
		}
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "missive.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// A subject changed in the letters table, outside the log.
	mustExec(`UPDATE letters SET subject = 'Demande retirée' WHERE id = ?`, l.ID)
	r := runMissive(t, "", "history", "verify", "--data", data)
	if r.code != 1 || !strings.Contains(r.stderr, l.Number) || !strings.Contains(r.stderr, "modifié hors du journal") {
		t.Fatalf("subject changed in the letters table: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	mustExec(`UPDATE letters SET subject = 'Demande de subvention' WHERE id = ?`, l.ID)

	// The rewritten chain: the note's entry says something else, and every
	// later hash and the head are recomputed, as anyone who can write the
	// database and read this code can do.
	rows, err := db.Query(`SELECT seq, tenant_id, at, actor_id, kind, letter_id, summary, payload, prev_hash, hash, digest, sig FROM history ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var es []domain.HistoryEntry
	for rows.Next() {
		var h domain.HistoryEntry
		if err := rows.Scan(&h.Seq, &h.TenantID, &h.At, &h.ActorID, &h.Kind, &h.LetterID, &h.Summary, &h.Payload, &h.PrevHash, &h.Hash, &h.Digest, &h.Sig); err != nil {
			t.Fatal(err)
		}
		es = append(es, h)
	}
	rows.Close()
	var forged int64
	prev := ""
	for i := range es {
		if es[i].Kind == "letter.note" {
			forged = es[i].Seq
			es[i].Summary, es[i].Payload = "Dossier incomplet", strings.Replace(es[i].Payload, "Dossier complet", "Dossier incomplet", 1)
		}
		if forged != 0 {
			es[i].PrevHash = prev
			es[i].Hash = appliance.HashEntry(&es[i])
			mustExec(`UPDATE history SET summary = ?, payload = ?, prev_hash = ?, hash = ? WHERE seq = ?`, es[i].Summary, es[i].Payload, es[i].PrevHash, es[i].Hash, es[i].Seq)
		}
		prev = es[i].Hash
	}
	mustExec(`UPDATE meta SET value = ? WHERE key = 'history_head'`, prev)
	db.Close()
	r = runMissive(t, "", "history", "verify", "--data", data)
	if r.code != 1 || !strings.Contains(r.stderr, "entrée n° "+strconv.Itoa(int(forged))) || !strings.Contains(r.stderr, "signature") {
		t.Fatalf("rewritten chain: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	s = startMissive(t, data)
	warn := regexp.MustCompile(`level=WARN msg="history verification failed.*seq=` + strconv.Itoa(int(forged)))
	if s.stderr.wait(warn, 30*time.Second) == nil {
		t.Fatalf("no warning at start for a rewritten history:\n%s", s.stderr)
	}
	s.stop()
}
