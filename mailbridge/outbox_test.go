package mailbridge

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/domain"
	"missive/mailbridge/internal/peers"
)

func (h *harness) setRelay(s *peers.Sink) {
	h.t.Helper()
	host, port := splitHostPort(h.t, s.Addr)
	if _, err := h.svc.SetMailRelay(h.ctx, h.env.Admin, appliance.MailRelayInput{Host: host, Port: port, Security: "plain", FromAddress: "mairie@ville.test"}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) outbox(letterID string) []domain.OutboxEntry {
	h.t.Helper()
	os, err := h.env.Store.Reader().OutboxForLetter(h.ctx, letterID)
	if err != nil {
		h.t.Fatal(err)
	}
	return os
}

// TestOutboxRetry: a relay that answers 4xx keeps the acknowledgement
// queued with backoff; once the relay accepts, it leaves once. A relay
// that answers 5xx fails it at once, and the letter shows why.
func TestOutboxRetry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", fastOptions())
	h.setRelay(peers.SMTPSink(t, "-r", "DATA"))
	h.mustSend("r@exemple.test", citizenMail("retry@exemple.test", "r@exemple.test", "Relais en panne", "texte"))
	l := h.letterBySubject("Relais en panne")
	waitFor(t, "two failed attempts", 10*time.Second, func() bool {
		o := h.outbox(l.ID)
		return len(o) == 1 && o[0].Attempts >= 2
	})
	o := h.outbox(l.ID)[0]
	if o.Status != appliance.OutboxQueued || o.NextTry == "" || !strings.Contains(o.LastError, "4") {
		t.Fatalf("after soft failures: %+v", o)
	}
	good := peers.SMTPSink(t)
	h.setRelay(good)
	waitFor(t, "sent after recovery", 10*time.Second, func() bool { return h.outbox(l.ID)[0].Status == appliance.OutboxSent })
	n := 0
	for _, raw := range good.Messages(t) {
		if Parse(raw).MessageID == o.MessageID {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the recovered relay got the acknowledgement %d times", n)
	}
	v, err := h.svc.View(h.ctx, h.env.Admin, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	summaries := ""
	for _, e := range v.History {
		summaries += e.Summary + "\n"
	}
	if !strings.Contains(summaries, "nouvel essai") || !strings.Contains(summaries, "Accusé de réception envoyé à r@exemple.test") {
		t.Errorf("history does not tell the story:\n%s", summaries)
	}

	h.setRelay(peers.SMTPSink(t, "-f", "RCPT"))
	h.mustSend("p@exemple.test", citizenMail("perm@exemple.test", "p@exemple.test", "Adresse refusée", "texte"))
	l2 := h.letterBySubject("Adresse refusée")
	waitFor(t, "permanent failure", 10*time.Second, func() bool {
		o := h.outbox(l2.ID)
		return len(o) == 1 && o[0].Status == appliance.OutboxFailed
	})
	if o := h.outbox(l2.ID)[0]; o.Attempts != 1 || !strings.Contains(o.LastError, "5") {
		t.Errorf("a 5xx was retried or not recorded: %+v", o)
	}
	ms := h.messages(l2.ID)
	if len(ms) != 2 || ms[1].Status != appliance.OutboxFailed {
		t.Errorf("messages of the letter: %+v", ms)
	}
}

// TestBounceJoinsLetter: a delivery report about our acknowledgement joins
// its letter, marks the acknowledgement bounced and is not acknowledged.
func TestBounceJoinsLetter(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", fastOptions())
	h.mustSend("nobody@exemple.test", citizenMail("b1@exemple.test", "nobody@exemple.test", "Adresse fausse", "texte"))
	l := h.letterBySubject("Adresse fausse")
	var ack string
	waitFor(t, "acknowledgement sent", 10*time.Second, func() bool {
		o := h.outbox(l.ID)
		if len(o) == 1 && o[0].Status == appliance.OutboxSent {
			ack = o[0].MessageID
			return true
		}
		return false
	})
	dsn := fmt.Sprintf("From: MAILER-DAEMON@relay.test\r\nTo: mairie@ville.test\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@relay.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay.test\r\n\r\nFinal-Recipient: rfc822; nobody@exemple.test\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: mairie@ville.test\r\nTo: nobody@exemple.test\r\nMessage-ID: <%s>\r\nSubject: Accusé\r\n--B--\r\n", ack)
	before := len(h.letters())
	h.mustSend("<>", []byte(dsn))
	if len(h.letters()) != before {
		t.Fatal("a bounce made a letter")
	}
	o := h.outbox(l.ID)
	if len(o) != 1 || o[0].Status != appliance.OutboxBounced || !strings.Contains(o[0].LastError, "5.1.1") {
		t.Fatalf("acknowledgement not marked bounced: %+v", o)
	}
	v, err := h.svc.View(h.ctx, h.env.Admin, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	attached, noted := false, false
	for _, d := range v.Documents {
		attached = attached || d.Name == "avis-de-non-distribution.eml"
	}
	for _, n := range v.Notes {
		noted = noted || strings.Contains(n.Text, "nobody@exemple.test")
	}
	if !attached || !noted {
		t.Errorf("bounce not shown on the letter: attached %v noted %v", attached, noted)
	}
	var kinds []string
	for _, m := range h.messages(l.ID) {
		kinds = append(kinds, m.Direction+"/"+m.Kind)
	}
	if strings.Join(kinds, ",") != "in/letter,out/ack,in/bounce" {
		t.Errorf("messages of the letter: %v", kinds)
	}
}

// TestConcurrentCopies: copies of one message delivered at once (SMTP and
// IMAP racing) make one letter: the check in Apply, not the one before
// proposing, decides.
func TestConcurrentCopies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", fastOptions())
	raw := corpus(t, "04-attachments.eml")
	var wg sync.WaitGroup
	results := make(chan *appliance.MailIntakeResult, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := h.b.Deliver(h.ctx, "default", raw, Envelope{Source: "test"}, []string{"mairie@ville.test"})
			if err != nil {
				t.Error(err)
				return
			}
			results <- res
		}()
	}
	wg.Wait()
	close(results)
	fresh, ids := 0, map[string]bool{}
	for r := range results {
		if !r.Duplicate {
			fresh++
		}
		ids[r.LetterID] = true
	}
	if fresh != 1 || len(ids) != 1 || len(h.letters()) != 1 {
		t.Fatalf("%d fresh results, %d letter ids, %d letters; want 1, 1, 1", fresh, len(ids), len(h.letters()))
	}
}

// TestAnswerByMail: an agent answers a letter with a document; the answer
// leaves through the relay with the attachment, shows under /messages and
// in the history, and the citizen's reply to it joins the letter.
func TestAnswerByMail(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", fastOptions())
	h.mustSend("contact@amisduparc.test", corpus(t, "04-attachments.eml"))
	l := h.letterBySubject("subvention")
	v, err := h.svc.View(h.ctx, h.env.Admin, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	var pdf string
	for _, d := range v.Documents {
		if strings.HasSuffix(d.Name, ".pdf") {
			pdf = d.ID
		}
	}
	if _, err := h.svc.AnswerByMail(h.ctx, h.env.Admin, l.ID, appliance.MailAnswerInput{Text: "Votre dossier est complet.", DocumentIDs: []string{"nope"}}); err == nil {
		t.Fatal("an unknown document was accepted")
	}
	o, err := h.svc.AnswerByMail(h.ctx, h.env.Admin, l.ID, appliance.MailAnswerInput{Text: "Votre dossier est complet.\nCordialement.", DocumentIDs: []string{pdf}})
	if err != nil {
		t.Fatal(err)
	}
	if o.RcptTo != "contact@amisduparc.test" || !strings.Contains(o.Subject, l.Number) {
		t.Fatalf("answer: %+v", o)
	}
	var sent *Message
	waitFor(t, "answer at the relay", 10*time.Second, func() bool {
		for _, raw := range h.sink.Messages(t) {
			if m := Parse(raw); m.MessageID == o.MessageID {
				sent = m
			}
		}
		return sent != nil
	})
	if !strings.Contains(sent.Text, "Votre dossier est complet.") || len(sent.Parts) != 1 || !strings.HasSuffix(sent.Parts[0].Name, ".pdf") ||
		!strings.HasPrefix(string(sent.Parts[0].Data), "%PDF") || len(sent.InReplyTo) != 1 || sent.InReplyTo[0] != "s04@exemple.test" ||
		sent.Header.Get("Auto-Submitted") != "" {
		t.Fatalf("answer as sent: text %q parts %d in-reply-to %v", sent.Text, len(sent.Parts), sent.InReplyTo)
	}
	reply := fmt.Sprintf("From: contact@amisduparc.test\r\nTo: mairie@ville.test\r\nSubject: Re: dossier\r\nMessage-ID: <r-answer@amisduparc.test>\r\nIn-Reply-To: <%s>\r\n\r\nMerci beaucoup.\r\n", o.MessageID)
	before := len(h.letters())
	h.mustSend("contact@amisduparc.test", []byte(reply))
	if len(h.letters()) != before {
		t.Fatal("the reply to an answer made a new letter")
	}
	var kinds []string
	for _, m := range h.messages(l.ID) {
		kinds = append(kinds, m.Direction+"/"+m.Kind)
	}
	if strings.Join(kinds, ",") != "in/letter,out/ack,out/answer,in/reply" {
		t.Errorf("messages of the letter: %v", kinds)
	}
}

// TestAckPolicy: a doctype set to "never" gets no acknowledgement; with
// "qualified" the acknowledgement's Message-ID is reserved at registration
// and its text, naming the service in charge, leaves once the letter is
// qualified.
func TestAckPolicy(t *testing.T) {
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
	if err := h.svc.SetMailAckPolicy(h.ctx, h.env.Admin, "", "qualified"); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.SetMailAckPolicy(h.ctx, h.env.Admin, byCode["RECLAMATION"], "never"); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.SetMailAckPolicy(h.ctx, h.env.Admin, "", "sometimes"); err == nil {
		t.Fatal("an unknown policy was accepted")
	}
	if _, err := h.svc.AddMailRule(h.ctx, h.env.Admin, appliance.MailRuleInput{Keywords: "cantine", DoctypeID: byCode["RECLAMATION"]}); err != nil {
		t.Fatal(err)
	}
	h.mustSend("q@exemple.test", citizenMail("held@exemple.test", "q@exemple.test", "Demande de rendez-vous", "texte"))
	h.mustSend("n@exemple.test", citizenMail("never@exemple.test", "n@exemple.test", "Menu de la cantine", "texte"))
	held, never := h.letterBySubject("rendez-vous"), h.letterBySubject("cantine")
	if o := h.outbox(never.ID); len(o) != 0 {
		t.Errorf("a 'never' doctype queued %+v", o)
	}
	if ms := h.messages(never.ID); len(ms) != 1 || !strings.Contains(ms[0].NoAck, "réglage") {
		t.Errorf("no reason recorded: %+v", ms)
	}
	o := h.outbox(held.ID)
	if len(o) != 1 || o[0].Status != appliance.OutboxHeld {
		t.Fatalf("acknowledgement not held: %+v", o)
	}
	waitPasses(t, "two more sender passes", &h.b.sendPasses, 2)
	if n := len(h.acks(held.Number)); n != 0 {
		t.Fatalf("a held acknowledgement left before qualification")
	}
	urba, err := h.svc.CreateEntity(h.ctx, h.env.Admin, appliance.EntityInput{Code: "URBA", Name: "Service urbanisme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Qualify(h.ctx, h.env.Admin, held.ID, appliance.FullQualify(appliance.RegisterInput{Subject: held.Subject, EntityID: urba.ID, DoctypeID: byCode["COURRIER"]})); err != nil {
		t.Fatal(err)
	}
	var acks []*Message
	waitFor(t, "acknowledgement after qualification", 10*time.Second, func() bool { acks = h.acks(held.Number); return len(acks) == 1 })
	if acks[0].MessageID != o[0].MessageID || !strings.Contains(acks[0].Text, "Service urbanisme") || acks[0].InReplyTo[0] != "held@exemple.test" {
		t.Errorf("released acknowledgement: id %s (reserved %s), text %q", acks[0].MessageID, o[0].MessageID, acks[0].Text)
	}
}
