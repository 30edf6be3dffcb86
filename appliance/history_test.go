package appliance_test

import (
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/domain"
)

func TestHistoryChain(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		start := env.historyLen(t)
		l := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Demande de subvention"})
		if _, err := env.Svc.AddNote(ctx, env.Admin, l.ID, appliance.NoteInput{Text: "À instruire"}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Svc.Redirect(ctx, env.Admin, l.ID, appliance.RedirectInput{EntityID: env.root(t).ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Svc.Close(ctx, env.Admin, l.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Svc.Reopen(ctx, env.Admin, l.ID, ""); err != nil {
			t.Fatal(err)
		}
		var kinds []string
		var entries []domain.HistoryEntry
		if err := env.Store.Reader().EachHistory(ctx, func(h *domain.HistoryEntry) bool {
			entries = append(entries, *h)
			return true
		}); err != nil {
			t.Fatal(err)
		}
		for i, h := range entries {
			if h.Seq != int64(i+1) {
				t.Fatalf("entry %d has seq %d", i, h.Seq)
			}
			if i >= start {
				kinds = append(kinds, h.Kind)
				if h.LetterID != l.ID || h.ActorID != env.Admin.ID() || h.Summary == "" {
					t.Errorf("entry %d: %+v", h.Seq, h)
				}
			}
		}
		if got := strings.Join(kinds, " "); got != "letter.register letter.note letter.redirect letter.close letter.reopen" {
			t.Fatalf("kinds appended: %s", got)
		}
		n := int64(len(entries))
		verify := func(want int64, why string) {
			t.Helper()
			res, err := appliance.VerifyHistory(ctx, env.Store.Reader(), appliance.VerifyOptions{Key: env.HistoryKey})
			if err != nil {
				t.Fatalf("%s: verify: %v", why, err)
			}
			if res.BadSeq != want {
				t.Fatalf("%s: first bad entry %d (%s), want %d", why, res.BadSeq, res.Reason, want)
			}
			if want != 0 && res.Reason == "" {
				t.Fatalf("%s: no reason given", why)
			}
			if want == 0 && res.Entries != n {
				t.Fatalf("%s: %d entries verified, want %d", why, res.Entries, n)
			}
		}
		verify(0, "untouched chain")

		db := env.rawDB(t)
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.ExecContext(ctx, env.q(q), args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		type row struct {
			seq                                                                            int64
			tenant, at, actor, kind, letter, summary, payload, prevHash, hash, digest, sig string
		}
		save := func(seq int64) row {
			r := row{seq: seq}
			err := db.QueryRowContext(ctx, env.q(`SELECT tenant_id, at, actor_id, kind, letter_id, summary, payload, prev_hash, hash, digest, sig FROM history WHERE seq = ?`), seq).
				Scan(&r.tenant, &r.at, &r.actor, &r.kind, &r.letter, &r.summary, &r.payload, &r.prevHash, &r.hash, &r.digest, &r.sig)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		restore := func(r row) {
			exec(`INSERT INTO history (seq, tenant_id, at, actor_id, kind, letter_id, summary, payload, prev_hash, hash, digest, sig) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				r.seq, r.tenant, r.at, r.actor, r.kind, r.letter, r.summary, r.payload, r.prevHash, r.hash, r.digest, r.sig)
		}

		// (a) A summary rewritten to hide what happened.
		mid := n - 2
		orig := save(mid)
		exec(`UPDATE history SET summary = ? WHERE seq = ?`, "Rien à signaler", mid)
		verify(mid, "summary altered")
		exec(`UPDATE history SET summary = ? WHERE seq = ?`, orig.summary, mid)
		verify(0, "summary restored")

		// (b) An entry removed from the middle: the next one is the first
		// that no longer follows.
		exec(`DELETE FROM history WHERE seq = ?`, mid)
		verify(mid+1, "middle entry deleted")
		restore(orig)
		verify(0, "middle entry restored")

		// (c) The last entry removed: the chain is intact but shorter than
		// the head recorded with the last apply.
		last := save(n)
		exec(`DELETE FROM history WHERE seq = ?`, n)
		verify(n, "last entry deleted")
		restore(last)
		verify(0, "last entry restored")

		// A rewritten entry whose hash was recomputed: its signature no
		// longer matches (history_tamper_test.go tries every field).
		forged := &domain.HistoryEntry{Seq: orig.seq, TenantID: orig.tenant, At: orig.at, ActorID: orig.actor, Kind: orig.kind,
			LetterID: orig.letter, Summary: "Rien à signaler", Payload: orig.payload, PrevHash: orig.prevHash, Digest: orig.digest}
		exec(`UPDATE history SET summary = ?, hash = ? WHERE seq = ?`, forged.Summary, appliance.HashEntry(forged), mid)
		verify(mid, "entry forged with its hash")
	})
}
