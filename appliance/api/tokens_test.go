package api_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/domain"
)

// A token alone does not change its user's password: the current one is
// asked for, under the login limiter.
func TestSelfPasswordChangeNeedsTheCurrentOne(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ent := h.entity(t, "URBA")
	u, tok := h.user(t, "agent.urba", domain.RoleAgent, ent.ID)
	for _, body := range []string{`{"password":"pris-avec-le-jeton"}`, `{"password":"pris-avec-le-jeton","current":"faux-mot-de-passe"}`} {
		if r := h.send(t, "POST", "/api/v1/users/"+u.ID+"/password", tok, body); r.code != 422 {
			t.Fatalf("self change %s: %d %s", body, r.code, r.body)
		}
	}
	if _, err := h.env.Svc.Authenticate(context.Background(), "default", "agent.urba", "motdepasse-agent.urba", "test"); err != nil {
		t.Fatalf("the password changed without the current one: %v", err)
	}
	h.call(t, 204, "POST /api/v1/users/{id}/password", tok, `{"password":"nouveau-motdepasse-1","current":"motdepasse-agent.urba"}`, nil, u.ID)
	if _, err := h.env.Svc.Authenticate(context.Background(), "default", "agent.urba", "nouveau-motdepasse-1", "test"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	// The token that made the change ended with the old password.
	if r := h.send(t, "GET", "/api/v1/me", tok, nil); r.code != 401 {
		t.Fatalf("token after its user's password changed: %d", r.code)
	}
	// An administrator sets their own password the same way, not as admin.
	admin := h.env.Admin
	if r := h.send(t, "POST", "/api/v1/users/"+admin.ID()+"/password", h.admin, `{"password":"nouveau-motdepasse-2"}`); r.code != 422 {
		t.Fatalf("admin's own password without the current one: %d", r.code)
	}
}

// A password set by an administrator, or a disabled account, ends every
// token of the user; enabled again, the account has none.
func TestPasswordChangeAndDisablingEndTokens(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ent := h.entity(t, "URBA")
	u, tok := h.user(t, "agent.urba", domain.RoleAgent, ent.ID)
	h.call(t, 200, "GET /api/v1/me", tok, nil, nil)
	h.call(t, 204, "POST /api/v1/users/{id}/password", h.admin, `{"password":"defini-par-admin-1"}`, nil, u.ID)
	if r := h.send(t, "GET", "/api/v1/me", tok, nil); r.code != 401 {
		t.Fatalf("token after an admin set the password: %d", r.code)
	}
	tok = h.token(t, u.ID)
	in := appliance.UserInput{Name: u.Name, Role: u.Role, Disabled: true, Entities: []domain.Membership{{EntityID: ent.ID}}}
	h.call(t, 200, "PUT /api/v1/users/{id}", h.admin, in, nil, u.ID)
	in.Disabled = false
	h.call(t, 200, "PUT /api/v1/users/{id}", h.admin, in, nil, u.ID)
	if r := h.send(t, "GET", "/api/v1/me", tok, nil); r.code != 401 {
		t.Fatalf("token of a disabled then enabled account: %d", r.code)
	}
}

// Tokens expire on the day asked, are listed, and are revoked by their
// owner or an administrator; someone else's is not found.
func TestTokenExpiryListAndRevoke(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ent := h.entity(t, "URBA")
	u, tok := h.user(t, "agent.urba", domain.RoleAgent, ent.ID)
	_, otherTok := h.user(t, "autre", domain.RoleAgent, ent.ID)
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, domain.Paris)
	h.env.Svc.Now = func() time.Time { return now }

	var made map[string]string
	h.call(t, 201, "POST /api/v1/tokens", tok, `{"name":"script","expires_on":"2026-03-11"}`, &made)
	if made["expires_at"] != "2026-03-11T23:00:00.000Z" {
		t.Fatalf("expires_at %q, want the end of 11 March in Paris", made["expires_at"])
	}
	for _, bad := range []string{`{"expires_on":"2026-03-09"}`, `{"expires_on":"10014-01-01"}`, `{"expires_on":"2040-01-01"}`, `{"expires_on":"demain"}`} {
		if r := h.send(t, "POST", "/api/v1/tokens", tok, bad); r.code != 422 {
			t.Errorf("token %s: %d", bad, r.code)
		}
	}
	h.call(t, 200, "GET /api/v1/me", made["token"], nil, nil)
	now = now.Add(40 * time.Hour) // 12 March, 01:00
	if r := h.send(t, "GET", "/api/v1/me", made["token"], nil); r.code != 401 {
		t.Fatalf("expired token: %d", r.code)
	}

	var list []domain.Token
	h.call(t, 200, "GET /api/v1/tokens", tok, nil, &list)
	if len(list) != 2 || list[0].UserID != u.ID {
		t.Fatalf("own tokens: %+v", list)
	}
	for _, x := range list {
		if x.ID == "" || x.CreatedAt == "" {
			t.Fatalf("token row %+v", x)
		}
	}
	if r := h.send(t, "GET", "/api/v1/tokens?user=all", tok, nil); r.code != 403 {
		t.Fatalf("an agent lists every token: %d", r.code)
	}
	var all []domain.Token
	h.call(t, 200, "GET /api/v1/tokens?user=all", h.admin, nil, &all)
	if len(all) < 4 {
		t.Fatalf("admin's list of all tokens: %d", len(all))
	}
	// Someone else's token does not exist for an agent.
	var ownID string
	for _, x := range list {
		if x.ID != made["id"] {
			ownID = x.ID
		}
	}
	if r := h.send(t, "DELETE", "/api/v1/tokens/"+ownID, otherTok, nil); r.code != 404 {
		t.Fatalf("revoke someone else's token: %d", r.code)
	}
	h.call(t, 200, "GET /api/v1/me", tok, nil, nil)
	var rv domain.Token
	h.call(t, 200, "DELETE /api/v1/tokens/{id}", tok, nil, &rv, ownID)
	if !rv.Revoked {
		t.Fatalf("revoked token %+v", rv)
	}
	if r := h.send(t, "GET", "/api/v1/me", tok, nil); r.code != 401 {
		t.Fatalf("revoked token still works: %d", r.code)
	}
}

// The current password asked by the API's self password change is a
// password door like the others: thirty guesses at once reach at most five
// checks, the rest wait (429).
func TestSelfPasswordChangeBurst(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ent := h.entity(t, "URBA")
	u, tok := h.user(t, "agent.urba", domain.RoleAgent, ent.ID)
	now := time.Now()
	h.env.Svc.Now = func() time.Time { return now }
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := h.send(t, "POST", "/api/v1/users/"+u.ID+"/password", tok, fmt.Sprintf(`{"password":"nouveau-motdepasse-1","current":"devine-%d"}`, i))
			mu.Lock()
			codes[r.code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[422] > 5 || codes[429] != 30-codes[422] {
		t.Fatalf("30 guesses of the current password: %v; want at most 5 checked, the rest 429", codes)
	}
}
