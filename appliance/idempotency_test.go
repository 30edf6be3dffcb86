package appliance_test

import (
	"bytes"
	"errors"
	"testing"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/store"
)

// keyedCommand encodes a letter registration stamped with number num and
// carrying an idempotency key, as a node proposes it.
func (e *suiteEnv) keyedCommand(t *testing.T, key, fingerprint string, num int, subject string) []byte {
	t.Helper()
	return registration(t, e.Admin.ID(), e.Clock.Now(), num, subject, &appliance.Idem{Key: key, Fingerprint: fingerprint})
}

// TestIdempotencyDecidedAtApply: two requests with one key, both proposed
// before either was applied (two nodes, or a retry racing its original),
// are decided in log order: the second changes nothing and answers with
// the first one's result; with another fingerprint it is refused.
func TestIdempotencyDecidedAtApply(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ap := appliance.NewApplier(env.Store, apptest.Logger()).WithHistoryKey(env.HistoryKey)
		first := env.keyedCommand(t, "cle-1", "fp", 1, "Premier envoi")
		second := env.keyedCommand(t, "cle-1", "fp", 2, "Premier envoi")
		r1 := ap.Apply(0, first).(*appliance.Result)
		if r1.Err != nil || r1.Idem == nil || r1.Idem.Key != "cle-1" {
			t.Fatalf("first: %+v", r1)
		}
		before := env.dump(t)
		r2 := ap.Apply(0, second).(*appliance.Result)
		var dup *appliance.DuplicateError
		if !errors.As(r2.Err, &dup) || dup.Record.CommandID != r1.Idem.CommandID || dup.Record.Result != r1.Idem.Result {
			t.Fatalf("second with the same key: %+v, want the first one's record", r2)
		}
		if !bytes.Equal(before, env.dump(t)) {
			t.Error("the duplicate changed the store")
		}
		reused := env.keyedCommand(t, "cle-1", "autre", 2, "Autre chose")
		if r := ap.Apply(0, reused).(*appliance.Result); !errors.Is(r.Err, appliance.ErrKeyReused) {
			t.Errorf("same key, other request: %v, want ErrKeyReused", r.Err)
		}
		if _, n := env.list(t, env.Admin, store.LetterFilter{}); n != 1 {
			t.Fatalf("%d letters, want 1", n)
		}
	})
}

// TestFormKeyIsAnIdempotencyKey: a registration form sent by an earlier
// version (its key in the payload of letter.register.form, still in raft
// logs) and the same form sent again now are one letter.
func TestFormKeyIsAnIdempotencyKey(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		key := "cle-de-formulaire-0001"
		old := appliance.LetterRegisterForm{Key: key, Letter: appliance.LetterRegister{ID: appliance.NewID(), Category: "incoming", Year: 2026, Num: 1,
			Number: "2026/A/000001", Subject: "Formulaire d'avant", ArrivalDate: "2026-03-10", Priority: "normal", Status: "new", Channel: "paper", Copies: []appliance.CopyPayload{}}}
		if r := env.applyDirect(t, "default", env.Admin.ID(), appliance.KindLetterRegisterForm, old); r.Err != nil {
			t.Fatalf("apply an earlier version's form: %v", r.Err)
		}
		l, dup, err := env.Svc.RegisterLetterOnce(t.Context(), env.Admin, key, appliance.RegisterInput{Category: domain.Incoming, Subject: "Formulaire d'avant"})
		if err != nil || !dup || l.ID != old.Letter.ID {
			t.Fatalf("the form again: %v dup=%v %+v, want the letter %s", err, dup, l, old.Letter.ID)
		}
		// The old command with the same key again (a replayed log) is
		// refused the same way.
		if r := env.applyDirect(t, "default", env.Admin.ID(), appliance.KindLetterRegisterForm, old); !errors.Is(r.Err, appliance.ErrConflict) {
			t.Fatalf("the earlier form again: %v", r.Err)
		}
		if _, n := env.list(t, env.Admin, store.LetterFilter{}); n != 1 {
			t.Fatalf("%d letters, want 1", n)
		}
	})
}

// TestFormKeysCarriedOverByMigration: the keys of forms sent before the
// upgrade (web_submissions) still make one letter after it.
func TestFormKeysCarriedOverByMigration(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		l := env.register(t, env.Admin, appliance.RegisterInput{Subject: "Formulaire envoyé avant la mise à jour"})
		key := "cle-davant-la-mise-a-jour"
		db := env.rawDB(t)
		// The database as the version before idempotency keys left it:
		// schema 11, the form's key in web_submissions (every table of a later
		// migration dropped with it).
		for _, q := range []string{`DROP TABLE idempotency_keys`, `ALTER TABLE history DROP COLUMN digest`, `ALTER TABLE history DROP COLUMN sig`,
			`DROP TABLE backup_runs`, `DROP TABLE cluster_tokens`, `DROP TABLE cluster_members`, `DROP TABLE node_owner`,
			`DROP TABLE tls_assets`, `DROP TABLE tls_locks`,
			`DELETE FROM schema_migrations WHERE version >= 12`} {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if _, err := db.Exec(env.q(`INSERT INTO web_submissions (tenant_id, key, letter_id, created_at) VALUES (?, ?, ?, ?)`), "default", key, l.ID, l.CreatedAt); err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(t.Context(), env.DSN, env.Dir)
		if err != nil {
			t.Fatalf("migrate: %v", err)
		}
		st.Close()
		got, dup, err := env.Svc.RegisterLetterOnce(t.Context(), env.Admin, key, appliance.RegisterInput{Category: domain.Incoming, Subject: "Formulaire envoyé avant la mise à jour"})
		if err != nil || !dup || got.ID != l.ID {
			t.Fatalf("the form sent again after the upgrade: %v dup=%v %+v", err, dup, got)
		}
	})
}
