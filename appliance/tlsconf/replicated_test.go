package tlsconf_test

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"testing"
	"time"

	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/tlsconf"
)

// TestReplicatedStorageContract: the replicated Storage keeps certmagic's
// contract (what FileStorage does): missing keys are fs.ErrNotExist,
// directories exist and stat as non-terminal, List lists children or the
// whole tree, Delete takes a directory with everything under it and a
// missing key is no error.
func TestReplicatedStorageContract(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, "")
	ctx := t.Context()
	st := tlsconf.Replicated(env.Svc, "n1", nil)
	for _, k := range []string{"certificates/ca/site.test/site.test.crt", "certificates/ca/site.test/site.test.key", "acme/ca/users/dsi/dsi.json"} {
		if err := st.Store(ctx, k, []byte("v:"+k)); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := st.Load(ctx, "acme/ca/users/dsi/dsi.json"); err != nil || string(v) != "v:acme/ca/users/dsi/dsi.json" {
		t.Fatalf("load: %q %v", v, err)
	}
	for _, missing := range []string{"acme/ca/users/other.json", "certificates/c"} {
		if _, err := st.Load(ctx, missing); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("load %s: %v, want fs.ErrNotExist", missing, err)
		}
		if _, err := st.Stat(ctx, missing); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("stat %s: %v, want fs.ErrNotExist", missing, err)
		}
		if st.Exists(ctx, missing) {
			t.Fatalf("%s exists", missing)
		}
	}
	if _, err := st.List(ctx, "nothing", false); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("list of nothing: %v", err)
	}
	if ki, err := st.Stat(ctx, "certificates/ca"); err != nil || ki.IsTerminal || !st.Exists(ctx, "certificates/ca") {
		t.Fatalf("a directory: %+v %v", ki, err)
	}
	if ki, err := st.Stat(ctx, "certificates/ca/site.test/site.test.key"); err != nil || !ki.IsTerminal || ki.Size != int64(len("v:certificates/ca/site.test/site.test.key")) || ki.Modified.IsZero() {
		t.Fatalf("a key: %+v %v", ki, err)
	}
	if got, err := st.List(ctx, "certificates", false); err != nil || !slices.Equal(got, []string{"certificates/ca"}) {
		t.Fatalf("list certificates: %v %v", got, err)
	}
	if got, err := st.List(ctx, "certificates/ca/site.test", false); err != nil || !slices.Equal(got, []string{"certificates/ca/site.test/site.test.crt", "certificates/ca/site.test/site.test.key"}) {
		t.Fatalf("list a site: %v %v", got, err)
	}
	want := []string{"certificates/ca", "certificates/ca/site.test", "certificates/ca/site.test/site.test.crt", "certificates/ca/site.test/site.test.key"}
	if got, err := st.List(ctx, "certificates", true); err != nil || !slices.Equal(got, want) {
		t.Fatalf("list certificates recursively: %v %v", got, err)
	}
	if err := st.Delete(ctx, "certificates/ca"); err != nil {
		t.Fatal(err)
	}
	if st.Exists(ctx, "certificates/ca/site.test/site.test.crt") || st.Exists(ctx, "certificates") {
		t.Fatal("Delete of a directory left keys under it")
	}
	if err := st.Delete(ctx, "certificates/ca"); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
}

// TestReplicatedLockWaits: a second owner's Lock waits while the first
// holds the lock, gives up when its context ends, and gets it once the
// first unlocks; two goroutines of one owner are exclusive as well.
func TestReplicatedLockWaits(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, "")
	ctx := t.Context()
	a, b := tlsconf.Replicated(env.Svc, "n1", nil), tlsconf.Replicated(env.Svc, "n2", nil)
	if err := a.Lock(ctx, "issue_cert_site.test"); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
	defer cancel()
	if err := b.Lock(short, "issue_cert_site.test"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a held lock was taken by another owner: %v", err)
	}
	short2, cancel2 := context.WithTimeout(ctx, 700*time.Millisecond)
	defer cancel2()
	if err := a.Lock(short2, "issue_cert_site.test"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a held lock was taken twice in one process: %v", err)
	}
	got := make(chan error, 1)
	go func() { got <- b.Lock(ctx, "issue_cert_site.test") }()
	select {
	case err := <-got:
		t.Fatalf("Lock returned while the lock was held: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := a.Unlock(ctx, "issue_cert_site.test"); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("Lock after the holder's Unlock: %v", err)
	}
	if err := b.Unlock(ctx, "issue_cert_site.test"); err != nil {
		t.Fatal(err)
	}
	if err := a.Unlock(ctx, "issue_cert_site.test"); err == nil {
		t.Fatal("Unlock of a lock this node does not hold")
	}
}

// TestReplicatedLockIsExtendedWhileHeld: a lock held longer than its life
// is extended in the background, so another node does not take it while
// the holder works (an ACME order longer than the lock's life).
func TestReplicatedLockIsExtendedWhileHeld(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, "")
	clock := apptest.NewClock(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	env.Svc.Now = clock.Now
	ctx := t.Context()
	a, b := tlsconf.ReplicatedTTL(env.Svc, "n1", 3*time.Second), tlsconf.Replicated(env.Svc, "n2", nil)
	if err := a.Lock(ctx, "issue_cert_site.test"); err != nil {
		t.Fatal(err)
	}
	// Past the life the lock was granted with (the lock's time is the
	// commands' clock): the holder's next extension must carry it on.
	clock.Add(4 * time.Second)
	now := clock.Now().UTC().Format(domain.TimeLayout)
	apptest.Eventually(t, 30*time.Second, "the held lock extended past its first life", func() bool {
		l, err := env.Store.Reader().TLSLock(ctx, "issue_cert_site.test")
		return err == nil && l != nil && l.ExpiresAt > now
	})
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := b.Lock(short, "issue_cert_site.test"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a held lock was taken once its first life was over: %v", err)
	}
	if err := a.Unlock(ctx, "issue_cert_site.test"); err != nil {
		t.Fatal(err)
	}
}
