package appliance_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/store"
)

// TestTLSLocks: a TLS lock is granted when free, refused while another
// owner's is live, granted once it expired by the time of the command that
// asks (not the wall clock: the clock is set years ahead), extended by its
// owner, and freed only by its owner.
func TestTLSLocks(t *testing.T) {
	t.Parallel()
	apptest.ForEachDialect(t, func(t *testing.T, dsn string) {
		env := apptest.New(t, dsn)
		clock := apptest.NewClock(time.Date(2031, 3, 1, 10, 0, 0, 0, time.UTC))
		env.Svc.Now = clock.Now
		ctx := t.Context()
		const name = "issue_cert_mairie.example"
		if err := env.Svc.TLSLock(ctx, name, "n1", time.Minute); err != nil {
			t.Fatalf("a free lock was refused: %v", err)
		}
		clock.Add(30 * time.Second)
		if err := env.Svc.TLSLock(ctx, name, "n2", time.Minute); !errors.Is(err, appliance.ErrTLSLockHeld) {
			t.Fatalf("a live lock was granted to another owner: %v", err)
		}
		// Its owner extends it: 30 s + 1 min from now.
		if err := env.Svc.TLSLock(ctx, name, "n1", time.Minute); err != nil {
			t.Fatalf("the owner could not extend its lock: %v", err)
		}
		// Past the first expiry, before the extended one.
		clock.Add(45 * time.Second)
		if err := env.Svc.TLSLock(ctx, name, "n2", time.Minute); !errors.Is(err, appliance.ErrTLSLockHeld) {
			t.Fatalf("the extended lock was granted to another owner: %v", err)
		}
		// Only the owner frees it.
		if err := env.Svc.TLSUnlock(ctx, name, "n2"); !errors.Is(err, appliance.ErrConflict) {
			t.Fatalf("another owner freed the lock: %v", err)
		}
		if l, err := env.Store.Reader().TLSLock(ctx, name); err != nil || l == nil || l.Owner != "n1" {
			t.Fatalf("lock after a stranger's unlock: %+v %v", l, err)
		}
		// Expired by the command's time: granted to another.
		clock.Add(time.Minute)
		if err := env.Svc.TLSLock(ctx, name, "n2", time.Minute); err != nil {
			t.Fatalf("an expired lock was refused: %v", err)
		}
		// The first owner's late unlock must not free n2's lock.
		if err := env.Svc.TLSUnlock(ctx, name, "n1"); !errors.Is(err, appliance.ErrConflict) {
			t.Fatalf("the former owner freed the new owner's lock: %v", err)
		}
		if err := env.Svc.TLSUnlock(ctx, name, "n2"); err != nil {
			t.Fatal(err)
		}
		if l, err := env.Store.Reader().TLSLock(ctx, name); err != nil || l != nil {
			t.Fatalf("lock after its owner's unlock: %+v %v", l, err)
		}
		if err := env.Svc.TLSUnlock(ctx, name, "n2"); err != nil {
			t.Fatalf("unlocking a free lock: %v", err)
		}
		if err := env.Svc.TLSLock(ctx, name, "n3", time.Minute); err != nil {
			t.Fatalf("a freed lock was refused: %v", err)
		}
		for _, bad := range []struct {
			owner string
			ttl   time.Duration
		}{{"", time.Minute}, {"n4", 0}, {"n4", 48 * time.Hour}} {
			if err := env.Svc.TLSLock(ctx, "other", bad.owner, bad.ttl); !errors.Is(err, appliance.ErrInvalid) {
				t.Fatalf("lock %+v: %v", bad, err)
			}
		}
	})
}

