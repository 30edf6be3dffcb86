package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/domain"
)

// TestAdminDoctypeRetention: the DUA and the sort final are set on the
// creation form and changed on a doctype's own page, with CSRF and French
// messages next to the fields.
func TestAdminDoctypeRetention(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	ctx := context.Background()
	a := s.browser(t)
	a.login("admin", "motdepasse-admin-1")
	p := must(t, a.get("/admin/doctypes"), http.StatusOK)
	for _, want := range []string{`name="retention_years"`, `name="final_disposition"`, `<option value="conserver">Conservation définitive</option>`,
		`<option value="trier">Tri</option>`, "Durée d&#39;utilité administrative (DUA), en années", "À compter de la clôture du courrier",
		`href="/admin/doctypes/` + s.Doctype.ID + `"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("doctypes page: no %s", want)
		}
	}

	must(t, a.post("/admin/doctypes", url.Values{"code": {"PERMIS"}, "label": {"Permis de construire"}, "delay_days": {"40"}, "mode": {"sva"},
		"retention_years": {"10"}, "final_disposition": {"conserver"}}), http.StatusSeeOther)
	var permis *domain.Doctype
	ds, err := s.Svc.Doctypes(ctx, s.Admin)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ds {
		if ds[i].Code == "PERMIS" {
			permis = &ds[i]
		}
	}
	if permis == nil || permis.RetentionYears != 10 || permis.FinalDisposition != domain.DispositionKeep {
		t.Fatalf("created doctype: %+v", permis)
	}
	p = must(t, a.get("/admin/doctypes"), http.StatusOK)
	if !strings.Contains(p.Body, "10 ans") || !strings.Contains(p.Body, "Conservation définitive") {
		t.Error("the list does not show the DUA and sort final")
	}

	// Creation refused, with the messages next to the fields.
	p = must(t, a.post("/admin/doctypes", url.Values{"code": {"X"}, "label": {"X"}, "retention_years": {"150"}, "final_disposition": {"archiver"}}),
		http.StatusUnprocessableEntity)
	for _, want := range []string{`id="retention_years-err"`, "entre 0 (non renseignée) et 100 ans", `id="final_disposition-err"`, `value="150"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("refused creation: no %s", want)
		}
	}

	// The edit page shows the doctype's values and changes them.
	page := "/admin/doctypes/" + s.Doctype.ID
	p = must(t, a.get(page), http.StatusOK)
	if !strings.Contains(p.Body, `name="csrf"`) || strings.Contains(p.Body, `name="code"`) || !strings.Contains(p.Body, `value="Demande d&#39;élagage"`) {
		t.Error("edit page: no CSRF token, a code field, or not the doctype's label")
	}
	form := url.Values{"label": {"Demande d'élagage"}, "delay_days": {"12"}, "mode": {"normal"}, "retention_years": {"5"}, "final_disposition": {"detruire"}}
	p = must(t, a.post(page, url.Values{"label": {"X"}, "retention_years": {"cinq"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Body, `id="retention_years-err"`) || !strings.Contains(p.Body, "nombre entier attendu") {
		t.Error("edit page: no message next to a DUA that is not a number")
	}
	bad := url.Values{"csrf": {"-"}}
	for k, v := range form {
		bad[k] = v
	}
	must(t, a.post(page, bad), http.StatusForbidden)
	if d, _ := s.Svc.Doctype(ctx, s.Admin, s.Doctype.ID); d.RetentionYears != 0 {
		t.Fatal("a form without its CSRF token changed the doctype")
	}
	must(t, a.post(page, form), http.StatusSeeOther)
	d, err := s.Svc.Doctype(ctx, s.Admin, s.Doctype.ID)
	if err != nil || d.RetentionYears != 5 || d.FinalDisposition != domain.DispositionDestroy || d.DelayDays != 12 || d.Code != "ELAGAGE" {
		t.Fatalf("edited doctype: %+v, %v", d, err)
	}
	p = must(t, a.get(page), http.StatusOK)
	if !strings.Contains(p.Body, `id="retention_years" name="retention_years" type="number" min="0" max="100" inputmode="numeric" value="5"`) ||
		!strings.Contains(p.Body, `<option value="detruire" selected>Destruction</option>`) {
		t.Error("edit page does not show the saved DUA and sort final")
	}
	must(t, a.get("/admin/doctypes/inconnu"), http.StatusNotFound)

	// English labels.
	en := s.browser(t)
	en.login("admin", "motdepasse-admin-1")
	must(t, en.get("/lang/en?next=%2F"), http.StatusSeeOther)
	p = must(t, en.get(page), http.StatusOK)
	if !strings.Contains(p.Body, "Retention period (DUA), in years") || !strings.Contains(p.Body, "Final disposition") {
		t.Error("edit page in English: labels missing")
	}

	// Agents may not.
	agent := s.browser(t)
	agent.login("julien", agentPassword)
	agent.get("/")
	must(t, agent.get(page), http.StatusForbidden)
	must(t, agent.post(page, form), http.StatusForbidden)
}

// TestAdminDoctypeDelayUnit: the doctype form chooses the delay's unit;
// an SVA doctype given no delay gets the law's two months; the list says
// the unit; the letter page of an SVA letter names the day the implicit
// acceptance arises.
func TestAdminDoctypeDelayUnit(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	ctx := context.Background()
	a := s.browser(t)
	a.login("admin", "motdepasse-admin-1")
	p := must(t, a.get("/admin/doctypes"), http.StatusOK)
	for _, want := range []string{`<select id="delay_unit" name="delay_unit">`, `<option value="working_days" selected>jours ouvrés</option>`,
		`<option value="calendar_days">jours calendaires</option>`, `<option value="months">mois</option>`, "Vide pour un type SVA ou SVR : deux mois",
		"2 mois"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("doctypes page: no %s", want)
		}
	}
	must(t, a.post("/admin/doctypes", url.Values{"code": {"PERMIS"}, "label": {"Permis de construire"}, "delay_days": {""}, "delay_unit": {"working_days"},
		"mode": {"sva"}}), http.StatusSeeOther)
	must(t, a.post("/admin/doctypes", url.Values{"code": {"LONG"}, "label": {"Long"}, "delay_days": {"3"}, "delay_unit": {"months"}, "mode": {"normal"}}),
		http.StatusSeeOther)
	p = must(t, a.post("/admin/doctypes", url.Values{"code": {"MAL"}, "label": {"Mal"}, "delay_days": {"3"}, "delay_unit": {"semaines"}}),
		http.StatusUnprocessableEntity)
	if !strings.Contains(p.Body, `id="delay_unit-err"`) {
		t.Error("an unknown unit has no message next to its field")
	}
	byCode := map[string]domain.Doctype{}
	ds, err := s.Svc.Doctypes(ctx, s.Admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		byCode[d.Code] = d
	}
	if d := byCode["PERMIS"]; d.DelayDays != 2 || d.DelayUnit != domain.UnitMonths {
		t.Errorf("SVA doctype with an empty delay: %d %s, want 2 months", d.DelayDays, d.DelayUnit)
	}
	if d := byCode["LONG"]; d.DelayDays != 3 || d.DelayUnit != domain.UnitMonths {
		t.Errorf("doctype of 3 months: %d %s", d.DelayDays, d.DelayUnit)
	}
	if _, ok := byCode["MAL"]; ok {
		t.Error("a doctype with an unknown unit was created")
	}
	p = must(t, a.get("/admin/doctypes/"+byCode["LONG"].ID), http.StatusOK)
	if !strings.Contains(p.Body, `<option value="months" selected>mois</option>`) {
		t.Error("the edit page does not show the saved unit")
	}

	l, err := s.Svc.RegisterLetter(ctx, s.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Permis rue Haute", ArrivalDate: "2026-12-15",
		DoctypeID: byCode["PERMIS"].ID})
	if err != nil {
		t.Fatal(err)
	}
	p = must(t, a.get("/letters/"+l.ID), http.StatusOK)
	if !strings.Contains(p.Body, "Acceptation implicite le : ") || !strings.Contains(p.Body, "15/02/2027") {
		t.Errorf("the letter page does not give the day of the implicit acceptance (due %s)", l.DueDate)
	}
}
