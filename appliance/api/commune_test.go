package api_test

import (
	"testing"
	"time"

	"missive/appliance/domain"
)

// communeHappyPath drives the commune's routes: its details set and read
// back, an entity's contact details changed.
func communeHappyPath(t *testing.T, h *harness) {
	t.Helper()
	var ten domain.Tenant
	h.call(t, 200, "PUT /api/v1/tenant", h.admin, map[string]any{"name": "Ville de Saint-Martin", "address": "1 place de la Mairie\n67000 Saint-Martin",
		"phone": "03 88 00 00 00", "email": "mairie@saint-martin.fr", "website": "https://www.saint-martin.fr", "alsace_moselle": true}, &ten)
	var raw map[string]any
	h.call(t, 200, "GET /api/v1/tenant", h.admin, nil, &raw)
	if raw["name"] != "Ville de Saint-Martin" || raw["address"] != "1 place de la Mairie\n67000 Saint-Martin" || raw["phone"] != "03 88 00 00 00" ||
		raw["email"] != "mairie@saint-martin.fr" || raw["website"] != "https://www.saint-martin.fr" || raw["alsace_moselle"] != true || !ten.AlsaceMoselle {
		t.Fatalf("tenant after PUT: %v", raw)
	}
	e := h.entity(t, "ST")
	var got domain.Entity
	h.call(t, 200, "PUT /api/v1/entities/{id}", h.admin, map[string]any{"name": "Services techniques", "address": "2 rue des Ateliers\n67000 Saint-Martin",
		"phone": "03 88 00 00 10", "email": "st@saint-martin.fr"}, &got, e.ID)
	if got.Code != "ST" || got.Address != "2 rue des Ateliers\n67000 Saint-Martin" || got.Phone != "03 88 00 00 10" || got.Email != "st@saint-martin.fr" {
		t.Fatalf("entity after PUT: %+v", got)
	}

	// An incomplete request, then its pieces.
	var dts []domain.Doctype
	h.call(t, 200, "GET /api/v1/doctypes", h.admin, nil, &dts)
	var svr string
	for _, d := range dts {
		if d.Code == "DEMANDE-SVR" {
			svr = d.ID
		}
	}
	var l domain.Letter
	h.call(t, 201, "POST /api/v1/letters", h.admin, map[string]any{"category": "incoming", "subject": "Demande", "doctype_id": svr,
		"sender": map[string]any{"name": "Paul Durand", "address": "3 rue Haute", "postcode": "67000", "city": "Saint-Martin"}}, &l)
	deadline := time.Now().In(domain.Paris).AddDate(0, 0, 20).Format(domain.DateLayout)
	var res map[string]any
	h.call(t, 200, "POST /api/v1/letters/{id}/actions/incomplete", h.admin, map[string]any{"missing": "Plan de situation", "deadline": deadline}, &res, l.ID)
	pieces, _ := res["pieces"].(map[string]any)
	if res["notice"] != "paper" || pieces["missing"] != "Plan de situation" || pieces["deadline"] != deadline {
		t.Fatalf("incomplete: %v", res)
	}
	var view map[string]any
	h.call(t, 200, "GET /api/v1/letters/{id}", h.admin, nil, &view, l.ID)
	if p, _ := view["pieces"].(map[string]any); p["deadline"] != deadline {
		t.Fatalf("letter view lacks its pieces: %v", view["pieces"])
	}
	var after domain.Letter
	h.call(t, 200, "POST /api/v1/letters/{id}/actions/pieces-received", h.admin, nil, &after, l.ID)
	if after.DueDate != l.DueDate {
		t.Errorf("SVR pieces received the day they were asked: due %s, want %s as before", after.DueDate, l.DueDate)
	}
}

// TestCommuneRoutesRefuse: only an administrator changes the commune or an
// entity; bad values are 422 with French messages per field.
func TestCommuneRoutesRefuse(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	e := h.entity(t, "ST")
	_, agent := h.user(t, "agent", domain.RoleAgent, e.ID)
	h.call(t, 200, "GET /api/v1/tenant", agent, nil, nil)
	if r := h.send(t, "PUT", "/api/v1/tenant", agent, map[string]any{"name": "Ville"}); r.code != 403 {
		t.Errorf("agent PUT tenant: %d", r.code)
	}
	if r := h.send(t, "PUT", "/api/v1/entities/"+e.ID, agent, map[string]any{"name": "X"}); r.code != 403 {
		t.Errorf("agent PUT entity: %d", r.code)
	}
	r := h.send(t, "PUT", "/api/v1/tenant", h.admin, map[string]any{"name": "", "email": "mairie@", "phone": "accueil", "website": "ftp://x.fr"})
	if r.code != 422 {
		t.Fatalf("bad tenant: %d %s", r.code, r.body)
	}
	fe := apiError(t, r).Fields
	for f, want := range map[string]string{"name": "obligatoire", "email": "adresse e-mail invalide", "phone": "chiffres, espaces", "website": "adresse de site invalide"} {
		if len(fe[f]) < len(want) || fe[f][:len(want)] != want {
			t.Errorf("field %s: %q, want %q…", f, fe[f], want)
		}
	}
	if r := h.send(t, "PUT", "/api/v1/entities/"+e.ID, h.admin, map[string]any{"name": "X", "code": "AUTRE"}); r.code != 422 || apiError(t, r).Fields["code"] == "" {
		t.Errorf("entity code change: %d %s", r.code, r.body)
	}
	if r := h.send(t, "PUT", "/api/v1/entities/inconnue", h.admin, map[string]any{"name": "X"}); r.code != 404 {
		t.Errorf("unknown entity: %d", r.code)
	}
	var ten domain.Tenant
	h.call(t, 200, "GET /api/v1/tenant", h.admin, nil, &ten)
	if ten.Name != "Commune de Test" || ten.Email != "" {
		t.Errorf("a refused change changed the commune: %+v", ten)
	}
}
