package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/api"
	"missive/appliance/apptest"
	"missive/appliance/domain"
)

// TestDraftContract holds POST /actions/draft to the contract outside
// checks rely on: 201 and "url", the absolute WebDAV address of the draft.
func TestDraftContract(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	urba, voirie := h.entity(t, "URBA"), h.entity(t, "VOIRIE")
	_, agentUrba := h.user(t, "agent.urba", domain.RoleAgent, urba.ID)
	_, agentVoirie := h.user(t, "agent.voirie", domain.RoleAgent, voirie.ID)
	_, elected := h.user(t, "elu.urba", domain.RoleElected, urba.ID)
	l := h.letter(t, appliance.RegisterInput{Category: domain.Incoming, Subject: "Permis <b>& clôture</b>", EntityID: urba.ID})
	path := "/api/v1/letters/" + l.ID + "/actions/draft"
	num := strings.ReplaceAll(l.Number, "/", "-")

	if r := h.send(t, "POST", path, agentVoirie, nil); r.code != 404 {
		t.Errorf("outside the perimeter: %d, want 404", r.code)
	}
	if r := h.send(t, "POST", path, elected, nil); r.code != 403 {
		t.Errorf("elected official: %d, want 403", r.code)
	}
	if r := h.send(t, "POST", path, agentUrba, `{"template_id":"nope"}`); r.code != 404 {
		t.Errorf("unknown template: %d, want 404", r.code)
	}
	var dr api.DraftResponse
	h.call(t, 201, "POST /api/v1/letters/{id}/actions/draft", agentUrba, nil, &dr, l.ID)
	wantURL := h.url + "/dav/default/" + num + "/reponse-" + num + ".odt"
	if dr.URL != wantURL || !dr.Created || dr.Document.Role != domain.DocDraft {
		t.Fatalf("draft = %+v, want url %s", dr, wantURL)
	}
	// The draft's content is the merged template.
	r := h.send(t, "GET", "/api/v1/documents/"+dr.Document.ID+"/content", agentUrba, nil)
	zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
	if err != nil {
		t.Fatalf("draft content is not an ODT: %v", err)
	}
	var content []byte
	for _, f := range zr.File {
		if f.Name == "content.xml" {
			rc, _ := f.Open()
			content, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	if !bytes.Contains(content, []byte("Permis &lt;b&gt;&amp; clôture&lt;/b&gt;")) || !bytes.Contains(content, []byte(l.Number)) {
		t.Errorf("merged content lacks the escaped subject or the number:\n%s", content)
	}
	// Twice: 200 and the same draft.
	var again api.DraftResponse
	h.call(t, 200, "POST /api/v1/letters/{id}/actions/draft", h.admin, nil, &again, l.ID)
	if again.URL != dr.URL || again.Created || again.Document.ID != dr.Document.ID {
		t.Errorf("second call = %+v", again)
	}
	// A closed letter gets no draft.
	closed := h.letter(t, appliance.RegisterInput{Category: domain.Incoming, Subject: "Clos", EntityID: urba.ID})
	if _, err := h.env.Svc.Close(context.Background(), h.env.Admin, closed.ID, ""); err != nil {
		t.Fatal(err)
	}
	if r := h.send(t, "POST", "/api/v1/letters/"+closed.ID+"/actions/draft", agentUrba, nil); r.code != 409 {
		t.Errorf("closed letter: %d, want 409", r.code)
	}
	if r := h.send(t, "POST", "/api/v1/letters/"+closed.ID+"/actions/final-pdf", agentUrba, nil); r.code != 409 {
		t.Errorf("final PDF of a closed letter: %d, want 409", r.code)
	}
	if r := h.send(t, "POST", "/api/v1/letters/"+l.ID+"/actions/final-pdf", agentVoirie, nil); r.code != 404 {
		t.Errorf("final PDF outside the perimeter: %d, want 404", r.code)
	}
	// Without LibreOffice: 503 and a message that says what to install.
	h.env.Svc.Office.Soffice = "soffice-absent"
	r = h.send(t, "POST", "/api/v1/letters/"+l.ID+"/actions/final-pdf", agentUrba, nil)
	if e := apiError(t, r); r.code != 503 || !strings.Contains(e.Error, "libreoffice-writer-nogui") {
		t.Errorf("final PDF without LibreOffice: %d %q", r.code, e.Error)
	}
}

// TestDraftURLFromBaseURL: behind a proxy the configured public address
// makes the URL, not the Host the request reached.
func TestDraftURLFromBaseURL(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, "")
	s := api.New(env.Svc, apptest.Logger())
	s.BaseURL = "https://courrier.ville.fr/"
	mux := http.NewServeMux()
	s.Register(mux)
	tok, err := env.Svc.CreateToken(context.Background(), env.Admin, env.Admin.ID(), "t")
	if err != nil {
		t.Fatal(err)
	}
	l, err := env.Svc.RegisterLetter(context.Background(), env.Admin, appliance.RegisterInput{Category: domain.Outgoing, Subject: "Départ"})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/api/v1/letters/"+l.ID+"/actions/draft", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	num := strings.ReplaceAll(l.Number, "/", "-")
	if want := `"url": "https://courrier.ville.fr/dav/default/` + num + `/reponse-` + num + `.odt"`; w.Code != 201 || !strings.Contains(w.Body.String(), want) {
		t.Fatalf("%d %s, want %s", w.Code, w.Body, want)
	}
}
