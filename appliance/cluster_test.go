package appliance_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"missive/appliance"
)

func tokenHash(n int) string { return fmt.Sprintf("%064x", n) }

// Apply is the authority on join tokens, whatever the proposer checked
// before: a token admits one node, once, before its expiry stamped by the
// leader, and a removed node never comes back with a new one.
func TestJoinTokenRulesAtApply(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := context.Background()
		exp := env.Clock.Now().Add(time.Hour)
		if err := env.Svc.CreateJoinToken(ctx, tokenHash(1), true, exp); err != nil {
			t.Fatal(err)
		}
		m, err := env.Svc.UseJoinToken(ctx, tokenHash(1), "site-b", "10.0.1.5:7000")
		if err != nil || !m.Voter || m.Removed || m.Address != "10.0.1.5:7000" {
			t.Fatalf("use a fresh token: %+v %v", m, err)
		}
		// Two joins raced past the service's check: Apply lets one through.
		join := func(hash, node string) error {
			return env.applyDirect(t, appliance.ClusterTenant, appliance.SystemActor, appliance.KindClusterJoin,
				appliance.ClusterJoin{Hash: hash, NodeID: node, Address: "10.0.2.5:7000"}).Err
		}
		if err := join(tokenHash(1), "site-c"); !errors.Is(err, appliance.ErrForbidden) || !strings.Contains(err.Error(), "déjà utilisé") {
			t.Fatalf("second use at apply: %v", err)
		}
		if err := join(tokenHash(2), "site-c"); !errors.Is(err, appliance.ErrForbidden) || !strings.Contains(err.Error(), "inconnu") {
			t.Fatalf("unknown token at apply: %v", err)
		}
		// Expiry is judged at the command's time, the leader's clock.
		if err := env.Svc.CreateJoinToken(ctx, tokenHash(3), false, env.Clock.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		env.Clock.Set(t, "2026-03-10T09:02")
		if err := join(tokenHash(3), "site-c"); !errors.Is(err, appliance.ErrForbidden) || !strings.Contains(err.Error(), "expiré") {
			t.Fatalf("expired token at apply: %v", err)
		}
		if _, err := env.Svc.UseJoinToken(ctx, tokenHash(3), "site-c", "10.0.2.5:7000"); !errors.Is(err, appliance.ErrForbidden) {
			t.Fatalf("expired token at the service: %v", err)
		}
		// Removed, then a fresh token: still refused.
		if err := env.Svc.SetClusterMember(ctx, appliance.ClusterMember{NodeID: "site-b", Removed: true}); err != nil {
			t.Fatal(err)
		}
		if err := env.Svc.CreateJoinToken(ctx, tokenHash(4), true, env.Clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Svc.UseJoinToken(ctx, tokenHash(4), "site-b", "10.0.1.5:7000"); !errors.Is(err, appliance.ErrForbidden) || !strings.Contains(err.Error(), "retiré") {
			t.Fatalf("removed node with a new token: %v", err)
		}
		if m, err := env.Svc.ClusterMember(ctx, "site-b"); err != nil || !m.Removed {
			t.Fatalf("member after removal: %+v %v", m, err)
		}
		// The token stays unused for another node.
		if _, err := env.Svc.UseJoinToken(ctx, tokenHash(4), "site-d", "10.0.3.5:7000"); err != nil {
			t.Fatalf("the token a removed node could not use: %v", err)
		}
	})
}

// On the leader, a forwarded registration is admitted only with the next
// number of its sequence, queued ones counted; otherwise the refusal says
// which number to stamp, and nothing is queued.
func TestAdmitChecksForwardedNumbers(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, env *suiteEnv) {
		ctx := context.Background()
		env.register(t, env.Admin, appliance.RegisterInput{Subject: "Premier"})
		stamped := func(num int) []byte {
			p := appliance.LetterRegister{ID: appliance.NewID(), Category: "incoming", Year: 2026, Num: num,
				Number: fmt.Sprintf("2026/A/%06d", num), Subject: "Tamponné par un autre site", ArrivalDate: "2026-03-10",
				Priority: "normal", Status: "new", Channel: "paper", Copies: []appliance.CopyPayload{}}
			cmd, err := appliance.NewCommand(appliance.KindLetterRegisterForm, "default", env.Admin.ID(), env.Clock.Now(),
				appliance.LetterRegisterForm{Key: appliance.NewID(), Letter: p})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := cmd.Encode()
			return b
		}
		queued := 0
		queue := func() func() (any, error) {
			queued++
			return func() (any, error) { return &appliance.Result{}, nil }
		}
		for _, num := range []int{1, 3} {
			_, err := env.Svc.Admit(ctx, stamped(num), queue)
			var nt *appliance.NumberTakenError
			if !errors.As(err, &nt) || nt.Next != 2 {
				t.Fatalf("admit number %d: %v, want NumberTakenError{Next: 2}", num, err)
			}
		}
		if queued != 0 {
			t.Fatal("a refused registration was queued")
		}
		if _, err := env.Svc.Admit(ctx, stamped(2), queue); err != nil || queued != 1 {
			t.Fatalf("admit the next number: %v (queued %d)", err, queued)
		}
		// Number 2 is queued, not applied: the next is 3.
		_, err := env.Svc.Admit(ctx, stamped(2), queue)
		var nt *appliance.NumberTakenError
		if !errors.As(err, &nt) || nt.Next != 3 {
			t.Fatalf("admit 2 again while 2 is queued: %v, want Next 3", err)
		}
		if _, err := env.Svc.Admit(ctx, []byte(`{"v":1}`), queue); !errors.Is(err, appliance.ErrInvalid) {
			t.Fatalf("admit a malformed command: %v", err)
		}
	})
}
