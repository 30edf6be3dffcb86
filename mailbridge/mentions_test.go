package mailbridge

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"text/template"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/domain"
	"missive/appliance/drafts"
	"missive/appliance/web"
)

// startingAt is a clock that reads paris (AAAA-MM-JJTHH:MM, Paris time)
// when the test starts and runs on from there.
func startingAt(t *testing.T, paris string) func() time.Time {
	t.Helper()
	base, err := time.ParseInLocation("2006-01-02T15:04", paris, domain.Paris)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	return func() time.Time { return base.Add(time.Since(start)) }
}

// mentionsSetup is a commune with its details, a service (urbanisme)
// whose postal address and phone are its parent's (services techniques),
// and routing rules that send a citizen's e-mail to it as a normal, SVA or
// SVR request.
func mentionsSetup(t *testing.T) (*harness, *domain.Entity, map[string]string) {
	t.Helper()
	h := newHarnessAt(t, "", fastOptions(), startingAt(t, "2026-12-15T10:00"))
	if _, err := h.svc.UpdateTenant(h.ctx, h.env.Admin, appliance.TenantInput{Name: "Ville de Saint-Martin", Address: "1 place de la Mairie\n67000 Saint-Martin",
		Phone: "03 88 00 00 00", Email: "mairie@saint-martin.fr", Website: "https://www.saint-martin.fr"}); err != nil {
		t.Fatal(err)
	}
	st, err := h.svc.CreateEntity(h.ctx, h.env.Admin, appliance.EntityInput{Code: "ST", Name: "Services techniques",
		Address: "Centre technique municipal\n2 rue des Ateliers\n67000 Saint-Martin", Phone: "03 88 00 00 10"})
	if err != nil {
		t.Fatal(err)
	}
	urba, err := h.svc.CreateEntity(h.ctx, h.env.Admin, appliance.EntityInput{ParentID: st.ID, Code: "URBA", Name: "Service urbanisme", Email: "urbanisme@saint-martin.fr"})
	if err != nil {
		t.Fatal(err)
	}
	dts, err := h.svc.Doctypes(h.ctx, h.env.Admin)
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]string{}
	for _, d := range dts {
		byCode[d.Code] = d.ID
	}
	for i, r := range []appliance.MailRuleInput{
		{Keywords: "renseignement", EntityID: urba.ID, DoctypeID: byCode["COURRIER"]},
		{Keywords: "permis", EntityID: urba.ID, DoctypeID: byCode["DEMANDE-SVA"]},
		{Keywords: "terrasse", EntityID: urba.ID, DoctypeID: byCode["DEMANDE-SVR"]},
	} {
		r.Position = i + 1
		if _, err := h.svc.AddMailRule(h.ctx, h.env.Admin, r); err != nil {
			t.Fatal(err)
		}
	}
	return h, urba, byCode
}

// serviceMentions are what every acknowledgement gives (CRPA R112-5): the
// commune, the date of receipt, and the designation, postal address,
// e-mail and phone of the service in charge (the last two inherited from
// its parent).
var serviceMentions = []string{"Ville de Saint-Martin", "15 décembre 2026", "Service urbanisme", "Centre technique municipal", "2 rue des Ateliers",
	"67000 Saint-Martin", "03 88 00 00 10", "urbanisme@saint-martin.fr"}

// modeMentions are what each mode adds: the date the implicit decision
// arises (two calendar months after 15 December 2026: 15 February 2027)
// with the attestation or the remedies; for an incomplete request, the
// pieces missing, the date they are due by and what happens to the delay.
var modeMentions = map[string][]string{
	"normal": {"Une réponse vous sera apportée au plus tard le 7 janvier 2027."},
	"sva": {"R. 112-5", "décision implicite d'acceptation", "elle sera réputée acceptée le 15 février 2027", "attestation de cette décision implicite d'acceptation",
		"L. 232-3"},
	"svr": {"R. 112-5", "décision implicite de rejet", "elle sera réputée rejetée le 15 février 2027", "recours gracieux", "tribunal administratif",
		"dans un délai de deux mois à compter de la date à laquelle elle sera née"},
	"incomplete-sva": {"Votre demande est incomplète", "- Plan de situation", "- Attestation d'assurance", "au plus tard le 15 janvier 2027", "L. 114-5",
		"le délai de 2 mois au terme duquel, en l'absence de réponse, elle sera réputée acceptée ne court qu'à compter de la réception de ces pièces et informations",
		"L. 232-3"},
	// Suspended for the 31 days given: 15 February + 31 days.
	"incomplete-svr": {"Votre demande est incomplète", "- Plan de situation", "- Attestation d'assurance", "au plus tard le 15 janvier 2027", "L. 114-5",
		"est suspendu pendant le délai imparti pour produire ces pièces et informations", "leur production avant le 15 janvier 2027 met fin à cette suspension",
		"votre demande sera réputée rejetée le 18 mars 2027", "recours gracieux", "tribunal administratif"},
}

