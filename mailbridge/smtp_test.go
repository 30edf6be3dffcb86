package mailbridge

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/appliance/drafts"
)

func citizenMail(id, from, subject, body string) []byte {
	return []byte(fmt.Sprintf("From: Citoyen <%s>\r\nTo: Mairie <mairie@ville.test>\r\nSubject: %s\r\nDate: Mon, 16 Nov 2026 09:12:00 +0100\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", from, subject, id, body))
}

// TestSMTPRefusals: no open relay, a size limit, and a 250 only once the
// letter is committed.
func TestSMTPRefusals(t *testing.T) {
	t.Parallel()
	opt := fastOptions()
	opt.MaxMessageBytes = 64 << 10
	h := newHarness(t, "", opt)

	out, code := h.send("a@exemple.test", []string{"someone@elsewhere.test"}, citizenMail("r1@exemple.test", "a@exemple.test", "relais", "x"))
	if code == 0 || !strings.Contains(out, "550 5.1.1") {
		t.Errorf("a foreign recipient was not refused with 550 5.1.1 (exit %d):\n%s", code, out)
	}
	out, code = h.send("a@exemple.test", []string{"autre@ville.test"}, citizenMail("r2@exemple.test", "a@exemple.test", "inconnu", "x"))
	if code == 0 || !strings.Contains(out, "550") {
		t.Errorf("an unknown local recipient was not refused with 550 (exit %d):\n%s", code, out)
	}

	big := citizenMail("r3@exemple.test", "a@exemple.test", "trop gros", strings.Repeat("0123456789abcdef\r\n", 5000))
	out, code = h.send("a@exemple.test", []string{"mairie@ville.test"}, big)
	if code == 0 || !strings.Contains(out, "552") {
		t.Errorf("a message over the size limit was not refused with 552 (exit %d):\n%s", code, out)
	}
	if n := len(h.letters()); n != 0 {
		t.Fatalf("%d letters after refusals", n)
	}

	// While nothing can be committed, the client gets a temporary failure
	// and keeps its message; then the same message goes through once.
	h.prop.fail.Store(true)
	msg := citizenMail("r4@exemple.test", "b@exemple.test", "Pendant la panne", "texte")
	out, code = h.send("b@exemple.test", []string{"mairie@ville.test"}, msg)
	if code == 0 || !strings.Contains(out, "451") {
		t.Errorf("an uncommitted message was not answered 451 (exit %d):\n%s", code, out)
	}
	if h.prop.refused.Load() == 0 {
		t.Fatal("the bridge did not try to commit")
	}
	h.prop.fail.Store(false)
	if n := len(h.letters()); n != 0 {
		t.Fatalf("%d letters while the store refused writes", n)
	}
	out, code = h.send("b@exemple.test", []string{"mairie@ville.test"}, msg)
	if code != 0 || !strings.Contains(out, "250") {
		t.Fatalf("retry not accepted (exit %d):\n%s", code, out)
	}
	// The 250 came after the commit: the letter is there at once.
	l := h.letterBySubject("Pendant la panne")
	if l == nil || l.Channel != domain.ChannelEmail {
		t.Fatalf("letter after 250: %+v", l)
	}
	// The client's retry of a message already committed (its 250 lost) is
	// accepted again and makes no second letter nor acknowledgement.
	h.mustSend("b@exemple.test", msg)
	if n := len(h.letters()); n != 1 {
		t.Errorf("%d letters after a resend, want 1", n)
	}
	waitFor(t, "acknowledgement", 10*time.Second, func() bool { return len(h.acks(l.Number)) == 1 })
	waitPasses(t, "two more sender passes", &h.b.sendPasses, 2) // a second acknowledgement would have left by now
	if n := len(h.acks(l.Number)); n != 1 {
		t.Errorf("%d acknowledgements, want 1", n)
	}
}

