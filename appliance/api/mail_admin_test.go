package api_test

import (
	"context"
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/api"
	"missive/appliance/domain"
)

// stubBridge stands in for the mail bridge at the HTTP layer only: what
// the bridge does against real servers is tested in package mailbridge
// (TestAdminMailPagesAgainstDovecot). It records what it was asked.
type stubBridge struct {
	tested []string
	svc    *appliance.Service
}

func (b *stubBridge) TestMailbox(ctx context.Context, a *appliance.Actor, id string) (appliance.MailTestResult, error) {
	b.tested = append(b.tested, "mailbox:"+id)
	return appliance.MailTestResult{OK: true, Message: "Connexion réussie"}, nil
}

func (b *stubBridge) TestRelay(ctx context.Context, a *appliance.Actor) (appliance.MailTestResult, error) {
	b.tested = append(b.tested, "relay")
	return appliance.MailTestResult{Message: "Impossible de joindre le relais"}, nil
}

func (b *stubBridge) TryMailbox(ctx context.Context, a *appliance.Actor, id string, in appliance.MailboxInput) (appliance.MailTestResult, error) {
	b.tested = append(b.tested, "typed mailbox:"+id+":"+in.Host)
	return appliance.MailTestResult{OK: true, Message: "Connexion réussie"}, nil
}

func (b *stubBridge) TryRelay(ctx context.Context, a *appliance.Actor, in appliance.MailRelayInput) (appliance.MailTestResult, error) {
	b.tested = append(b.tested, "typed relay:"+in.Host)
	return appliance.MailTestResult{Message: "Impossible de joindre le relais"}, nil
}

func (b *stubBridge) CheckTemplate(subject, body string) error { return nil }

func (b *stubBridge) DefaultTemplate(mode string) (string, string) {
	return "Sujet " + mode, "Texte " + mode
}

// PostalAck attaches a document, as the real one attaches its PDF: one
// command, which an Idempotency-Key records.
func (b *stubBridge) PostalAck(ctx context.Context, a *appliance.Actor, letterID string) (*appliance.PostalAckResult, error) {
	d, err := b.svc.Attach(ctx, a, letterID, "", appliance.Upload{Name: "accuse.pdf", Role: domain.DocAttachment, Body: strings.NewReader("%PDF-1.4 accusé")})
	if err != nil {
		return nil, err
	}
	return &appliance.PostalAckResult{DocumentID: d.ID, Name: d.Name}, nil
}

func (b *stubBridge) AutoPostalAck(ctx context.Context, a *appliance.Actor, letterID string) (*appliance.PostalAckResult, error) {
	return nil, nil
}

// setStubBridge is how newHarness gives the API a mail bridge.
func setStubBridge(s *api.Server, svc *appliance.Service) { s.Mail = &stubBridge{svc: svc} }

