package mailbridge

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/web"
)

// TestPostalAckForASenderWithoutEmail: a paper letter from a sender with
// no e-mail address gets, from its page, an acknowledgement to print: a
// PDF attached to the letter, worded by the SVA template (with the CRPA
// mentions) and addressed to the sender's postal address. poppler reads
// it back.
func TestPostalAckForASenderWithoutEmail(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", fastOptions())
	dt, err := h.svc.CreateDoctype(h.ctx, h.env.Admin, appliance.DoctypeInput{Code: "PERMIS", Label: "Permis de construire", DelayDays: 60, Mode: domain.ModeSVA})
	if err != nil {
		t.Fatal(err)
	}
	l, err := h.svc.RegisterLetter(h.ctx, h.env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Demande de permis, 3 rue des Écoles", DoctypeID: dt.ID,
		Sender: &appliance.ContactInput{FirstName: "Hélène", LastName: "Lefèvre", Address: "3 rue des Écoles", Postcode: "13130", City: "Berre-l'Étang"}})
	if err != nil {
		t.Fatal(err)
	}

	mux := http.NewServeMux()
	web.New(h.svc, apptest.Logger(), web.Options{Mail: h.b}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
	c.login("admin", apptest.AdminPassword)
	code, page := c.do("GET", "/letters/"+l.ID, nil)
	if code != 200 || !strings.Contains(page, `action="/letters/`+l.ID+`/postal-ack"`) || !strings.Contains(page, "Accusé de réception à imprimer") {
		t.Fatalf("letter page lacks the paper acknowledgement (%d):\n%.4000s", code, page)
	}
	if code, body := c.do("POST", "/letters/"+l.ID+"/postal-ack", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("postal-ack: %d\n%.2000s", code, body)
	}
	name := "accuse-reception-" + strings.ReplaceAll(l.Number, "/", "-") + ".pdf"
	if _, page = c.do("GET", "/letters/"+l.ID, nil); !strings.Contains(page, name) {
		t.Fatalf("the letter page does not list %s", name)
	}

	lv, err := h.svc.View(h.ctx, h.env.Admin, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	var pdf []byte
	for _, d := range lv.Documents {
		if d.Name == name {
			v := d.Versions[len(d.Versions)-1]
			if v.MIME != "application/pdf" || d.Role != domain.DocAttachment {
				t.Fatalf("document %+v", d)
			}
			f, err := h.env.Blobs.Open(v.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			pdf, _ = io.ReadAll(f)
			f.Close()
		}
	}
	if pdf == nil {
		t.Fatalf("no %s among %+v", name, lv.Documents)
	}
	text := readPDF(t, pdf)
	for _, want := range []string{"Commune de Test", "Hélène Lefèvre", "3 rue des Écoles", "13130 Berre-l'Étang", l.Number,
		"L. 112-11 et R. 112-5", "réputée acceptée", "Rappelez le numéro " + l.Number + " dans toute correspondance."} {
		if !strings.Contains(text, want) {
			t.Errorf("%q missing from the acknowledgement:\n%s", want, text)
		}
	}
	for _, unwanted := range []string{"répondez simplement", "envoyé automatiquement"} {
		if strings.Contains(text, unwanted) {
			t.Errorf("a paper acknowledgement says %q:\n%s", unwanted, text)
		}
	}
}

func readPDF(t *testing.T, doc []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext introuvable: installez le paquet Debian poppler-utils (voir scripts/deps, lancé par make test)")
	}
	f := filepath.Join(t.TempDir(), "ar.pdf")
	os.WriteFile(f, doc, 0o644)
	out, err := exec.Command(bin, "-enc", "UTF-8", "-layout", f, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	// -layout keeps the addressee's block to the right; the words are what
	// is checked.
	return strings.Join(strings.Fields(string(out)), " ")
}

// TestAutoPostalAckAtRegistration: registering a paper letter in the web
// UI from a sender with a postal address and no e-mail attaches its
// acknowledgement to print at once, when the doctype is acknowledged
// automatically; not for a sender with an e-mail address, nor a doctype
// set to "never".
func TestAutoPostalAckAtRegistration(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", fastOptions())
	never, err := h.svc.CreateDoctype(h.ctx, h.env.Admin, appliance.DoctypeInput{Code: "INFO", Label: "Information", DelayDays: 0})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.SetMailAckPolicy(h.ctx, h.env.Admin, never.ID, appliance.AckNever); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	web.New(h.svc, apptest.Logger(), web.Options{Mail: h.b}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
	c.login("admin", apptest.AdminPassword)
	formKey := regexp.MustCompile(`name="form_key" value="([^"]+)"`)
	register := func(subject string, extra url.Values) (string, string) {
		_, form := c.do("GET", "/letters/new", nil)
		m := formKey.FindStringSubmatch(form)
		if m == nil {
			t.Fatal("no form_key")
		}
		f := url.Values{"form_key": {m[1]}, "subject": {subject}, "category": {"incoming"}, "sender_name": {"Paul Martin"},
			"sender_address": {"1 place de la Mairie"}, "sender_postcode": {"13130"}, "sender_city": {"Berre-l'Étang"}}
		for k, v := range extra {
			f[k] = v
		}
		code, body := c.do("POST", "/letters/new", f)
		if code != http.StatusSeeOther {
			t.Fatalf("register %q: %d\n%.3000s", subject, code, body)
		}
		l := h.letterBySubject(subject)
		if l == nil {
			t.Fatalf("no letter %q", subject)
		}
		_, page := c.do("GET", "/letters/"+l.ID, nil)
		return l.ID, page
	}
	docs := func(id string) string {
		lv, err := h.svc.View(h.ctx, h.env.Admin, id)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range lv.Documents {
			names = append(names, d.Name)
		}
		return strings.Join(names, "|")
	}

	id, page := register("Bruit de la salle des fêtes", nil)
	if got := docs(id); !strings.Contains(got, "accuse-reception-") {
		t.Fatalf("no paper acknowledgement attached: %q", got)
	}
	if !strings.Contains(page, "l'accusé de réception à imprimer (accuse-reception-") {
		t.Fatalf("the agent is not told:\n%.3000s", page)
	}
	if id, _ := register("Question par courriel", url.Values{"sender_email": {"paul@exemple.test"}}); strings.Contains(docs(id), "accuse-reception-") {
		t.Fatal("a sender with an e-mail address got a paper acknowledgement")
	}
	if id, _ := register("Simple information", url.Values{"doctype_id": {never.ID}}); strings.Contains(docs(id), "accuse-reception-") {
		t.Fatal("a doctype set to never got a paper acknowledgement")
	}
}
