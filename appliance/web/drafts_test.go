package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"missive/appliance/apptest"
	"missive/appliance/drafts"
)

func TestTemplatesAdminPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	admin := s.browser(t)
	admin.login("admin", apptest.AdminPassword)
	p := must(t, admin.get("/admin/templates"), 200)
	for _, want := range []string{"Modèles de réponse", drafts.DefaultName, "{{numero}}", "{{adresse_complete}}", `enctype="multipart/form-data"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("templates page lacks %q", want)
		}
	}
	tpl, _, err := drafts.Merge(drafts.DefaultTemplate(), drafts.Values{"commune": "VILLE-DE-TEST"})
	if err != nil {
		t.Fatal(err)
	}
	// Refused without the CSRF token of the session.
	must(t, admin.postMultipart("/admin/templates", url.Values{"csrf": {"faux"}}, "modele.odt", tpl), http.StatusForbidden)
	// Not a document: the form again, with the error on the file.
	p = must(t, admin.postMultipart("/admin/templates", url.Values{"name": {"Texte"}}, "notes.txt", []byte("texte")), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Body, "ODT") {
		t.Errorf("no error on the file:\n%.2000s", p.Body)
	}
	p = must(t, admin.postMultipart("/admin/templates", url.Values{"name": {"Réponse voirie"}, "entity_id": {s.Voirie.ID}}, "voirie.odt", tpl), http.StatusSeeOther)
	p = must(t, admin.get(p.Location), 200)
	if !strings.Contains(p.Body, "Réponse voirie") || !strings.Contains(p.Body, "Voirie") {
		t.Fatalf("template not listed:\n%.3000s", p.Body)
	}
	ts, err := s.Svc.DraftTemplates(context.Background(), s.Admin)
	if err != nil || len(ts) != 1 {
		t.Fatalf("templates %v %v", ts, err)
	}
	if f := must(t, admin.get("/admin/templates/"+ts[0].ID+"/file"), 200); !bytes.Equal([]byte(f.Body), tpl) {
		t.Error("downloaded template differs from the upload")
	}
	if f := must(t, admin.get("/admin/templates/default/file"), 200); !bytes.Equal([]byte(f.Body), drafts.DefaultTemplate()) {
		t.Error("downloaded default template differs")
	}
	// An agent sees none of it.
	agent := s.browser(t)
	agent.login("julien", agentPassword)
	must(t, agent.get("/admin/templates"), http.StatusForbidden)
	must(t, agent.post("/admin/templates/"+ts[0].ID+"/delete", url.Values{}), http.StatusForbidden)

	admin.get("/admin/templates")
	must(t, admin.post("/admin/templates/"+ts[0].ID+"/delete", url.Values{}), http.StatusSeeOther)
	if ts, _ := s.Svc.DraftTemplates(context.Background(), s.Admin); len(ts) != 0 {
		t.Errorf("template not deleted: %v", ts)
	}
}

func TestLetterDraftButtons(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	l := s.letter(t, "Élagage <rue> & trottoir")
	num := strings.ReplaceAll(l.Number, "/", "-")
	agent := s.browser(t)
	agent.login("julien", agentPassword)
	p := must(t, agent.get("/letters/"+l.ID), 200)
	if !strings.Contains(p.Body, "Créer un projet de réponse") || strings.Contains(p.Body, "Générer la réponse définitive") {
		t.Fatalf("letter page without a draft:\n%.3000s", p.Body)
	}
	// Someone outside the letter's entity cannot make its draft.
	other := s.browser(t)
	other.login("celine", agentPassword)
	must(t, other.post("/letters/"+l.ID+"/draft", url.Values{}), http.StatusNotFound)

	p = must(t, agent.post("/letters/"+l.ID+"/draft", url.Values{}), http.StatusSeeOther)
	p = must(t, agent.get(p.Location), 200)
	wantURL := s.URL + "/dav/default/" + num + "/reponse-" + num + ".odt"
	for _, want := range []string{"reponse-" + num + ".odt", `value="` + wantURL + `"`, `href="vnd.libreoffice.command:ofe|u|` + wantURL + `"`, "Générer la réponse définitive (PDF)"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("letter page with a draft lacks %q\n%s", want, p.Body[strings.Index(p.Body, "h-reply"):][:1500])
		}
	}
	lv, err := s.Svc.View(context.Background(), s.Admin, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	var draft []byte
	for _, d := range lv.Documents {
		if d.Name == "reponse-"+num+".odt" {
			_, _, f, err := s.Svc.OpenDocument(context.Background(), s.Admin, d.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			buf.ReadFrom(f)
			f.Close()
			draft = buf.Bytes()
		}
	}
	zr, err := zip.NewReader(bytes.NewReader(draft), int64(len(draft)))
	if err != nil {
		t.Fatalf("draft: %v", err)
	}
	for _, f := range zr.File {
		if f.Name == "content.xml" {
			rc, _ := f.Open()
			var buf bytes.Buffer
			buf.ReadFrom(rc)
			rc.Close()
			if c := buf.String(); !strings.Contains(c, "Élagage &lt;rue&gt; &amp; trottoir") || !strings.Contains(c, "Julien Morel") || !strings.Contains(c, "Jeanne Dupont") {
				t.Errorf("merged draft:\n%s", c)
			}
		}
	}
	// Without LibreOffice the button explains what to install.
	s.Svc.Office.Soffice = "soffice-absent"
	p = must(t, agent.post("/letters/"+l.ID+"/final-pdf", url.Values{}), http.StatusSeeOther)
	p = must(t, agent.get(p.Location), 200)
	if !strings.Contains(p.Body, "libreoffice-writer-nogui") {
		t.Errorf("no message about LibreOffice:\n%.3000s", p.Body)
	}
}
