package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/domain"
)

// The letter page's GED section: hidden without a GED, the button queues an
// export for those who may act on the letter only, and the page then tells
// where the letter went or the last error. The upload itself is tested
// against a real WebDAV server in package webdav/ged.
func TestLetterPageGEDExport(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	ctx := context.Background()
	l := s.letter(t, "Élagage rue des Tilleuls")
	b := s.browser(t)
	b.login("julien", agentPassword)
	if p := must(t, b.get("/letters/"+l.ID), 200); strings.Contains(p.Body, "Exporter vers la GED") {
		t.Fatal("GED section shown without a GED")
	}
	if _, err := s.Svc.SetGEDTarget(ctx, s.Admin, appliance.GEDTargetInput{URL: "https://cloud.example.org/remote.php/dav/files/courrier/Courrier/", Username: "courrier", Password: "pw-ged-secret"}); err != nil {
		t.Fatal(err)
	}
	p := must(t, b.get("/letters/"+l.ID), 200)
	if !strings.Contains(p.Body, "pas encore été exporté") || !strings.Contains(p.Body, "Exporter vers la GED") || strings.Contains(p.Body, "pw-ged-secret") {
		t.Fatalf("GED section: %s", p.Body)
	}
	must(t, b.post("/letters/"+l.ID+"/export", url.Values{}), http.StatusSeeOther)
	xs, err := s.Svc.LetterExports(ctx, s.Admin, l.ID)
	if err != nil || len(xs) != 1 {
		t.Fatalf("exports %+v, %v", xs, err)
	}
	if p := must(t, b.get("/letters/"+l.ID), 200); !strings.Contains(p.Body, "Export en attente") {
		t.Fatalf("queued export not shown: %s", p.Body)
	}
	next := s.Clock.Now().Add(time.Hour).UTC().Format(domain.TimeLayout)
	if err := s.Svc.RecordGEDExportResult(ctx, "default", appliance.GEDExportResult{ID: xs[0].ID, Status: appliance.GEDQueued, Attempts: 1, NextTry: next,
		Error: "accès refusé par la GED: vérifiez l'identifiant et le mot de passe"}); err != nil {
		t.Fatal(err)
	}
	if p := must(t, b.get("/letters/"+l.ID), 200); !strings.Contains(p.Body, "1 tentative(s) échouée(s)") || !strings.Contains(p.Body, "accès refusé par la GED") {
		t.Fatalf("last error not shown: %s", p.Body)
	}
	loc := "https://cloud.example.org/remote.php/dav/files/courrier/Courrier/2026/x/"
	if err := s.Svc.RecordGEDExportResult(ctx, "default", appliance.GEDExportResult{ID: xs[0].ID, Status: appliance.GEDDone, Attempts: 2, Location: loc}); err != nil {
		t.Fatal(err)
	}
	if p := must(t, b.get("/letters/"+l.ID), 200); !strings.Contains(p.Body, `href="`+loc+`"`) {
		t.Fatalf("done export not shown: %s", p.Body)
	}

	// Céline (Urbanisme) does not see the Voirie letter: no export either.
	o := s.browser(t)
	o.login("celine", agentPassword)
	if p := o.post("/letters/"+l.ID+"/export", url.Values{}); p.Code != 404 && p.Code != 403 {
		t.Fatalf("export outside the perimeter: %d", p.Code)
	}
	if xs, _ := s.Svc.LetterExports(ctx, s.Admin, l.ID); len(xs) != 1 {
		t.Fatalf("an export was queued from outside the perimeter: %+v", xs)
	}
}

