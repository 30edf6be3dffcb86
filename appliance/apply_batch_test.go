package appliance_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/store"
)

// registrationWith is registration with the letter id and a new sender set.
func registrationWith(t *testing.T, actor string, at time.Time, id string, num int, subject, senderEmail string) []byte {
	t.Helper()
	p := appliance.LetterRegister{ID: id, Category: "incoming", Year: 2026, Num: num, Number: fmt.Sprintf("2026/A/%06d", num),
		Subject: subject, ArrivalDate: "2026-03-10", Priority: "normal", Status: "new", Channel: "paper", Copies: []appliance.CopyPayload{},
		NewSender: &appliance.ContactCreate{ID: appliance.NewID(), Kind: "person", LastName: "Expéditeur", Email: senderEmail}}
	cmd, err := appliance.NewCommand(appliance.KindLetterRegister, "default", actor, at, p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cmd.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestApplyBatchRefusalInTheMiddle: the entries of one raft batch are
// applied in one transaction, and one refused in the middle — after it
// wrote something, which on PostgreSQL aborts the transaction — changes
// nothing and does not fail the others: each gets the result Apply would
// have given it, waiters are answered, idempotency keys are decided in log
// order inside the batch, the history chain verifies, and the batch
// replayed after a restart changes nothing.
func TestApplyBatchRefusalInTheMiddle(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := t.Context()
		a := appliance.NewApplier(env.Store, apptest.Logger()).WithHistoryKey(env.HistoryKey)
		defer a.Close()
		idx, err := env.Store.AppliedIndex(ctx)
		if err != nil {
			t.Fatal(err)
		}
		admin, now := env.Admin.ID(), env.Clock.Now()
		first := appliance.NewID()
		entries := [][]byte{
			registrationWith(t, admin, now, first, 1, "Premier", "premier@exemple.test"),
			// The same letter id again: its new sender is written, then the
			// letter insert fails. The sender must go with it.
			registrationWith(t, admin, now, first, 2, "Doublon", "doublon@exemple.test"),
			env.keyedCommand(t, "cle-lot", "fp", 2, "Deuxième"),
			// The same key again in the same batch: the first one's result.
			env.keyedCommand(t, "cle-lot", "fp", 3, "Deuxième"),
			registration(t, admin, now, 9, "Numéro pris", nil),
			registration(t, admin, now, 3, "Troisième", nil),
		}
		indexes := make([]uint64, len(entries))
		for i := range indexes {
			indexes[i] = idx + uint64(i) + 1
		}
		waitRefused, cancel := a.Expect(entries[1])
		defer cancel()
		waitApplied, cancel2 := a.Expect(entries[5])
		defer cancel2()
		before, err := appliance.VerifyHistory(ctx, env.Store.Reader(), appliance.VerifyOptions{Key: env.HistoryKey})
		if err != nil {
			t.Fatal(err)
		}

		out := a.ApplyBatch(indexes, entries)
		if len(out) != len(entries) {
			t.Fatalf("%d results for %d entries", len(out), len(entries))
		}
		r := make([]*appliance.Result, len(out))
		for i := range out {
			r[i] = out[i].(*appliance.Result)
		}
		if r[0].Err != nil || r[2].Err != nil || r[5].Err != nil {
			t.Fatalf("applied entries refused: %v / %v / %v", r[0].Err, r[2].Err, r[5].Err)
		}
		if !errors.Is(r[1].Err, appliance.ErrConflict) {
			t.Errorf("duplicate letter id: %v, want a conflict", r[1].Err)
		}
		var dup *appliance.DuplicateError
		if !errors.As(r[3].Err, &dup) || r[2].Idem == nil || dup.Record.CommandID != r[2].Idem.CommandID {
			t.Errorf("same key twice in a batch: %+v, want the first one's record", r[3])
		}
		if r[4].Err == nil || !strings.Contains(r[4].Err.Error(), "déjà attribué") {
			t.Errorf("number 9 after 2: %v, want refused", r[4].Err)
		}
		select {
		case v := <-waitRefused:
			if res := v.(*appliance.Result); res.Err == nil || res.Err.Error() != r[1].Err.Error() {
				t.Errorf("the waiter of the refused entry got %+v", res)
			}
		default:
			t.Error("the waiter of the refused entry got nothing")
		}
		select {
		case v := <-waitApplied:
			if res := v.(*appliance.Result); res.Err != nil || res.Value == nil {
				t.Errorf("the waiter of an applied entry got %+v", res)
			}
		default:
			t.Error("the waiter of an applied entry got nothing")
		}

		if _, err := env.Store.Reader().ContactByEmail(ctx, "default", "doublon@exemple.test"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the refused entry's sender was kept: %v", err)
		}
		if _, err := env.Store.Reader().ContactByEmail(ctx, "default", "premier@exemple.test"); err != nil {
			t.Errorf("the first entry's sender: %v", err)
		}
		ls, n, err := env.Svc.Letters(ctx, env.Admin, store.LetterFilter{Sort: "number"})
		if err != nil || n != 3 {
			t.Fatalf("%d letters (%v), want 3", n, err)
		}
		for i, want := range []string{"Premier", "Deuxième", "Troisième"} {
			if ls[i].Subject != want || ls[i].Number != fmt.Sprintf("2026/A/%06d", i+1) {
				t.Errorf("letter %d: %s %q, want %q", i+1, ls[i].Number, ls[i].Subject, want)
			}
		}
		if got, _ := env.Store.AppliedIndex(ctx); got != indexes[len(indexes)-1] {
			t.Errorf("applied index %d, want %d", got, indexes[len(indexes)-1])
		}
		after, err := appliance.VerifyHistory(ctx, env.Store.Reader(), appliance.VerifyOptions{Key: env.HistoryKey})
		if err != nil || !after.OK() {
			t.Fatalf("history after a batch: %+v %v", after, err)
		}
		if got := after.Entries - before.Entries; got != 3 {
			t.Errorf("%d history entries for 3 applied commands", got)
		}

		// A restart replays the batch: nothing is applied twice.
		dump := env.dump(t)
		b := appliance.NewApplier(env.Store, apptest.Logger()).WithHistoryKey(env.HistoryKey)
		defer b.Close()
		for i, v := range b.ApplyBatch(indexes, entries) {
			if res := v.(*appliance.Result); res.Err != nil || res.Value != nil {
				t.Errorf("entry %d replayed: %+v", i, res)
			}
		}
		if !bytes.Equal(dump, env.dump(t)) {
			t.Error("the replayed batch changed the store")
		}
	})
}

