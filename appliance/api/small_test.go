package api_test

import (
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/domain"
)

// A page number past any list is refused, not wrapped to the first page.
func TestHugePageIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.letter(t, appliance.RegisterInput{Category: domain.Incoming, Subject: "Premier"})
	for _, q := range []string{"page=9223372036854775807", "page=9223372036854775807&per_page=500", "page=21474837&per_page=100"} {
		if r := h.send(t, "GET", "/api/v1/letters?"+q, h.admin, nil); r.code != 400 {
			t.Errorf("GET /api/v1/letters?%s: %d %s", q, r.code, r.body)
		}
	}
	for _, p := range []string{"/api/v1/contacts?page=9223372036854775807", "/api/v1/history?page=9223372036854775807"} {
		if r := h.send(t, "GET", p, h.admin, nil); r.code != 400 {
			t.Errorf("GET %s: %d", p, r.code)
		}
	}
}

// Dates are of a plausible year, and a letter has not arrived in the
// future: no due date of year 10014.
func TestImpossibleDatesAreRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	dts, err := h.env.Svc.Doctypes(t.Context(), h.env.Admin)
	if err != nil || len(dts) == 0 {
		t.Fatal(err)
	}
	for _, body := range []string{
		`{"category":"incoming","subject":"x","arrival_date":"9999-12-31","doctype_id":"` + dts[0].ID + `"}`,
		`{"category":"incoming","subject":"x","arrival_date":"2999-01-01"}`,
		`{"category":"incoming","subject":"x","letter_date":"9999-01-01"}`,
		`{"category":"incoming","subject":"x","arrival_date":"0001-01-01"}`,
	} {
		r := h.send(t, "POST", "/api/v1/letters", h.admin, body)
		if r.code != 422 {
			t.Errorf("%s: %d %s", body, r.code, r.body)
		}
		if strings.Contains(string(r.body), "10014") {
			t.Errorf("%s: a five-digit year: %s", body, r.body)
		}
	}
}

// The sender of a confidential letter is not a contact every user finds:
// not the mail room, not an agent or an elected official of another
// service; the assignee and the administrators do.
func TestConfidentialSenderIsNotAPublicContact(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	urba := h.entity(t, "URBA")
	assignee, assigneeTok := h.user(t, "agent.urba", domain.RoleAgent, urba.ID)
	_, clerkTok := h.user(t, "courrier", domain.RoleMailroom)
	_, electedTok := h.user(t, "elu", domain.RoleElected, urba.ID)
	_, otherTok := h.user(t, "agent2", domain.RoleAgent, urba.ID)
	conf := h.letter(t, appliance.RegisterInput{Category: domain.Incoming, Subject: "Signalement", Confidential: true, AssigneeID: assignee.ID, EntityID: urba.ID,
		Sender: &appliance.ContactInput{LastName: "Lanceuse-Dalerte", Email: "alerte@exemple.test"}})
	h.letter(t, appliance.RegisterInput{Category: domain.Incoming, Subject: "Public", EntityID: urba.ID,
		Sender: &appliance.ContactInput{LastName: "Publique", Email: "public@exemple.test"}})
	for who, tok := range map[string]string{"mail room": clerkTok, "elected": electedTok, "agent": otherTok} {
		r := h.send(t, "GET", "/api/v1/contacts?q=dalerte", tok, nil)
		if r.code != 200 || strings.Contains(string(r.body), "Lanceuse") {
			t.Errorf("%s searches the confidential sender: %d %s", who, r.code, r.body)
		}
		if r := h.send(t, "GET", "/api/v1/contacts/"+conf.SenderID, tok, nil); r.code != 404 {
			t.Errorf("%s reads the confidential sender: %d", who, r.code)
		}
		if r := h.send(t, "GET", "/api/v1/contacts?q=publique", tok, nil); !strings.Contains(string(r.body), "Publique") {
			t.Errorf("%s no longer finds an ordinary sender: %s", who, r.body)
		}
	}
	for who, tok := range map[string]string{"assignee": assigneeTok, "admin": h.admin} {
		if r := h.send(t, "GET", "/api/v1/contacts?q=dalerte", tok, nil); !strings.Contains(string(r.body), "Lanceuse") {
			t.Errorf("%s does not find the sender of their letter: %s", who, r.body)
		}
		h.call(t, 200, "GET /api/v1/contacts/{id}", tok, nil, nil, conf.SenderID)
	}
}