func checkMentions(t *testing.T, what, text string, mode string, extra ...string) {
	t.Helper()
	flat := strings.Join(strings.Fields(text), " ")
	for _, w := range append(append(append([]string{}, serviceMentions...), modeMentions[mode]...), extra...) {
		if !strings.Contains(flat, w) {
			t.Errorf("%s (%s) lacks %q:\n%s", what, mode, w, text)
		}
	}
}

var missing = "Plan de situation\nAttestation d'assurance"

// TestAcknowledgementMentions reads the acknowledgement of each mode as
// the citizen gets it, the e-mail's body and the PDF's text (pdftotext),
// and checks that every mention of articles R. 112-5 and L. 114-5 of the
// CRPA is there, taken from the commune's, the service's and the letter's
// fields: normal, SVA and SVR requests, then the SVA and SVR ones declared
// incomplete.
func TestAcknowledgementMentions(t *testing.T) {
	t.Parallel()
	h, urba, byCode := mentionsSetup(t)
	deadline := "2027-01-15"

	// By e-mail: the citizen's messages, routed by keyword.
	subjects := map[string]string{"normal": "Demande de renseignement", "sva": "Demande de permis de construire", "svr": "Autorisation de terrasse"}
	emailed := map[string]*domain.Letter{}
	for mode, subject := range subjects {
		h.mustSend("c@exemple.test", citizenMail(mode+"@exemple.test", "c@exemple.test", subject+" confidentiel", "Bonjour."))
		emailed[mode] = h.letterBySubject(subject)
	}
	if emailed["sva"].DueDate != "2027-02-15" || emailed["svr"].DueDate != "2027-02-15" || emailed["normal"].DueDate != "2027-01-07" {
		t.Fatalf("due dates: %s %s %s", emailed["normal"].DueDate, emailed["sva"].DueDate, emailed["svr"].DueDate)
	}
	for mode, l := range emailed {
		var acks []*Message
		waitFor(t, "acknowledgement of "+l.Number, 10*time.Second, func() bool { acks = h.acks(l.Number); return len(acks) == 1 })
		checkMentions(t, "e-mail "+l.Number, acks[0].Text, mode, l.Number, "répondre simplement à ce message")
		if strings.Contains(acks[0].Text, "confidentiel") {
			t.Errorf("the acknowledgement quotes the citizen's subject:\n%s", acks[0].Text)
		}
	}
	for _, mode := range []string{"sva", "svr"} {
		l := emailed[mode]
		r, err := h.svc.MarkIncomplete(h.ctx, h.env.Admin, l.ID, appliance.IncompleteInput{Missing: missing, Deadline: deadline})
		if err != nil || r.Notice != appliance.NoticeEmail {
			t.Fatalf("mark %s incomplete: %+v, %v", l.Number, r, err)
		}
		var sent *Message
		waitFor(t, "letter asking the pieces of "+l.Number, 10*time.Second, func() bool {
			for _, raw := range h.sink.Messages(t) {
				if m := Parse(raw); strings.HasPrefix(m.MessageID, "incomplete.") && strings.Contains(m.Subject, l.Number) {
					sent = m
				}
			}
			return sent != nil
		})
		checkMentions(t, "e-mail asking the pieces of "+l.Number, sent.Text, "incomplete-"+mode, l.Number)
		if !strings.Contains(sent.Subject, "Demande incomplète") || len(sent.InReplyTo) == 0 || sent.InReplyTo[0] != mode+"@exemple.test" {
			t.Errorf("letter asking the pieces: subject %q, in reply to %v", sent.Subject, sent.InReplyTo)
		}
	}

	// On paper: the same letters registered by the mail room from a sender
	// with a postal address only, acknowledged as a PDF to print.
	for _, mode := range []string{"normal", "sva", "svr"} {
		code := map[string]string{"normal": "COURRIER", "sva": "DEMANDE-SVA", "svr": "DEMANDE-SVR"}[mode]
		l, err := h.svc.RegisterLetter(h.ctx, h.env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: subjects[mode] + " (papier)",
			ArrivalDate: "2026-12-15", DoctypeID: byCode[code], EntityID: urba.ID,
			Sender: &appliance.ContactInput{FirstName: "Hélène", LastName: "Lefèvre", Address: "3 rue des Écoles", Postcode: "67000", City: "Saint-Martin"}})
		if err != nil {
			t.Fatal(err)
		}
		text := postalText(t, h, l.ID, "accuse-reception-")
		checkMentions(t, "PDF "+l.Number, text, mode, l.Number, "Hélène Lefèvre", "3 rue des Écoles")
		if strings.Contains(text, "répondre simplement") || strings.Contains(text, "envoyé automatiquement") {
			t.Errorf("a paper acknowledgement speaks of e-mail:\n%s", text)
		}
		if mode == "normal" {
			continue
		}
		r, err := h.svc.MarkIncomplete(h.ctx, h.env.Admin, l.ID, appliance.IncompleteInput{Missing: missing, Deadline: deadline})
		if err != nil || r.Notice != appliance.NoticePaper {
			t.Fatalf("mark %s incomplete: %+v, %v", l.Number, r, err)
		}
		checkMentions(t, "PDF asking the pieces of "+l.Number, postalText(t, h, l.ID, "demande-pieces-"), "incomplete-"+mode, l.Number)
	}
}

