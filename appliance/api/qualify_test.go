package api_test

import (
	"testing"

	"missive/appliance"
	"missive/appliance/domain"
)

// A partial qualify changes what it names and nothing else: the body, the
// routing, the copies and the confidential flag of the letter stay, so
// nobody outside the perimeter starts seeing it. Clearing is explicit, and
// the confidential flag is dropped only by the assignee or an admin.
func TestQualifyIsAPatch(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	urba, voirie := h.entity(t, "URBA"), h.entity(t, "VOIRIE")
	assignee, assigneeTok := h.user(t, "agent.urba", domain.RoleAgent, urba.ID)
	copied, copiedTok := h.user(t, "copie.urba", domain.RoleAgent, urba.ID)
	_, clerkTok := h.user(t, "courrier", domain.RoleMailroom)
	_, outsiderTok := h.user(t, "agent.voirie", domain.RoleAgent, voirie.ID)
	l := h.letter(t, appliance.RegisterInput{Category: domain.Incoming, Subject: "Signalement", Body: "Le texte du citoyen",
		EntityID: urba.ID, AssigneeID: assignee.ID, Confidential: true, Copies: []domain.Copy{{Kind: "user", Ref: copied.ID}}})

	var q domain.Letter
	h.call(t, 200, "POST /api/v1/letters/{id}/actions/qualify", assigneeTok, `{"subject":"Signalement de voirie"}`, &q, l.ID)
	if q.Subject != "Signalement de voirie" || q.Body != "Le texte du citoyen" || q.EntityID != urba.ID || q.AssigneeID != assignee.ID ||
		!q.Confidential || len(q.Copies) != 1 {
		t.Fatalf("after a subject-only qualify: %+v", q)
	}
	// Still invisible to the mail room and to another service.
	for _, tok := range []string{clerkTok, outsiderTok} {
		if r := h.send(t, "GET", "/api/v1/letters/"+l.ID, tok, nil); r.code != 404 {
			t.Fatalf("confidential letter seen after a partial qualify: %d", r.code)
		}
	}
	// Someone in copy who may act (a member of the entity) may not drop
	// the flag; nothing changes.
	r := h.send(t, "POST", "/api/v1/letters/"+l.ID+"/actions/qualify", copiedTok, `{"confidential":false}`)
	if r.code != 422 {
		t.Fatalf("confidential dropped by someone in copy: %d %s", r.code, r.body)
	}
	// Explicit clears: "" and [].
	q = domain.Letter{}
	h.call(t, 200, "POST /api/v1/letters/{id}/actions/qualify", assigneeTok, `{"body":"","copies":[]}`, &q, l.ID)
	if q.Body != "" || len(q.Copies) != 0 || q.EntityID != urba.ID || !q.Confidential {
		t.Fatalf("after clearing body and copies: %+v", q)
	}
	// The assignee lifts it, on purpose.
	q = domain.Letter{}
	h.call(t, 200, "POST /api/v1/letters/{id}/actions/qualify", assigneeTok, `{"confidential":false}`, &q, l.ID)
	if q.Confidential || q.Subject != "Signalement de voirie" {
		t.Fatalf("after lifting confidentiality: %+v", q)
	}
	// Unknown fields and a blank subject are refused.
	if r := h.send(t, "POST", "/api/v1/letters/"+l.ID+"/actions/qualify", assigneeTok, `{"subject":"  "}`); r.code != 422 {
		t.Fatalf("blank subject: %d", r.code)
	}
}
