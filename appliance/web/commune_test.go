package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"missive/appliance"
)

// TestAdminCommune: Administration › Commune sets the commune's name,
// contact details and Alsace-Moselle holidays, with CSRF and French
// messages next to the fields; an entity's page sets its details and says
// what its empty fields stand for.
func TestAdminCommune(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	ctx := context.Background()
	a := s.browser(t)
	a.login("admin", "motdepasse-admin-1")
	p := must(t, a.get("/admin/commune"), http.StatusOK)
	for _, want := range []string{`href="/admin/commune" aria-current="page"`, `name="csrf"`, `<label for="name">Nom de la commune</label>`,
		`<label for="address">Adresse postale</label>`, `<label for="phone">Téléphone</label>`, `<label for="email">Adresse électronique</label>`,
		`<label for="website">Site internet</label>`, `name="alsace_moselle"`, "R. 112-5", `value="Commune de Test"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("commune page: no %s", want)
		}
	}
	form := url.Values{"name": {"Ville de Saint-Martin"}, "address": {"1 place de la Mairie\r\n67000 Saint-Martin"}, "phone": {"03 88 00 00 00"},
		"email": {"mairie@saint-martin.fr"}, "website": {"https://www.saint-martin.fr"}, "alsace_moselle": {"1"}}
	bad := url.Values{"csrf": {"-"}}
	for k, v := range form {
		bad[k] = v
	}
	must(t, a.post("/admin/commune", bad), http.StatusForbidden)
	if ten, _ := s.Svc.Tenant(ctx, s.Admin); ten.Name != "Commune de Test" {
		t.Fatal("a form without its CSRF token changed the commune")
	}
	p = must(t, a.post("/admin/commune", url.Values{"name": {""}, "email": {"mairie@"}, "phone": {"accueil"}}), http.StatusUnprocessableEntity)
	for _, want := range []string{`id="name-err"`, `id="email-err"`, "adresse e-mail invalide", `id="phone-err"`, `value="mairie@"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("refused commune: no %s", want)
		}
	}
	must(t, a.post("/admin/commune", form), http.StatusSeeOther)
	ten, err := s.Svc.Tenant(ctx, s.Admin)
	if err != nil || ten.Name != "Ville de Saint-Martin" || ten.Address != "1 place de la Mairie\n67000 Saint-Martin" || ten.Phone != "03 88 00 00 00" ||
		ten.Email != "mairie@saint-martin.fr" || ten.Website != "https://www.saint-martin.fr" || !ten.AlsaceMoselle {
		t.Fatalf("saved commune: %+v, %v", ten, err)
	}
	p = must(t, a.get("/admin/commune"), http.StatusOK)
	if !strings.Contains(p.Body, "Commune enregistrée.") || !strings.Contains(p.Body, `name="alsace_moselle" type="checkbox" value="1" aria-describedby="alsace_moselle-hint" checked`) ||
		!strings.Contains(p.Body, ">1 place de la Mairie\n67000 Saint-Martin</textarea>") {
		t.Error("the commune page does not show what was saved")
	}
	// Unticked, the box switches the holidays off.
	form.Del("alsace_moselle")
	must(t, a.post("/admin/commune", form), http.StatusSeeOther)
	if ten, _ := s.Svc.Tenant(ctx, s.Admin); ten.AlsaceMoselle {
		t.Error("unticking Alsace-Moselle left it on")
	}

	// An entity's page: the parent's details (here the commune's) for its
	// empty fields.
	page := "/admin/entities/" + s.Voirie.ID
	p = must(t, a.get("/admin/entities"), http.StatusOK)
	if !strings.Contains(p.Body, `href="`+page+`"`) {
		t.Error("the organisation chart does not link to the entity's page")
	}
	p = must(t, a.get(page), http.StatusOK)
	for _, want := range []string{`value="Voirie"`, "Vide : « 03 88 00 00 00 », de l&#39;entité parente ou de la commune.", "Vide : « mairie@saint-martin.fr »"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("entity page: no %s", want)
		}
	}
	p = must(t, a.post(page, url.Values{"name": {"Voirie"}, "phone": {"poste 12"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Body, `id="phone-err"`) {
		t.Error("entity page: no message next to a bad phone")
	}
	must(t, a.post(page, url.Values{"name": {"Voirie et propreté"}, "address": {"Centre technique\n2 rue des Ateliers\n67000 Saint-Martin"}, "phone": {"03 88 00 00 10"}}),
		http.StatusSeeOther)
	d, err := s.Svc.ServiceInCharge(ctx, "default", s.Voirie.ID)
	if err != nil || d != (appliance.ServiceDetails{Name: "Voirie et propreté", Address: "Centre technique\n2 rue des Ateliers\n67000 Saint-Martin",
		Email: "mairie@saint-martin.fr", Phone: "03 88 00 00 10"}) {
		t.Fatalf("service in charge after the entity's change: %+v, %v", d, err)
	}
	must(t, a.get("/admin/entities/inconnue"), http.StatusNotFound)
	// A new entity is created with its details.
	must(t, a.post("/admin/entities", url.Values{"code": {"CCAS"}, "name": {"CCAS"}, "phone": {"03 88 00 00 30"}, "address": {"3 rue Haute"}}), http.StatusSeeOther)
	if e, err := s.Store.Reader().EntityByCode(ctx, "default", "CCAS"); err != nil || e.Phone != "03 88 00 00 30" || e.Address != "3 rue Haute" {
		t.Errorf("created entity: %+v, %v", e, err)
	}

	agent := s.browser(t)
	agent.login("julien", agentPassword)
	agent.get("/")
	must(t, agent.get("/admin/commune"), http.StatusForbidden)
	must(t, agent.post("/admin/commune", form), http.StatusForbidden)
	must(t, agent.post(page, url.Values{"name": {"X"}}), http.StatusForbidden)
}

// TestBrowserCommune: in Chromium, the administrator reaches Administration
// › Commune, fills the commune's details with the keyboard, ticks the
// Alsace-Moselle holidays and saves; a bad e-mail address is told next to
// its field; the header then names the commune.
func TestBrowserCommune(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	c := newChrome(t, s.URL)
	admin := c.user()
	admin.login("admin", "motdepasse-admin-1")
	admin.run("open the administration", chromedp.Navigate(s.URL+"/admin/"), chromedp.WaitVisible(`a[href="/admin/commune"]`, chromedp.ByQuery),
		chromedp.Click(`a[href="/admin/commune"]`, chromedp.ByQuery), chromedp.WaitVisible(`#name`, chromedp.ByQuery))
	admin.run("fill the commune",
		chromedp.Clear(`#name`, chromedp.ByQuery),
		chromedp.SendKeys(`#name`, "Ville de Saint-Martin", chromedp.ByQuery),
		chromedp.SendKeys(`#address`, "1 place de la Mairie\n67000 Saint-Martin", chromedp.ByQuery),
		chromedp.SendKeys(`#phone`, "03 88 00 00 00", chromedp.ByQuery),
		chromedp.SendKeys(`#email`, "mairie@", chromedp.ByQuery),
		chromedp.SendKeys(`#website`, "https://www.saint-martin.fr", chromedp.ByQuery),
	)
	admin.tabTo("alsace_moselle")
	admin.keys(" ")
	var ticked bool
	admin.eval(`document.getElementById("alsace_moselle").checked`, &ticked)
	if !ticked {
		t.Fatal("the space bar does not tick Alsace-Moselle")
	}
	admin.run("save", chromedp.Click(`form[action="/admin/commune"] button[type="submit"]`, chromedp.ByQuery))
	admin.waitText("#email-err", "adresse e-mail invalide")
	if st := admin.lastStatus(); st != http.StatusUnprocessableEntity {
		t.Errorf("refused form answered %d", st)
	}
	admin.run("fix the e-mail address", chromedp.SetValue(`#email`, "mairie@saint-martin.fr", chromedp.ByQuery))
	admin.eval(`document.getElementById("alsace_moselle").checked`, &ticked)
	if !ticked {
		t.Error("the refused form lost the ticked box")
	}
	admin.run("save again", chromedp.Click(`form[action="/admin/commune"] button[type="submit"]`, chromedp.ByQuery))
	admin.waitText("main", "Commune enregistrée.")
	admin.waitText("header", "Ville de Saint-Martin")
	admin.screenshot("commune")
	ten, err := s.Svc.Tenant(context.Background(), s.Admin)
	if err != nil || ten.Name != "Ville de Saint-Martin" || ten.Address != "1 place de la Mairie\n67000 Saint-Martin" || ten.Email != "mairie@saint-martin.fr" ||
		ten.Phone != "03 88 00 00 00" || ten.Website != "https://www.saint-martin.fr" || !ten.AlsaceMoselle {
		t.Fatalf("saved: %+v, %v", ten, err)
	}
}

// TestLetterIncomplete: from the letter page an agent declares a request
// incomplete (pieces, deadline), with CSRF and French messages next to the
// fields; the page then shows the pieces awaited and offers their receipt,
// which gives the new due date.
func TestLetterIncomplete(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	ctx := context.Background()
	var svr string
	ds, _ := s.Svc.Doctypes(ctx, s.Admin)
	for _, d := range ds {
		if d.Code == "DEMANDE-SVR" {
			svr = d.ID
		}
	}
	l, err := s.Svc.RegisterLetter(ctx, s.Admin, appliance.RegisterInput{Category: "incoming", Subject: "Demande de permis de stationnement", DoctypeID: svr,
		EntityID: s.Voirie.ID, Sender: &appliance.ContactInput{Name: "Paul Durand", Address: "3 rue Haute", Postcode: "67000", City: "Saint-Martin"}})
	if err != nil {
		t.Fatal(err)
	}
	a := s.browser(t)
	a.login("julien", agentPassword) // an agent of Voirie
	page := "/letters/" + l.ID
	p := must(t, a.get(page), http.StatusOK)
	for _, want := range []string{`action="` + page + `/incomplete"`, "Demande incomplète", `<label for="incomplete.missing">Pièces et informations manquantes</label>`,
		`name="deadline" type="date" min="2026-03-11" value="2026-04-10"`, "Rejet implicite le : "} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("letter page: no %s", want)
		}
	}
	must(t, a.post(page+"/incomplete", url.Values{"csrf": {"-"}, "missing": {"Plan"}, "deadline": {"2026-04-09"}}), http.StatusForbidden)
	p = must(t, a.post(page+"/incomplete", url.Values{"missing": {""}, "deadline": {"2026-03-01"}}), http.StatusUnprocessableEntity)
	for _, want := range []string{`id="incomplete.missing-err"`, `id="incomplete.deadline-err"`, "une date après aujourd&#39;hui", "<details class=\"action\" open>"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("refused declaration: no %s", want)
		}
	}
	if v, _ := s.Svc.View(ctx, s.Admin, l.ID); v.Pieces != nil {
		t.Fatal("a refused declaration recorded pieces")
	}
	p = a.post(page+"/incomplete", url.Values{"missing": {"Plan de situation\r\nAttestation d'assurance"}, "deadline": {"2026-04-09"}})
	must(t, p, http.StatusSeeOther)
	p = must(t, a.get(page), http.StatusOK)
	for _, want := range []string{"Demande déclarée incomplète.", "Imprimez et postez l&#39;accusé de réception", "Pièces demandées le 10/03/2026, à produire avant le 09/04/2026 :",
		"<li>Plan de situation</li>", "<li>Attestation d&#39;assurance</li>", "Le délai de rejet implicite est suspendu", `action="` + page + `/pieces"`,
		"Rejet implicite le : ", "09/06/2026"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("letter page with pieces awaited: no %s", want)
		}
	}
	if strings.Contains(p.Body, `action="`+page+`/incomplete"`) {
		t.Error("the page offers to ask for pieces again while they are awaited")
	}
	s.Clock.Add(10 * 24 * time.Hour) // 20 March; the session has expired meanwhile
	a.login("julien", agentPassword)
	p = must(t, a.post(page+"/pieces", url.Values{"received_on": {"2026-03-21"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Body, `id="pieces.received_on-err"`) || !strings.Contains(p.Body, "pas après aujourd&#39;hui") {
		t.Error("a receipt in the future has no message next to its field")
	}
	must(t, a.post(page+"/pieces", url.Values{"received_on": {"2026-03-20"}}), http.StatusSeeOther)
	p = must(t, a.get(page), http.StatusOK)
	for _, want := range []string{"Réception des pièces enregistrée. Nouvelle date limite : 20/05/2026.", "Pièces demandées le 10/03/2026, reçues le 20/03/2026 :",
		`action="` + page + `/incomplete"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("letter page after the pieces came: no %s", want)
		}
	}
}