// postalText makes a letter's paper acknowledgement and reads its PDF's
// text back with pdftotext.
func postalText(t *testing.T, h *harness, letterID, prefix string) string {
	t.Helper()
	res, err := h.b.PostalAck(h.ctx, h.env.Admin, letterID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Name, prefix) {
		t.Fatalf("paper acknowledgement named %s, want %s…", res.Name, prefix)
	}
	d, err := h.svc.Document(h.ctx, h.env.Admin, res.DocumentID)
	if err != nil {
		t.Fatal(err)
	}
	f, err := h.env.Blobs.Open(d.Versions[len(d.Versions)-1].SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return readPDF(t, b)
}

// TestMergeFieldsShared: the acknowledgements' templates name their fields
// as the reply drafts do: each name of drafts.FieldList renders, for a
// letter, the value a draft of that letter gets; the older names
// ({{.Number}}…) still render; a name neither syntax knows is refused.
func TestMergeFieldsShared(t *testing.T) {
	t.Parallel()
	h, urba, byCode := mentionsSetup(t)
	l, err := h.svc.RegisterLetter(h.ctx, h.env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Permis", ArrivalDate: "2026-12-15",
		DoctypeID: byCode["DEMANDE-SVA"], EntityID: urba.ID, Sender: &appliance.ContactInput{FirstName: "Hélène", LastName: "Lefèvre", City: "Saint-Martin"}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range drafts.FieldList {
		names = append(names, "{{"+f.Name+"}}")
	}
	all := strings.Join(names, "|")
	if err := CheckTemplate("{{numero}} {{.Number}}", all); err != nil {
		t.Fatalf("a template naming every draft field is refused: %v", err)
	}
	fields, err := h.svc.LetterFields(h.ctx, "default", l)
	if err != nil {
		t.Fatal(err)
	}
	mode, d, v, err := h.b.ackText(h.ctx, "default", l, "ack", false)
	if err != nil || mode != "sva" {
		t.Fatalf("ack text: %s, %v", mode, err)
	}
	_, got, err := render("x", all, d, v)
	if err != nil {
		t.Fatal(err)
	}
	draftValues := fields.Values()
	for i, f := range drafts.FieldList {
		if f.Name == "date_du_jour" {
			continue // the clock runs between the two
		}
		if part := strings.Split(got, "|")[i]; part != draftValues[f.Name] {
			t.Errorf("{{%s}}: the acknowledgement says %q, a draft %q", f.Name, part, draftValues[f.Name])
		}
	}
	for name, want := range map[string]string{"entite": "Service urbanisme", "service_telephone": "03 88 00 00 10", "date_limite": "15 février 2027",
		"commune": "Ville de Saint-Martin", "nom": "Hélène Lefèvre", "delai": "2 mois", "silence_vaut": "acceptation"} {
		if draftValues[name] != want {
			t.Errorf("{{%s}} = %q, want %q", name, draftValues[name], want)
		}
	}
	// The first templates' syntax.
	_, old, err := render("x", "{{.Number}}|{{.Commune}}|{{.ReceivedOn}}|{{.Service}}|{{.ServiceMail}}|{{.DueDate}}|{{.Doctype}}|{{.Mode}}", d, v)
	if err != nil || old != l.Number+"|Ville de Saint-Martin|15/12/2026|Service urbanisme|urbanisme@saint-martin.fr|15/02/2027|"+fields.Doctype+"|sva" {
		t.Errorf("old syntax: %q, %v", old, err)
	}
	for _, bad := range []string{"{{numéro}}", "{{.Numero}}", "{{service_fax}}"} {
		if err := CheckTemplate("x", bad); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
	// Every default template renders with the checker's sample values.
	for mode, tpl := range defaultTemplates {
		if err := CheckTemplate(tpl[0], tpl[1]); err != nil {
			t.Errorf("default %s template: %v", mode, err)
		}
		if _, err := template.New(mode).Funcs(ackFuncs(nil, false)).Parse(tpl[1]); err != nil {
			t.Errorf("default %s template does not parse: %v", mode, err)
		}
	}
}

// TestIncompleteOnPaperFromTheLetterPage: declaring incomplete, from the
// letter page, the request of a sender reached only by post attaches at
// once the letter to print that lists the pieces missing.
func TestIncompleteOnPaperFromTheLetterPage(t *testing.T) {
	t.Parallel()
	h, urba, byCode := mentionsSetup(t)
	l, err := h.svc.RegisterLetter(h.ctx, h.env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Permis de construire", ArrivalDate: "2026-12-15",
		DoctypeID: byCode["DEMANDE-SVA"], EntityID: urba.ID,
		Sender: &appliance.ContactInput{FirstName: "Hélène", LastName: "Lefèvre", Address: "3 rue des Écoles", Postcode: "67000", City: "Saint-Martin"}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	web.New(h.svc, apptest.Logger(), web.Options{Mail: h.b, Now: h.svc.Now}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL)
	c.login("admin", apptest.AdminPassword)
	c.do("GET", "/letters/"+l.ID, nil)
	if code, body := c.do("POST", "/letters/"+l.ID+"/incomplete", url.Values{"missing": {missing}, "deadline": {"2027-01-15"}}); code != http.StatusSeeOther {
		t.Fatalf("incomplete: %d\n%.2000s", code, body)
	}
	name := "demande-pieces-" + strings.ReplaceAll(l.Number, "/", "-") + ".pdf"
	_, page := c.do("GET", "/letters/"+l.ID, nil)
	if !strings.Contains(page, "La lettre à imprimer et poster, qui indique les pièces manquantes, est jointe au courrier ("+name+")") {
		t.Fatalf("the agent is not told of the letter to print:\n%.4000s", page)
	}
	lv, err := h.svc.View(h.ctx, h.env.Admin, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range lv.Documents {
		if d.Name == name {
			f, err := h.env.Blobs.Open(d.Versions[0].SHA256)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(f)
			f.Close()
			checkMentions(t, "PDF made from the letter page", readPDF(t, b), "incomplete-sva", l.Number)
			return
		}
	}
	t.Fatalf("no %s among the letter's documents", name)
}

// TestIncompleteWhileAcknowledgementHeld: a request declared incomplete
// before its acknowledgement left (sent "once qualified") gets one
// message, the acknowledgement, worded as the incomplete one.
func TestIncompleteWhileAcknowledgementHeld(t *testing.T) {
	t.Parallel()
	h, urba, byCode := mentionsSetup(t)
	if err := h.svc.SetMailAckPolicy(h.ctx, h.env.Admin, byCode["DEMANDE-SVR"], appliance.AckQualified); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.AddMailRule(h.ctx, h.env.Admin, appliance.MailRuleInput{Position: 0, Keywords: "balcon", DoctypeID: byCode["DEMANDE-SVR"]}); err != nil {
		t.Fatal(err)
	}
	h.mustSend("c@exemple.test", citizenMail("balcon@exemple.test", "c@exemple.test", "Balcon", "Bonjour."))
	l := h.letterBySubject("Balcon")
	if l.Status != domain.StatusNew || l.DoctypeID != byCode["DEMANDE-SVR"] {
		t.Fatalf("letter: %+v", l)
	}
	r, err := h.svc.MarkIncomplete(h.ctx, h.env.Admin, l.ID, appliance.IncompleteInput{Missing: missing, Deadline: "2027-01-15"})
	if err != nil || r.Notice != appliance.NoticeAck {
		t.Fatalf("mark incomplete: %+v, %v", r, err)
	}
	if _, err := h.svc.Redirect(h.ctx, h.env.Admin, l.ID, appliance.RedirectInput{EntityID: urba.ID}); err != nil {
		t.Fatal(err)
	}
	var acks []*Message
	waitFor(t, "the acknowledgement once qualified", 10*time.Second, func() bool { acks = h.acks(l.Number); return len(acks) == 1 })
	checkMentions(t, "held acknowledgement", acks[0].Text, "incomplete-svr", l.Number)
	for _, raw := range h.sink.Messages(t) {
		if m := Parse(raw); strings.HasPrefix(m.MessageID, "incomplete.") {
			t.Errorf("a second message was sent: %s", m.Subject)
		}
	}
}