// TestSMTPLineTooLong: a message with a line over go-smtp's limit is
// refused for good (5xx with an enhanced code), logged, and registers
// nothing; a temporary answer would have the sender retry it for days.
func TestSMTPLineTooLong(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", fastOptions())
	long := citizenMail("long@exemple.test", "c@exemple.test", "Ligne trop longue", strings.Repeat("x", 3000))
	out, code := h.send("c@exemple.test", []string{"mairie@ville.test"}, long)
	if code == 0 || !strings.Contains(out, "554 5.6.0") || !strings.Contains(out, "une ligne dépasse 2000 caractères") {
		t.Fatalf("a line of 3000 characters was not refused with 554 5.6.0 (swaks exit %d):\n%s", code, out)
	}
	if strings.Contains(out, "<** 451") {
		t.Errorf("the refusal came with a temporary 451:\n%s", out)
	}
	if !strings.Contains(h.logs.String(), "line too long") {
		t.Errorf("no log line for the refusal:\n%s", h.logs)
	}
	if n := len(h.letters()); n != 0 {
		t.Fatalf("%d letters after the refusal", n)
	}
	// The listener is unharmed: the next message, within the limit, is taken.
	h.mustSend("c@exemple.test", citizenMail("ok@exemple.test", "c@exemple.test", "Ligne courte", strings.Repeat("x", 900)))
	if h.letterBySubject("Ligne courte") == nil {
		t.Fatal("the message after the refusal was not registered")
	}
}

// TestLoopProtection: no acknowledgement to automatic mail, to ourselves,
// nor beyond the hourly limit per sender; an out-of-office answer to our
// acknowledgement joins the letter and is not acknowledged.
func TestLoopProtection(t *testing.T) {
	t.Parallel()
	opt := fastOptions()
	opt.AckPerHour = 3
	h := newHarness(t, "", opt)
	for i := 0; i < 5; i++ {
		h.mustSend("flood@exemple.test", citizenMail(fmt.Sprintf("f%d@exemple.test", i), "flood@exemple.test", fmt.Sprintf("Demande %d", i), "texte"))
	}
	h.mustSend("mairie@ville.test", citizenMail("self@ville.test", "mairie@ville.test", "De nous-mêmes", "texte"))
	cases := map[string]string{
		"Auto-Submitted: auto-generated": "auto",
		"Precedence: junk":               "junk",
		"List-Id: <l.exemple.test>":      "list",
	}
	n := 0
	for hdr, name := range cases {
		n++
		raw := strings.Replace(string(citizenMail(name+"@exemple.test", "robot@exemple.test", "Automatique "+name, "texte")), "MIME-Version", hdr+"\r\nMIME-Version", 1)
		h.mustSend("robot@exemple.test", []byte(raw))
	}
	acks := 0
	for _, l := range h.letters() {
		for _, m := range h.messages(l.ID) {
			if m.Kind == "ack" {
				acks++
				if m.To != "flood@exemple.test" {
					t.Errorf("acknowledgement sent to %s (%s)", m.To, l.Subject)
				}
			}
			if m.Direction == "in" && strings.HasPrefix(l.Subject, "Demande") && l.Subject >= "Demande 3" && m.NoAck == "" {
				t.Errorf("%s: no reason recorded for the missing acknowledgement", l.Subject)
			}
		}
	}
	if acks != 3 {
		t.Errorf("%d acknowledgements, want 3 (the hourly limit)", acks)
	}
	if got := len(h.letters()); got != 5+1+n {
		t.Errorf("%d letters, want %d: loop protection must not drop mail", got, 5+1+n)
	}

	// The citizen's out-of-office answers our acknowledgement.
	first := h.letterBySubject("Demande 0")
	var ackID string
	for _, m := range h.messages(first.ID) {
		if m.Kind == "ack" {
			ackID = m.MessageID
		}
	}
	ooo := fmt.Sprintf("From: flood@exemple.test\r\nTo: mairie@ville.test\r\nSubject: Absent\r\nMessage-ID: <ooo@exemple.test>\r\nIn-Reply-To: <%s>\r\nAuto-Submitted: auto-replied\r\n\r\nJe suis absent.\r\n", ackID)
	before := len(h.letters())
	h.mustSend("flood@exemple.test", []byte(ooo))
	if len(h.letters()) != before {
		t.Error("an out-of-office answer to our acknowledgement made a letter")
	}
	for _, m := range h.messages(first.ID) {
		if m.Kind == "ack" && m.MessageID != ackID {
			t.Error("an out-of-office answer was acknowledged")
		}
	}
}