// The OnlyOffice page: a link on the letter page once the tenant has a
// Document Server, the signed configuration in a data block, the Document
// Server allowed by the page's CSP, and nothing for a letter out of sight.
func TestOnlyOfficeEditorPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	ctx := context.Background()
	l := s.letter(t, "Élagage rue des Tilleuls")
	v, err := s.Svc.View(ctx, s.Admin, l.ID)
	if err != nil || len(v.Documents) == 0 {
		t.Fatalf("view: %v", err)
	}
	doc := v.Documents[0]
	b := s.browser(t)
	b.login("julien", agentPassword)
	if p := must(t, b.get("/letters/"+l.ID), 200); strings.Contains(p.Body, "/onlyoffice") {
		t.Fatal("OnlyOffice link without a Document Server")
	}
	if _, err := s.Svc.SetOnlyOffice(ctx, s.Admin, appliance.OnlyOfficeInput{URL: "https://office.example.org/", Secret: "secret-partage-onlyoffice-1"}); err != nil {
		t.Fatal(err)
	}
	if p := must(t, b.get("/letters/"+l.ID), 200); !strings.Contains(p.Body, `href="/documents/`+doc.ID+`/onlyoffice"`) {
		t.Fatalf("no OnlyOffice link: %s", p.Body)
	}
	p := must(t, b.get("/documents/"+doc.ID+"/onlyoffice"), 200)
	csp := p.Header.Get("Content-Security-Policy")
	if !strings.Contains(p.Body, `src="https://office.example.org/web-apps/apps/api/documents/api.js"`) || !strings.Contains(p.Body, `"token":"`) ||
		!strings.Contains(csp, "script-src 'self' https://office.example.org") || strings.Contains(p.Body, "secret-partage-onlyoffice-1") {
		t.Fatalf("editor page: CSP %q\n%s", csp, p.Body)
	}
	o := s.browser(t)
	o.login("celine", agentPassword)
	if p := o.get("/documents/" + doc.ID + "/onlyoffice"); p.Code != 404 {
		t.Fatalf("editor outside the perimeter: %d", p.Code)
	}
}

// The administrator's page sets the GED and the Document Server; secrets
// never come back in it, and an agent may not use it.
func TestAdminGEDPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	ctx := context.Background()
	b := s.browser(t)
	b.login("admin", apptest.AdminPassword)
	must(t, b.get("/admin/ged"), 200)
	p := b.post("/admin/ged", url.Values{"url": {"ftp://ged/"}})
	if p.Code != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "http") {
		t.Fatalf("bad URL: %d", p.Code)
	}
	must(t, b.post("/admin/ged", url.Values{"url": {"https://cloud.example.org/remote.php/dav/files/courrier/Courrier"}, "username": {"courrier"},
		"password": {"pw-ged-secret"}, "on_close": {"1"}}), http.StatusSeeOther)
	g, err := s.Svc.GEDTarget(ctx, s.Admin)
	if err != nil || g.URL != "https://cloud.example.org/remote.php/dav/files/courrier/Courrier/" || !g.OnClose || g.Secret == "" {
		t.Fatalf("target %+v, %v", g, err)
	}
	// Saved again without a password: the stored one is kept.
	must(t, b.get("/admin/ged"), 200)
	must(t, b.post("/admin/ged", url.Values{"url": {g.URL}, "username": {"courrier"}}), http.StatusSeeOther)
	if g2, _ := s.Svc.GEDTarget(ctx, s.Admin); g2.Secret != g.Secret || g2.OnClose {
		t.Fatalf("after a save without password: %+v", g2)
	}
	must(t, b.get("/admin/ged"), 200)
	if p := b.post("/admin/onlyoffice", url.Values{"oo_url": {"https://office.example.org/"}, "oo_secret": {"court"}}); p.Code != http.StatusUnprocessableEntity {
		t.Fatalf("short secret: %d", p.Code)
	}
	must(t, b.post("/admin/onlyoffice", url.Values{"oo_url": {"https://office.example.org/"}, "oo_secret": {"secret-partage-onlyoffice-1"}}), http.StatusSeeOther)
	p = must(t, b.get("/admin/ged"), 200)
	if strings.Contains(p.Body, "pw-ged-secret") || strings.Contains(p.Body, "secret-partage-onlyoffice-1") || !strings.Contains(p.Body, "https://office.example.org/") {
		t.Fatalf("admin page: %s", p.Body)
	}
	a := s.browser(t)
	a.login("julien", agentPassword)
	if p := a.get("/admin/ged"); p.Code != http.StatusForbidden {
		t.Fatalf("agent on the admin page: %d", p.Code)
	}
}