// TestApplyBatchWaitsForTheStore: a batch the database cannot take (it is
// down) is not lost nor refused: every entry of it waits, in order, and is
// applied once the database is back, exactly as entries applied one by
// one (TestCommittedEntryWaitsForTheStore).
func TestApplyBatchWaitsForTheStore(t *testing.T) {
	t.Parallel()
	srv, env, idx := haltablePG(t, "batch")
	ctx := t.Context()
	a := appliance.NewApplier(env.Store, apptest.Logger()).WithHistoryKey(env.HistoryKey)
	defer a.Close()
	admin := env.Admin.ID()
	subjects := []string{"Un", "Deux", "Trois"}
	var entries [][]byte
	var indexes []uint64
	for i, s := range subjects {
		entries = append(entries, registration(t, admin, time.Now(), i+1, s, nil))
		indexes = append(indexes, idx+uint64(i)+1)
	}
	if err := srv.Halt(); err != nil {
		t.Fatal(err)
	}
	for i, v := range a.ApplyBatch(indexes, entries) {
		if r := v.(*appliance.Result); !errors.Is(r.Err, appliance.ErrPending) {
			t.Fatalf("entry %d of a batch while the database is down: %+v, want pending", i, r)
		}
	}
	if n := a.Pending(); n != len(entries) {
		t.Fatalf("%d entries pending, want %d", n, len(entries))
	}
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	apptest.Eventually(t, 30*time.Second, "no entry pending once the database came back", func() bool { return a.Pending() == 0 })
	ls, n, err := env.Svc.Letters(ctx, env.Admin, store.LetterFilter{Sort: "number"})
	if err != nil || n != len(subjects) {
		t.Fatalf("%d letters (%v), want %d", n, err, len(subjects))
	}
	for i, want := range subjects {
		if ls[i].Subject != want {
			t.Errorf("letter %d: %q, want %q", i+1, ls[i].Subject, want)
		}
	}
	if got, _ := env.Store.AppliedIndex(ctx); got != indexes[len(indexes)-1] {
		t.Errorf("applied index %d, want %d", got, indexes[len(indexes)-1])
	}
	if res, err := appliance.VerifyHistory(ctx, env.Store.Reader(), appliance.VerifyOptions{Key: env.HistoryKey}); err != nil || !res.OK() {
		t.Fatalf("history: %+v %v", res, err)
	}
}
