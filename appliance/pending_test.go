package appliance_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/store"
	"missive/appliance/store/pgtest"
)

// registration encodes a letter.register stamped with number num, as the
// leader proposes it, with an idempotency key or none.
func registration(t *testing.T, actor string, at time.Time, num int, subject string, idem *appliance.Idem) []byte {
	t.Helper()
	p := appliance.LetterRegister{ID: appliance.NewID(), Category: "incoming", Year: 2026, Num: num, Number: fmt.Sprintf("2026/A/%06d", num),
		Subject: subject, ArrivalDate: "2026-03-10", Priority: "normal", Status: "new", Channel: "paper", Copies: []appliance.CopyPayload{}}
	cmd, err := appliance.NewCommand(appliance.KindLetterRegister, "default", actor, at, p)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Idem = idem
	b, err := cmd.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// haltablePG is an appliance on a PostgreSQL server of its own, which the
// test may halt and resume, and the store's applied index.
func haltablePG(t *testing.T, name string) (*pgtest.Server, *apptest.Env, uint64) {
	t.Helper()
	srv, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	dsn, err := srv.NewDatabase(name)
	if err != nil {
		t.Fatal(err)
	}
	env := apptest.New(t, dsn)
	idx, err := env.Store.AppliedIndex(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return srv, env, idx
}

// TestCommittedEntryWaitsForTheStore: entries committed while PostgreSQL
// is down are neither skipped nor refused: their proposers are told they
// are pending, no snapshot is taken over them, and they are applied in
// order once the database is back; a restart before that applies them
// from the log, once.
func TestCommittedEntryWaitsForTheStore(t *testing.T) {
	t.Parallel()
	srv, env, idx := haltablePG(t, "pending")
	ctx := t.Context()
	a := appliance.NewApplier(env.Store, apptest.Logger()).WithHistoryKey(env.HistoryKey)
	defer a.Close()
	env.Svc.Applier = a
	admin := env.Admin.ID()

	if err := srv.Halt(); err != nil {
		t.Fatal(err)
	}
	for i, subject := range []string{"Pendant la panne", "Juste après"} {
		r := a.Apply(idx+uint64(i)+1, registration(t, admin, time.Now(), i+1, subject, nil)).(*appliance.Result)
		var pe *appliance.PendingError
		if !errors.As(r.Err, &pe) || pe.CommandID == "" || !errors.Is(r.Err, appliance.ErrPending) {
			t.Fatalf("entry %d applied while the database is down: %+v, want pending", i+1, r)
		}
	}
	if n := a.Pending(); n != 2 {
		t.Fatalf("%d entries pending, want 2", n)
	}
	if _, _, err := a.SnapshotTo(); err == nil {
		t.Fatal("a snapshot was taken over entries the store does not have")
	}
	if err := env.Svc.Ready(ctx); !appliance.IsUnavailable(err) {
		t.Fatalf("Ready while the database is down: %v", err)
	}
	if _, err := env.Svc.CreateContact(ctx, env.Admin, appliance.ContactInput{LastName: "Durand"}); !appliance.IsUnavailable(err) {
		t.Fatalf("a write while entries wait: %v, want unavailable", err)
	}

	// A restart now (the retries stopped): the new applier gets the log
	// replayed, and the entries apply once the database is back.
	a.Close()
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	b := appliance.NewApplier(env.Store, apptest.Logger()).WithHistoryKey(env.HistoryKey)
	defer b.Close()
	if r := b.Apply(idx+1, registration(t, admin, time.Now(), 1, "Pendant la panne", nil)).(*appliance.Result); r.Err != nil {
		t.Fatalf("replayed entry: %v", r.Err)
	}

	// And the same without a restart: the retrier applies what waits.
	env.Svc.Applier = b
	if err := srv.Halt(); err != nil {
		t.Fatal(err)
	}
	for i, subject := range []string{"Juste après", "Encore après"} {
		if r := b.Apply(idx+uint64(i)+2, registration(t, admin, time.Now(), i+2, subject, nil)).(*appliance.Result); !errors.Is(r.Err, appliance.ErrPending) {
			t.Fatalf("entry %d: %+v, want pending", i+2, r)
		}
	}
	if err := srv.Resume(); err != nil {
		t.Fatal(err)
	}
	apptest.Eventually(t, 30*time.Second, "no entry pending once the database came back", func() bool { return b.Pending() == 0 })
	if err := env.Svc.Ready(ctx); err != nil {
		t.Fatalf("not ready once the entries applied: %v", err)
	}
	// The log replayed again (another restart) changes nothing.
	if r := b.Apply(idx+3, registration(t, admin, time.Now(), 3, "Encore après", nil)).(*appliance.Result); r.Err != nil || r.Value != nil {
		t.Fatalf("entry applied twice: %+v", r)
	}
	ls, n, err := env.Svc.Letters(ctx, env.Admin, store.LetterFilter{Sort: "number"})
	if err != nil || n != 3 {
		t.Fatalf("%d letters (%v), want 3", n, err)
	}
	for i, want := range []string{"Pendant la panne", "Juste après", "Encore après"} {
		if ls[i].Subject != want || ls[i].Number != fmt.Sprintf("2026/A/%06d", i+1) {
			t.Errorf("letter %d: %s %q, want %q", i+1, ls[i].Number, ls[i].Subject, want)
		}
	}
	if got, _ := env.Store.AppliedIndex(ctx); got != idx+3 {
		t.Errorf("applied index %d, want %d", got, idx+3)
	}
	if res, err := appliance.VerifyHistory(ctx, env.Store.Reader(), appliance.VerifyOptions{Key: env.HistoryKey}); err != nil || !res.OK() {
		t.Fatalf("history: %+v %v", res, err)
	}
}
