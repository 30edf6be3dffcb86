package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/api"
	"missive/appliance/domain"
)

// A list gives summaries, bodies only with ?fields=body, refuses an
// unknown field, and pages by key with next/after through every letter.
func TestListFieldsAndKeyPaging(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for i := range 5 {
		h.letter(t, appliance.RegisterInput{Category: domain.Incoming, Subject: "Même objet", Body: "Texte du courrier " + string(rune('A'+i))})
	}
	raw := func(q string) []map[string]any {
		r := h.send(t, "GET", "/api/v1/letters?"+q, h.admin, nil)
		var page struct{ Items []map[string]any }
		if r.code != 200 || json.Unmarshal(r.body, &page) != nil || len(page.Items) == 0 {
			t.Fatalf("GET ?%s: %d %s", q, r.code, r.body)
		}
		return page.Items
	}
	for _, it := range raw("") {
		if _, ok := it["body"]; ok || it["subject"] != "Même objet" || it["number"] == "" {
			t.Errorf("a summary has the body or lacks its fields: %v", it)
		}
	}
	for _, q := range []string{"fields=body", "fields=number,body", "fields=%20body%20"} {
		for _, it := range raw(q) {
			if b, _ := it["body"].(string); !strings.HasPrefix(b, "Texte du courrier") {
				t.Errorf("?%s: body %q", q, it["body"])
			}
		}
	}
	for _, it := range raw("fields=subject") {
		if _, ok := it["body"]; ok {
			t.Errorf("?fields=subject gives the body")
		}
	}
	for _, q := range []string{"fields=texte", "fields=body,", "fields=BODY"} {
		if r := h.send(t, "GET", "/api/v1/letters?"+q, h.admin, nil); r.code != 422 || !strings.Contains(apiError(t, r).Fields["fields"], "inconnu") {
			t.Errorf("?%s: %d %s, want 422", q, r.code, r.body)
		}
	}
	if r := h.send(t, "GET", "/api/v1/letters?after="+strings.Repeat("x", 65), h.admin, nil); r.code != 422 || apiError(t, r).Fields["after"] == "" {
		t.Errorf("a 65-character after: %d %s, want 422", r.code, r.body)
	}
	var none api.Page[domain.Letter]
	if r := h.send(t, "GET", "/api/v1/letters?after=inconnu", h.admin, nil); r.code != 200 || json.Unmarshal(r.body, &none) != nil || len(none.Items) != 0 || none.Next != "" {
		t.Errorf("after an unknown letter: %d %s, want an empty page", r.code, r.body)
	}
	seen := map[string]int{}
	next, pages := "", 0
	for {
		var page api.Page[domain.Letter]
		q := "/api/v1/letters?sort=subject&per_page=2"
		if next != "" {
			q += "&after=" + next
		}
		r := h.send(t, "GET", q, h.admin, nil)
		if r.code != 200 || json.Unmarshal(r.body, &page) != nil {
			t.Fatalf("GET %s: %d %s", q, r.code, r.body)
		}
		if page.Total != 5 {
			t.Errorf("total %d on a page by key, want 5", page.Total)
		}
		for _, l := range page.Items {
			seen[l.ID]++
		}
		pages++
		if next = page.Next; next == "" || pages > 5 {
			break
		}
		if next != page.Items[len(page.Items)-1].ID {
			t.Errorf("next %q is not the page's last letter", next)
		}
	}
	if len(seen) != 5 || pages != 3 {
		t.Errorf("pages by key: %d pages, letters %v; want 3 pages, each of 5 letters once", pages, seen)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("letter %s listed %d times", id, n)
		}
	}
}