// TestAcknowledgementModes: SVA and SVR doctypes get the mentions the CRPA
// requires, with the service in charge and the due date; a routing rule
// picks the doctype and entity by keyword.
func TestAcknowledgementModes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", fastOptions())
	dts, err := h.svc.Doctypes(h.ctx, h.env.Admin)
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]string{}
	for _, d := range dts {
		byCode[d.Code] = d.ID
	}
	urba, err := h.svc.CreateEntity(h.ctx, h.env.Admin, appliance.EntityInput{Code: "URBA", Name: "Service urbanisme", Email: "urbanisme@ville.test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []appliance.MailRuleInput{
		{Position: 1, Keywords: "permis de construire, déclaration préalable", EntityID: urba.ID, DoctypeID: byCode["DEMANDE-SVA"]},
		{Position: 2, Keywords: "terrasse", DoctypeID: byCode["DEMANDE-SVR"]},
	} {
		if _, err := h.svc.AddMailRule(h.ctx, h.env.Admin, r); err != nil {
			t.Fatal(err)
		}
	}
	h.mustSend("c@exemple.test", citizenMail("sva@exemple.test", "c@exemple.test", "Ma demande", "Je dépose une Declaration prealable pour ma clôture."))
	h.mustSend("d@exemple.test", citizenMail("svr@exemple.test", "d@exemple.test", "Autorisation de terrasse", "Merci."))
	sva, svr := h.letterBySubject("Ma demande"), h.letterBySubject("terrasse")
	if sva.EntityID != urba.ID || sva.DoctypeID != byCode["DEMANDE-SVA"] || sva.DueDate == "" {
		t.Fatalf("SVA letter not routed: %+v", sva)
	}
	if svr.DoctypeID != byCode["DEMANDE-SVR"] || svr.EntityID != "" {
		t.Fatalf("SVR letter not routed: %+v", svr)
	}
	due := func(l *domain.Letter) string { return drafts.FrenchDateISO(l.DueDate) }
	for _, c := range []struct {
		l    *domain.Letter
		want []string
	}{
		{sva, []string{sva.Number, "L. 112-11", "R. 112-5", "réputée acceptée", "attestation", "Service urbanisme", "urbanisme@ville.test", due(sva)}},
		{svr, []string{svr.Number, "L. 112-11", "R. 112-5", "réputée rejetée", "recours", "tribunal administratif", "deux mois", due(svr)}},
	} {
		var acks []*Message
		waitFor(t, "acknowledgement of "+c.l.Number, 10*time.Second, func() bool { acks = h.acks(c.l.Number); return len(acks) == 1 })
		text := strings.Join(strings.Fields(acks[0].Text), " ")
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: acknowledgement lacks %q:\n%s", c.l.Number, w, acks[0].Text)
			}
		}
		if acks[0].InReplyTo[0] != map[*domain.Letter]string{sva: "sva@exemple.test", svr: "svr@exemple.test"}[c.l] {
			t.Errorf("acknowledgement does not answer the citizen's message: %v", acks[0].InReplyTo)
		}
	}
	// A tenant's own template replaces the default.
	if _, err := h.svc.SetMailTemplate(h.ctx, h.env.Admin, appliance.MailTemplateInput{Mode: "normal", Subject: "Reçu : {{.Number}}", Body: "Numéro {{.Number}}, reçu le {{.ReceivedOn}}."}, CheckTemplate); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.SetMailTemplate(h.ctx, h.env.Admin, appliance.MailTemplateInput{Mode: "normal", Subject: "x", Body: "{{.Nope}}"}, CheckTemplate); err == nil {
		t.Error("a template naming an unknown field was accepted")
	}
	h.mustSend("e@exemple.test", citizenMail("tpl@exemple.test", "e@exemple.test", "Question", "?"))
	l := h.letterBySubject("Question")
	waitFor(t, "custom acknowledgement", 10*time.Second, func() bool {
		as := h.acks(l.Number)
		return len(as) == 1 && strings.HasPrefix(as[0].Subject, "Reçu : ") && strings.Contains(as[0].Text, "Numéro "+l.Number)
	})
}
