package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"missive/appliance"
)

// TestAdminMailPage drives the e-mail settings page without a mail bridge:
// addresses, mailboxes, relay, rules, templates and the acknowledgement
// policy are saved through forms, errors come back beside their fields,
// "Tester la connexion" says the module is not running, and an agent is
// refused. The connection tests against real servers are in package
// mailbridge (TestAdminMailPagesAgainstDovecot).
func TestAdminMailPage(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	b := s.browser(t)
	b.login("admin", "motdepasse-admin-1")
	p := must(t, b.get("/admin/mail"), http.StatusOK)
	for _, want := range []string{`<h1>Courrier électronique</h1>`, `href="/admin/mail" aria-current="page"`, `id="addresses"`, `id="mailboxes"`, `id="relay"`, `id="rules"`, `id="ack"`, `id="tpl-sva"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("admin mail page lacks %s", want)
		}
	}

	// An address, with its entity; a bad one comes back with its error.
	must(t, b.post("/admin/mail/addresses", url.Values{"address": {"Mairie@Ville.test"}, "entity_id": {s.Voirie.ID}}), http.StatusSeeOther)
	p = must(t, b.get("/admin/mail"), http.StatusOK)
	if !strings.Contains(p.Body, "mairie@ville.test") || !strings.Contains(p.Body, "reçoit désormais le courrier") {
		t.Fatalf("address not listed:\n%.3000s", p.Body)
	}
	p = must(t, b.post("/admin/mail/addresses", url.Values{"address": {"pas une adresse"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Body, `id="addr.address-err"`) || !strings.Contains(p.Body, `value="pas une adresse"`) {
		t.Fatalf("address error not shown beside the field:\n%.3000s", p.Body)
	}
	p = must(t, b.post("/admin/mail/addresses", url.Values{"address": {"mairie@ville.test"}}), http.StatusConflict)
	if !strings.Contains(html.UnescapeString(p.Body), "déjà configurée") {
		t.Fatalf("duplicate address:\n%.3000s", p.Body)
	}

	// A mailbox: its form opens again on an error; saved, it has its
	// test button, which says no bridge runs here.
	p = must(t, b.post("/admin/mail/mailboxes", url.Values{"host": {"imap.ville.test"}, "port": {"x"}, "security": {"tls"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Body, `id="mbox.port-err"`) || !strings.Contains(p.Body, "<details open>") {
		t.Fatalf("mailbox error:\n%.3000s", p.Body)
	}
	must(t, b.post("/admin/mail/mailboxes", url.Values{"host": {"imap.ville.test"}, "port": {"993"}, "security": {"tls"}, "auth": {"password"},
		"username": {"courrier"}, "password": {"secret-imap"}, "folder": {"INBOX"}, "done_folder": {"Traités"}}), http.StatusSeeOther)
	st, err := s.Svc.MailSettings(context.Background(), s.Admin)
	if err != nil || len(st.Mailboxes) != 1 {
		t.Fatalf("mailboxes %+v %v", st, err)
	}
	mb := st.Mailboxes[0]
	p = must(t, b.get("/admin/mail"), http.StatusOK)
	if !strings.Contains(p.Body, `action="/admin/mail/mailboxes/`+mb.ID+`/test"`) || strings.Contains(p.Body, "secret-imap") {
		t.Fatalf("mailbox row:\n%.3000s", p.Body)
	}
	must(t, b.post("/admin/mail/mailboxes/"+mb.ID+"/test", url.Values{}), http.StatusSeeOther)
	if p = must(t, b.get("/admin/mail"), http.StatusOK); !strings.Contains(p.Body, `class="flash error"`) || !strings.Contains(p.Body, "ne fonctionne pas") {
		t.Fatalf("test without a bridge:\n%.3000s", p.Body)
	}

	// The relay, then a rule, a template, the policy.
	must(t, b.post("/admin/mail/relay", url.Values{"host": {"smtp.ville.test"}, "port": {"587"}, "security": {"starttls"}, "username": {"courrier"},
		"password": {"secret-smtp"}, "from_address": {"mairie@ville.test"}}), http.StatusSeeOther)
	p = must(t, b.get("/admin/mail"), http.StatusOK)
	if !strings.Contains(p.Body, "Relais : smtp.ville.test:587") || strings.Contains(p.Body, "secret-smtp") || !strings.Contains(p.Body, `value="courrier"`) {
		t.Fatalf("relay:\n%.3000s", p.Body)
	}
	// "Tester la connexion" in the relay form tries the typed values (here
	// there is no bridge to try them) and shows them back, saving nothing.
	p = must(t, b.post("/admin/mail/relay/test", url.Values{"host": {"smtp2.ville.test"}, "port": {"2525"}, "security": {"tls"}, "username": {"courrier"},
		"password": {"autre-secret"}, "from_address": {"mairie@ville.test"}}), http.StatusOK)
	if !strings.Contains(p.Body, `id="relay.test-result"`) || !strings.Contains(p.Body, "ne fonctionne pas") || !strings.Contains(p.Body, `value="smtp2.ville.test"`) ||
		!strings.Contains(p.Body, `value="2525"`) || strings.Contains(p.Body, "autre-secret") || !strings.Contains(p.Body, `formaction="/admin/mail/relay/test"`) {
		t.Fatalf("typed relay test:\n%.3000s", p.Body)
	}
	if st, _ := s.Svc.MailSettings(context.Background(), s.Admin); st.Relay == nil || st.Relay.Host != "smtp.ville.test" || st.Relay.Port != 587 {
		t.Fatalf("relay changed by a test: %+v", st.Relay)
	}
	must(t, b.post("/admin/mail/rules", url.Values{"position": {"1"}, "keywords": {"permis, urbanisme"}, "entity_id": {s.Urba.ID}}), http.StatusSeeOther)
	p = must(t, b.post("/admin/mail/rules", url.Values{"position": {"2"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Body, `id="rule.keywords-err"`) {
		t.Fatalf("rule error:\n%.3000s", p.Body)
	}
	must(t, b.post("/admin/mail/templates", url.Values{"mode": {"sva"}, "subject": {"Demande n° {{.Number}}"}, "body": {"Reçue le {{.ReceivedOn}}."}}), http.StatusSeeOther)
	must(t, b.post("/admin/mail/ack", url.Values{"doctype_id": {s.Doctype.ID}, "policy": {"qualified"}}), http.StatusSeeOther)
	p = must(t, b.get("/admin/mail"), http.StatusOK)
	body := html.UnescapeString(p.Body)
	for _, want := range []string{"contient : permis, urbanisme", "Reçue le {{.ReceivedOn}}.", "personnalisé", "Demande d'élagage</td><td data-label=\"Envoi de l'accusé\">Une fois qualifié"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	st, _ = s.Svc.MailSettings(context.Background(), s.Admin)
	if len(st.Rules) != 1 || len(st.Templates) != 1 {
		t.Fatalf("settings %+v", st)
	}
	must(t, b.post("/admin/mail/rules/"+st.Rules[0].ID+"/delete", url.Values{}), http.StatusSeeOther)
	must(t, b.post("/admin/mail/mailboxes/"+mb.ID+"/delete", url.Values{}), http.StatusSeeOther)
	must(t, b.post("/admin/mail/addresses/delete", url.Values{"address": {"mairie@ville.test"}}), http.StatusSeeOther)
	st, _ = s.Svc.MailSettings(context.Background(), s.Admin)
	if len(st.Rules)+len(st.Mailboxes)+len(st.Addresses) != 0 {
		t.Fatalf("after removals %+v", st)
	}

	// An agent sees none of it, and changes nothing.
	ag := s.browser(t)
	ag.login("julien", agentPassword)
	must(t, ag.get("/admin/mail"), http.StatusForbidden)
	must(t, ag.post("/admin/mail/addresses", url.Values{"address": {"pirate@ville.test"}}), http.StatusForbidden)
}

// TestLetterMailSection: the letter page lists the letter's e-mails and
// answers by e-mail through the outbox, with chosen documents; a sender
// without an address is offered the paper acknowledgement instead.
func TestLetterMailSection(t *testing.T) {
	t.Parallel()
	s := newSite(t, "")
	ctx := context.Background()
	if _, err := s.Svc.AddMailAddress(ctx, s.Admin, appliance.MailAddressInput{Address: "mairie@ville.test"}); err != nil {
		t.Fatal(err)
	}
	l := s.letter(t, "Élagage rue des Tilleuls")
	b := s.browser(t)
	b.login("admin", "motdepasse-admin-1")
	p := must(t, b.get("/letters/"+l.ID), http.StatusOK)
	if !strings.Contains(p.Body, `id="h-mail"`) || !strings.Contains(p.Body, `action="/letters/`+l.ID+`/answer-mail"`) || !strings.Contains(p.Body, `value="jeanne@example.org"`) ||
		strings.Contains(p.Body, "/postal-ack") {
		t.Fatalf("mail section:\n%.4000s", p.Body)
	}
	lv, err := s.Svc.View(ctx, s.Admin, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	p = must(t, b.post("/letters/"+l.ID+"/answer-mail", url.Values{"text": {""}}), http.StatusUnprocessableEntity)
	if !strings.Contains(p.Body, `id="answer.text-err"`) {
		t.Fatalf("empty answer:\n%.3000s", p.Body)
	}
	must(t, b.post("/letters/"+l.ID+"/answer-mail", url.Values{"text": {"Les services passeront jeudi."}, "document_ids": {lv.Documents[0].ID}}), http.StatusSeeOther)
	msgs, err := s.Svc.LetterMessages(ctx, s.Admin, l.ID)
	if err != nil || len(msgs) != 1 || msgs[0].Kind != "answer" || msgs[0].To != "jeanne@example.org" || msgs[0].Status != "queued" {
		t.Fatalf("messages %+v %v", msgs, err)
	}
	p = must(t, b.get("/letters/"+l.ID), http.StatusOK)
	if !strings.Contains(p.Body, "Réponse</span>") || !strings.Contains(p.Body, "en attente d&#39;envoi") {
		t.Fatalf("answer not listed:\n%.4000s", p.Body)
	}
	// The answer is in the letter's history, by whom and to whom.
	if !strings.Contains(html.UnescapeString(p.Body), "Réponse par e-mail à jeanne@example.org") {
		t.Fatalf("answer not in the history:\n%.6000s", p.Body)
	}

	// A paper letter from a sender without an address.
	paper, err := s.Svc.RegisterLetter(ctx, s.Admin, appliance.RegisterInput{Category: "incoming", Subject: "Courrier papier", EntityID: s.Voirie.ID,
		Sender: &appliance.ContactInput{Name: "Paul Martin", Address: "1 place de la Mairie"}})
	if err != nil {
		t.Fatal(err)
	}
	p = must(t, b.get("/letters/"+paper.ID), http.StatusOK)
	if !strings.Contains(p.Body, `action="/letters/`+paper.ID+`/postal-ack"`) {
		t.Fatalf("no paper acknowledgement offered:\n%.4000s", p.Body)
	}
	must(t, b.post("/letters/"+paper.ID+"/postal-ack", url.Values{}), http.StatusSeeOther)
	if p = must(t, b.get("/letters/"+paper.ID), http.StatusOK); !strings.Contains(p.Body, "ne fonctionne pas") {
		t.Fatalf("postal ack without a bridge:\n%.3000s", p.Body)
	}
}
