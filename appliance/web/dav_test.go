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

// The letter page offers each document's WebDAV address through
// LibreOffice's URL scheme, the folder's address, and restores a version.
func TestLetterPageDAV(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	ctx := context.Background()
	l := s.letter(t, "Demande de réponse")
	d, err := s.Svc.Attach(ctx, s.Admin, l.ID, "", appliance.Upload{Name: "réponse v1.odt", Role: domain.DocDraft, Body: strings.NewReader("un")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Svc.Attach(ctx, s.Admin, l.ID, d.ID, appliance.Upload{Body: strings.NewReader("deux")}); err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	must(t, b.login("julien", agentPassword), http.StatusSeeOther)
	p := must(t, b.get("/letters/"+l.ID), http.StatusOK)
	folder := "/dav/default/" + strings.ReplaceAll(l.Number, "/", "-") + "/"
	for _, want := range []string{
		`href="vnd.libreoffice.command:ofe|u|` + s.URL + folder + `r%C3%A9ponse%20v1.odt"`,
		`value="` + s.URL + folder + `"`,
		"Ouvrir dans LibreOffice",
		"Restaurer la version 1",
	} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("letter page lacks %s", want)
		}
	}
	if strings.Contains(p.Body, "Restaurer la version 2") {
		t.Error("the newest version offers to restore itself")
	}
	must(t, b.post("/letters/"+l.ID+"/restore", url.Values{"document_id": {d.ID}, "version": {"1"}}), http.StatusSeeOther)
	doc, err := s.Svc.Document(ctx, s.Admin, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(doc.Versions); n != 3 || doc.Versions[2].SHA256 != doc.Versions[0].SHA256 || doc.Versions[2].CreatedBy != s.Agent.ID {
		t.Fatalf("after restore: %+v", doc.Versions)
	}
	// Without the CSRF token, nothing happens.
	resp, err := http.PostForm(s.URL+"/letters/"+l.ID+"/restore", url.Values{"document_id": {d.ID}, "version": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if doc, _ = s.Svc.Document(ctx, s.Admin, d.ID); len(doc.Versions) != 3 {
		t.Fatalf("restore without a session or CSRF token: %d versions", len(doc.Versions))
	}
}

// An administrator sees the share's locks and breaks one from the admin
// pages; an agent may not.
func TestAdminBreaksLock(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	ctx := context.Background()
	l := s.letter(t, "Projet verrouillé")
	julien, err := s.Svc.Authenticate(ctx, "default", "julien", agentPassword, "test")
	if err != nil {
		t.Fatal(err)
	}
	target, _, err := s.Svc.DavLetterSpace(ctx, julien, appliance.DavLetterFolder(l.Number), true)
	if err != nil {
		t.Fatal(err)
	}
	lock, err := s.Svc.DavLock(ctx, julien, target, appliance.DavLockInput{Path: "/reponse.odt", Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}

	agent := s.browser(t)
	must(t, agent.login("julien", agentPassword), http.StatusSeeOther)
	must(t, agent.get("/admin/locks"), http.StatusForbidden)
	must(t, agent.post("/admin/locks/"+lock.Token+"/break", url.Values{}), http.StatusForbidden)

	admin := s.browser(t)
	must(t, admin.login("admin", apptest.AdminPassword), http.StatusSeeOther)
	p := must(t, admin.get("/admin/locks"), http.StatusOK)
	for _, want := range []string{lock.Root, "Julien Morel (julien)", "Lever le verrou"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("locks page lacks %q", want)
		}
	}
	must(t, admin.post("/admin/locks/"+lock.Token+"/break", url.Values{}), http.StatusSeeOther)
	if locks, err := s.Svc.DavAdminLocks(ctx, s.Admin); err != nil || len(locks) != 0 {
		t.Fatalf("after break: %v %v", locks, err)
	}
	if p := must(t, admin.get("/admin/locks"), http.StatusOK); !strings.Contains(p.Body, "Verrou levé") || !strings.Contains(p.Body, "Aucun verrou en cours") {
		t.Errorf("after break the page says:\n%s", p.Body)
	}
	// Breaking it again: it is gone, said plainly.
	must(t, admin.post("/admin/locks/"+lock.Token+"/break", url.Values{}), http.StatusSeeOther)
	if p := must(t, admin.get("/admin/locks"), http.StatusOK); !strings.Contains(p.Body, "existe plus") {
		t.Errorf("second break: no message")
	}
}
