package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/api"
	"missive/appliance/domain"
	"missive/appliance/store"
)

// keyedOperations lists the operations whose OpenAPI entry documents the
// Idempotency-Key header.
func keyedOperations(t *testing.T, h *harness) map[string]bool {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name string `json:"name"`
				In   string `json:"in"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	r := h.send(t, "GET", "/api/v1/openapi.json", "", nil)
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for p, ops := range doc.Paths {
		for m, op := range ops {
			for _, prm := range op.Parameters {
				if prm.Name == api.IdemHeader && prm.In == "header" {
					out[strings.ToUpper(m)+" "+p] = true
				}
			}
		}
	}
	return out
}

// sendKeyed makes one request with an Idempotency-Key.
func (h *harness) sendKeyed(t *testing.T, method, path, token, key string, body any) response {
	t.Helper()
	var b []byte
	switch x := body.(type) {
	case nil:
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		var err error
		if b, err = json.Marshal(x); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, h.url+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(api.IdemHeader, key)
	return h.do(t, req, token)
}

// sendTwice sends a write with a fresh key, then again with the same key,
// and checks that the second answer replays the first one (status, body,
// Location) and that no second command was applied.
func (h *harness) sendTwice(t *testing.T, route, method, path, token string, body any) response {
	t.Helper()
	h.mu.Lock()
	h.keys++
	key := fmt.Sprintf("cle-%d-%d", time.Now().UnixNano(), h.keys)
	h.mu.Unlock()
	first := h.sendKeyed(t, method, path, token, key, body)
	if first.code >= 300 {
		return first
	}
	before := historyLen(t, h)
	again := h.sendKeyed(t, method, path, token, key, body)
	if route == "POST /api/v1/tokens" {
		// A token is shown once: its replay says so instead.
		if again.code != http.StatusConflict || !strings.Contains(string(again.body), "affiché qu'une fois") {
			t.Errorf("%s replayed: %d %s, want 409", route, again.code, again.body)
		}
	} else if again.code != first.code || !bytes.Equal(again.body, first.body) || again.header.Get("Location") != first.header.Get("Location") {
		t.Errorf("%s replayed: %d %s\nfirst answer: %d %s", route, again.code, again.body, first.code, first.body)
	}
	if again.header.Get(api.ReplayedHeader) != "true" {
		t.Errorf("%s replayed without %s: true", route, api.ReplayedHeader)
	}
	if after := historyLen(t, h); after != before {
		t.Errorf("%s replayed: %d history entries after, %d before: the request was done again", route, after, before)
	}
	return first
}

// TestIdempotencyKey: a retried registration with its key is one letter,
// even when both attempts race; the key reused for another body is refused
// and changes nothing; another user's key is another key; a key older than
// 24 hours is forgotten.
func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	in := appliance.RegisterInput{Category: domain.Incoming, Subject: "Demande de raccordement"}
	letters := func() int {
		_, n, err := h.env.Svc.Letters(context.Background(), h.env.Admin, store.LetterFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Without a key, a retry is a second letter: this is what the key is for.
	for range 2 {
		if r := h.send(t, "POST", "/api/v1/letters", h.admin, in); r.code != 201 {
			t.Fatalf("register: %d %s", r.code, r.body)
		}
	}
	if n := letters(); n != 2 {
		t.Fatalf("%d letters after two requests without a key", n)
	}

	// Ten requests with one key at once: one letter, ten identical answers.
	in.Subject = "Demande envoyée dix fois"
	var wg sync.WaitGroup
	answers := make([]response, 10)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = h.sendKeyed(t, "POST", "/api/v1/letters", h.admin, "cle-concurrente", in)
		}()
	}
	wg.Wait()
	for i, r := range answers {
		if r.code != 201 || !bytes.Equal(r.body, answers[0].body) {
			t.Errorf("answer %d: %d %s, want the first one: %s", i, r.code, r.body, answers[0].body)
		}
	}
	if n := letters(); n != 3 {
		t.Fatalf("%d letters after ten racing requests with one key, want 3", n)
	}

	// The key again with another body: refused, nothing registered.
	other := in
	other.Subject = "Autre demande"
	r := h.sendKeyed(t, "POST", "/api/v1/letters", h.admin, "cle-concurrente", other)
	if r.code != 422 || !strings.Contains(apiError(t, r).Error, "déjà servi pour une autre requête") {
		t.Errorf("key reused for another body: %d %s, want 422", r.code, r.body)
	}
	// …nor with the same body on another route.
	r = h.sendKeyed(t, "POST", "/api/v1/contacts", h.admin, "cle-concurrente", appliance.ContactInput{LastName: "Durand"})
	if r.code != 422 {
		t.Errorf("key reused on another route: %d %s, want 422", r.code, r.body)
	}
	// The same JSON written otherwise (spaces, key order) is the same request.
	reordered := `{ "subject": "Demande envoyée dix fois",   "category": "incoming" }`
	if r := h.sendKeyed(t, "POST", "/api/v1/letters", h.admin, "cle-concurrente", reordered); r.code != 201 || !bytes.Equal(r.body, answers[0].body) {
		t.Errorf("same request, JSON written otherwise: %d %s", r.code, r.body)
	}
	if n := letters(); n != 3 {
		t.Fatalf("%d letters after refused reuses, want 3", n)
	}

	// Keys are per user: another user's same key is a new request.
	_, clerk := h.user(t, "courrier", domain.RoleMailroom)
	if r := h.sendKeyed(t, "POST", "/api/v1/letters", clerk, "cle-concurrente", in); r.code != 201 || r.header.Get(api.ReplayedHeader) != "" {
		t.Errorf("another user's key: %d %s", r.code, r.body)
	}
	if n := letters(); n != 4 {
		t.Fatalf("%d letters, want 4", n)
	}

	// A malformed key is refused before anything is done.
	if r := h.sendKeyed(t, "POST", "/api/v1/letters", h.admin, strings.Repeat("k", 256), in); r.code != 400 {
		t.Errorf("key of 256 characters: %d, want 400", r.code)
	}

	// 25 hours later the key is forgotten: the same request is done again,
	// and the next keyed command prunes the old record.
	late := time.Now().Add(25 * time.Hour)
	h.env.Svc.Now = func() time.Time { return late }
	if r := h.sendKeyed(t, "POST", "/api/v1/letters", h.admin, "cle-concurrente", in); r.code != 201 || r.header.Get(api.ReplayedHeader) != "" {
		t.Errorf("expired key: %d %s, want a new letter", r.code, r.body)
	}
	if n := letters(); n != 5 {
		t.Fatalf("%d letters after an expired key, want 5", n)
	}
	if _, err := h.env.Store.Reader().IdemRecord(context.Background(), "default", h.env.Admin.ID(), "cle-concurrente"); err != nil {
		t.Fatalf("the key's new record: %v", err)
	}
	if _, err := h.env.Store.Reader().IdemRecord(context.Background(), "default", h.env.Admin.ID(), "cle-"+fmt.Sprint(0)); err == nil {
		t.Fatal("unexpected record")
	}
}

// TestIdempotencyKeyUploadNewBoundary: a multipart upload sent again by a
// client that draws a new boundary is the same request.
func TestIdempotencyKeyUploadNewBoundary(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	l := h.letter(t, appliance.RegisterInput{Category: domain.Incoming, Subject: "Scan"})
	upload := func(content string) response {
		body, ct := multipartBody(t, "scan.pdf", []byte(content))
		req, _ := http.NewRequest("POST", h.url+"/api/v1/letters/"+l.ID+"/documents", body)
		req.Header.Set("Content-Type", ct)
		req.Header.Set(api.IdemHeader, "scan-1")
		return h.do(t, req, h.admin)
	}
	first := upload("%PDF-1.4 contenu du scan")
	again := upload("%PDF-1.4 contenu du scan")
	if first.code != 201 || again.code != 201 || !bytes.Equal(first.body, again.body) || again.header.Get(api.ReplayedHeader) != "true" {
		t.Fatalf("upload retried: %d %s / %d %s", first.code, first.body, again.code, again.body)
	}
	if r := upload("%PDF-1.4 un autre scan"); r.code != 422 {
		t.Errorf("the key with another file: %d, want 422", r.code)
	}
	docs, err := h.env.Store.Reader().Documents(context.Background(), l.ID)
	if err != nil || len(docs) != 1 {
		t.Fatalf("%d documents (%v), want 1", len(docs), err)
	}
}
