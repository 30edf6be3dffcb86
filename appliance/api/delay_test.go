package api_test

import (
	"testing"
)

// TestSilenceLettersDueInTwoMonths is the contract outside checks rely
// on: a letter of an SVA or SVR doctype registered through POST
// /api/v1/letters has due_date two calendar months after arrival_date by
// default, the seeded doctypes and one created without a delay alike.
func TestSilenceLettersDueInTwoMonths(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var dts []map[string]any
	h.call(t, 200, "GET /api/v1/doctypes", h.admin, nil, &dts)
	ids := map[string]string{}
	for _, d := range dts {
		ids[d["code"].(string)] = d["id"].(string)
		if m := d["mode"]; (m == "sva" || m == "svr") && (d["delay_days"] != float64(2) || d["delay_unit"] != "months") {
			t.Errorf("seeded %s: delay %v %v, want 2 months", d["code"], d["delay_days"], d["delay_unit"])
		}
	}
	var created map[string]any
	h.call(t, 201, "POST /api/v1/doctypes", h.admin, map[string]any{"code": "PERMIS", "label": "Permis de construire", "mode": "sva"}, &created)
	if created["delay_days"] != float64(2) || created["delay_unit"] != "months" {
		t.Fatalf("SVA doctype created without a delay: %v", created)
	}
	ids["PERMIS"] = created["id"].(string)

	for _, c := range []struct{ code, arrival, due string }{
		{"DEMANDE-SVA", "2026-12-15", "2027-02-15"},
		{"DEMANDE-SVR", "2026-12-15", "2027-02-15"},
		{"DEMANDE-SVA", "2026-12-31", "2027-02-28"},
		{"DEMANDE-SVR", "2027-12-31", "2028-02-29"},
		{"PERMIS", "2026-08-31", "2026-10-31"},
		{"PERMIS", "2026-04-30", "2026-06-30"},
	} {
		var l map[string]any
		h.call(t, 201, "POST /api/v1/letters", h.admin, map[string]any{"category": "incoming", "subject": "Demande " + c.code,
			"arrival_date": c.arrival, "doctype_id": ids[c.code]}, &l)
		if l["arrival_date"] != c.arrival || l["due_date"] != c.due {
			t.Errorf("%s received %s: arrival_date %v due_date %v, want due %s", c.code, c.arrival, l["arrival_date"], l["due_date"], c.due)
		}
		var got map[string]any
		h.call(t, 200, "GET /api/v1/letters/{id}", h.admin, nil, &got, l["id"].(string))
		if letter, _ := got["letter"].(map[string]any); letter["due_date"] != c.due {
			t.Errorf("%s: GET gives due_date %v, want %s", c.code, letter["due_date"], c.due)
		}
	}
}