// TestTLSAssets: put, load, stat, list and delete round trip, values
// sealed at rest, and Apply refuses a value in clear.
func TestTLSAssets(t *testing.T) {
	t.Parallel()
	apptest.ForEachDialect(t, func(t *testing.T, dsn string) {
		env := apptest.New(t, dsn)
		ctx := t.Context()
		key := "certificates/acme/mairie.example/mairie.example.key"
		secret := "-----BEGIN EC PRIVATE KEY-----\nsecret\n-----END EC PRIVATE KEY-----\n"
		put := map[string]string{
			key: secret,
			"certificates/acme/mairie.example/mairie.example.crt": "crt",
			"certificates/acme/mairie_x/mairie_x.crt":             "underscore",
			"certificates/acmeother/a.crt":                        "sibling",
			"acme/ca/users/x/x.json":                              "{}",
		}
		for k, v := range put {
			if err := env.Svc.TLSStore(ctx, k, []byte(v)); err != nil {
				t.Fatalf("store %s: %v", k, err)
			}
		}
		if err := env.Svc.TLSStore(ctx, key, []byte(secret)); err != nil {
			t.Fatalf("store again: %v", err)
		}
		got, err := env.Svc.TLSLoad(ctx, key)
		if err != nil || string(got) != secret {
			t.Fatalf("load: %q %v", got, err)
		}
		raw, err := env.Store.Reader().TLSAsset(ctx, key)
		if err != nil || !appliance.IsSealed(raw.Value) || strings.Contains(raw.Value, "PRIVATE") {
			t.Fatalf("the private key is not sealed at rest: %+v %v", raw, err)
		}
		st, err := env.Svc.TLSStat(ctx, key)
		if err != nil || st.Size != int64(len(secret)) || st.ModifiedAt == "" || st.Value != "" {
			t.Fatalf("stat: %+v %v", st, err)
		}
		if _, err := env.Svc.TLSLoad(ctx, "certificates/acme/nothing"); !errors.Is(err, appliance.ErrNotFound) {
			t.Fatalf("load of a missing key: %v", err)
		}
		keys := func(prefix string) []string {
			as, err := env.Svc.TLSKeys(ctx, prefix)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, a := range as {
				out = append(out, a.Key)
			}
			return out
		}
		if got, want := keys("certificates/acme"), []string{"certificates/acme/mairie.example/mairie.example.crt", key, "certificates/acme/mairie_x/mairie_x.crt"}; !slices.Equal(got, want) {
			t.Fatalf("keys under certificates/acme: %v, want %v", got, want)
		}
		if got := keys(""); len(got) != 5 {
			t.Fatalf("every key: %v", got)
		}
		// Delete is by prefix of components: "certificates/acme" is not a
		// prefix of "certificates/acmeother".
		if err := env.Svc.TLSDelete(ctx, "certificates/acme"); err != nil {
			t.Fatal(err)
		}
		if got := keys("certificates"); !slices.Equal(got, []string{"certificates/acmeother/a.crt"}) {
			t.Fatalf("after deleting certificates/acme: %v", got)
		}
		if err := env.Svc.TLSDelete(ctx, "certificates/acme"); err != nil {
			t.Fatalf("deleting a missing key: %v", err)
		}
		if err := env.Svc.TLSDelete(ctx, "acme/ca/users/x/x.json"); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Svc.TLSLoad(ctx, "acme/ca/users/x/x.json"); !errors.Is(err, appliance.ErrNotFound) {
			t.Fatalf("a deleted key loads: %v", err)
		}
		for _, bad := range []string{"", "/a", "a/", "a//b"} {
			if err := env.Svc.TLSStore(ctx, bad, []byte("x")); !errors.Is(err, appliance.ErrInvalid) {
				t.Fatalf("key %q: %v", bad, err)
			}
		}
		// A value in clear, proposed behind the Service's back, is refused.
		applied, _ := env.Store.AppliedIndex(ctx)
		cmd, _ := appliance.NewCommand(appliance.KindTLSPut, appliance.ClusterTenant, appliance.SystemActor, time.Now(),
			appliance.TLSPut{Key: "certificates/clear.key", Value: secret, Size: int64(len(secret))})
		b, _ := cmd.Encode()
		res := appliance.NewApplier(env.Store, apptest.Logger()).Apply(applied+1, b).(*appliance.Result)
		if !errors.Is(res.Err, appliance.ErrInvalid) {
			t.Fatalf("a value in clear was applied: %v", res.Err)
		}
		if _, err := env.Store.Reader().TLSAsset(ctx, "certificates/clear.key"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the refused value is stored: %v", err)
		}
	})
}