// mailHappyPath drives every mail route to success, for
// TestEveryRouteHappyPath: settings, tests, templates, answer by e-mail.
func mailHappyPath(t *testing.T, h *harness) {
	t.Helper()
	admin := h.admin
	var addr domain.MailAddress
	h.call(t, 201, "POST /api/v1/mail/addresses", admin, appliance.MailAddressInput{Address: "Mairie@Ville.test"}, &addr)
	if addr.Address != "mairie@ville.test" {
		t.Fatalf("address %+v", addr)
	}
	var mb domain.Mailbox
	h.call(t, 201, "POST /api/v1/mail/mailboxes", admin, appliance.MailboxInput{Host: "imap.ville.test", Port: 993, Username: "courrier", Password: "secret-imap",
		Folder: "INBOX", DoneFolder: "Traités"}, &mb)
	var res appliance.MailTestResult
	h.call(t, 200, "POST /api/v1/mail/mailboxes/{id}/test", admin, nil, &res, mb.ID)
	if !res.OK {
		t.Fatalf("mailbox test %+v", res)
	}
	// Typed settings, saved or not, are tried without being saved.
	h.call(t, 200, "POST /api/v1/mail/mailboxes/test", admin, appliance.MailboxInput{Host: "imap2.ville.test", Port: 993, Username: "courrier",
		Password: "secret-imap", Folder: "INBOX", DoneFolder: "Traités"}, &res)
	h.call(t, 200, "POST /api/v1/mail/mailboxes/{id}/test", admin, appliance.MailboxInput{Host: "imap.ville.test", Port: 143, Username: "courrier",
		Folder: "INBOX", DoneFolder: "Traités"}, &res, mb.ID)
	if !res.OK {
		t.Fatalf("typed mailbox test %+v", res)
	}
	var relay domain.MailRelay
	h.call(t, 200, "PUT /api/v1/mail/relay", admin, appliance.MailRelayInput{Host: "smtp.ville.test", Port: 587, Security: "starttls", Username: "courrier",
		Password: "secret-smtp", FromAddress: "mairie@ville.test"}, &relay)
	h.call(t, 200, "POST /api/v1/mail/relay/test", admin, nil, &res)
	if res.OK || res.Message == "" {
		t.Fatalf("relay test %+v", res)
	}
	var rule domain.MailRule
	h.call(t, 201, "POST /api/v1/mail/rules", admin, appliance.MailRuleInput{Position: 1, Keywords: "voirie", EntityID: rootID(t, h)}, &rule)
	var tpls []api.MailTemplateView
	h.call(t, 200, "GET /api/v1/mail/templates", admin, nil, &tpls)
	if len(tpls) != len(appliance.MailTemplateModes) || tpls[0].Custom || tpls[0].Subject == "" {
		t.Fatalf("templates %+v", tpls)
	}
	var tpl domain.MailTemplate
	h.call(t, 200, "PUT /api/v1/mail/templates/{mode}", admin, api.MailTemplateBody{Subject: "Reçu {{.Number}}", Body: "Bonjour"}, &tpl, "sva")
	h.call(t, 204, "PUT /api/v1/mail/ack-policy", admin, api.MailAckBody{Policy: "qualified"}, nil)
	var st appliance.MailSettings
	h.call(t, 200, "GET /api/v1/mail", admin, nil, &st)
	if len(st.Addresses) != 1 || len(st.Mailboxes) != 1 || st.Relay == nil || len(st.Rules) != 1 || len(st.Templates) != 1 ||
		len(st.AckPolicies) != 1 || st.AckPolicies[0].Policy != "qualified" {
		t.Fatalf("settings %+v", st)
	}
	// No password ever leaves through the API.
	r := h.send(t, "GET", "/api/v1/mail", admin, nil)
	if strings.Contains(string(r.body), "secret-") {
		t.Fatalf("a password leaked: %s", r.body)
	}

	l, err := h.env.Svc.RegisterLetter(context.Background(), h.env.Admin, appliance.RegisterInput{Category: domain.Incoming, Subject: "Trottoir",
		Sender: &appliance.ContactInput{Name: "Jeanne", Email: "jeanne@exemple.test"}}, appliance.Upload{Name: "scan.txt", Role: domain.DocMain, Body: strings.NewReader("x")})
	if err != nil {
		t.Fatal(err)
	}
	lv, err := h.env.Svc.View(context.Background(), h.env.Admin, l.ID)
	if err != nil || len(lv.Documents) != 1 {
		t.Fatalf("documents %v", err)
	}
	docs := lv.Documents
	var o domain.OutboxEntry
	h.call(t, 201, "POST /api/v1/letters/{id}/answer", admin, appliance.MailAnswerInput{Text: "Réponse", DocumentIDs: []string{docs[0].ID}}, &o, l.ID)
	if o.RcptTo != "jeanne@exemple.test" || o.Kind != "answer" || o.Status != "queued" {
		t.Fatalf("answer %+v", o)
	}
	var msgs []appliance.MailMessage
	h.call(t, 200, "GET /api/v1/letters/{id}/messages", admin, nil, &msgs, l.ID)
	if len(msgs) != 1 || msgs[0].Kind != "answer" {
		t.Fatalf("messages %+v", msgs)
	}
	var pa appliance.PostalAckResult
	h.call(t, 201, "POST /api/v1/letters/{id}/postal-ack", admin, nil, &pa, l.ID)

	h.call(t, 204, "DELETE /api/v1/mail/rules/{id}", admin, nil, nil, rule.ID)
	h.call(t, 204, "DELETE /api/v1/mail/mailboxes/{id}", admin, nil, nil, mb.ID)
	h.call(t, 204, "DELETE /api/v1/mail/addresses/{address}", admin, nil, nil, "mairie@ville.test")
	h.call(t, 200, "GET /api/v1/mail", admin, nil, &st)
	if len(st.Addresses) != 0 || len(st.Mailboxes) != 0 || len(st.Rules) != 0 {
		t.Fatalf("after removal %+v", st)
	}
}

func rootID(t *testing.T, h *harness) string {
	t.Helper()
	es, err := h.env.Svc.Entities(context.Background(), h.env.Admin)
	if err != nil || len(es) == 0 {
		t.Fatalf("entities %v", err)
	}
	return es[0].ID
}

// TestMailSettingsAdminOnly: an agent gets 403 on every mail setting and
// test, another tenant's mailbox is 404, bad input is 422 with fields.
func TestMailSettingsAdminOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, agent := h.user(t, "agent-mail", domain.RoleAgent)
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/v1/mail"}, {"POST", "/api/v1/mail/addresses"}, {"POST", "/api/v1/mail/mailboxes"}, {"PUT", "/api/v1/mail/relay"},
		{"POST", "/api/v1/mail/relay/test"}, {"POST", "/api/v1/mail/rules"}, {"GET", "/api/v1/mail/templates"}, {"PUT", "/api/v1/mail/ack-policy"},
	} {
		var body any
		if c.method != "GET" && !strings.HasSuffix(c.path, "/test") {
			body = map[string]any{}
		}
		if c.path == "/api/v1/mail/relay/test" {
			continue // the stub does not check roles; the real bridge asks MailSettings, admin only
		}
		if r := h.send(t, c.method, c.path, agent, body); r.code != 403 {
			t.Errorf("%s %s as an agent: %d, want 403: %s", c.method, c.path, r.code, r.body)
		}
	}
	r := h.send(t, "POST", "/api/v1/mail/mailboxes", h.admin, appliance.MailboxInput{Host: "imap ville", Port: 0, Username: "", Password: "", DoneFolder: "INBOX"})
	e := apiError(t, r)
	if r.code != 422 || e.Fields["host"] == "" || e.Fields["port"] == "" || e.Fields["username"] == "" || e.Fields["done_folder"] == "" {
		t.Fatalf("invalid mailbox: %d %+v", r.code, e)
	}
	if r := h.send(t, "DELETE", "/api/v1/mail/mailboxes/inconnue", h.admin, nil); r.code != 404 {
		t.Fatalf("unknown mailbox: %d", r.code)
	}
	if r := h.send(t, "PUT", "/api/v1/mail/templates/inconnu", h.admin, api.MailTemplateBody{Subject: "x", Body: "y"}); r.code != 422 {
		t.Fatalf("unknown template mode: %d", r.code)
	}
}
