package mailbridge

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"missive/appliance/domain"
	"missive/appliance/drafts"
	"missive/appliance/store/pgtest"
)

// A NUL byte in the text of a citizen's message is no reason to lose it:
// the letter is registered without it (PostgreSQL refuses NUL in text) and
// the .eml keeps the bytes as they came.
func TestNULInBodyIsRegistered(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{"", pgtest.DSN(t)} {
		h := newHarness(t, dsn, fastOptions())
		raw := []byte("From: Jeanne <jeanne@exemple.test>\r\nTo: mairie@ville.test\r\nSubject: Trottoir\r\nMessage-ID: <nul@exemple.test>\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\n\r\nLe trottoir\x00 est cassé.\r\n")
		h.mustSend("jeanne@exemple.test", raw)
		l := h.letterBySubject("Trottoir")
		if l == nil || l.Body != "Le trottoir est cassé." {
			t.Fatalf("letter %+v", l)
		}
		v, err := h.svc.View(h.ctx, h.env.Admin, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Documents) != 1 || v.Documents[0].Versions[0].Size < int64(len(raw)) {
			t.Fatalf("the original .eml is not kept whole: %+v", v.Documents)
		}
	}
}

// The sender of an acknowledgement is the address of the From line, never
// an address written in its display name, even when that name decodes to
// line breaks that defeat the address parser.
func TestFromDisplayNameCannotRedirectTheAcknowledgement(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", fastOptions())
	for i, from := range []string{
		"=?utf-8?q?victime@cible.test=0D=0A?= <citoyen@exemple.test>",
		"=?utf-8?q?Jean=0D=0ABcc:_victime@cible.test?= <citoyen@exemple.test>",
		"=?utf-8?b?dmljdGltZUBjaWJsZS50ZXN0DQo=?= <citoyen@exemple.test>",
		"=?utf-8?q?victime@cible.test=0D=0A?=",
	} {
		raw := fmt.Sprintf("From: %s\r\nTo: mairie@ville.test\r\nSubject: Demande %d\r\nMessage-ID: <crlf%d@exemple.test>\r\n\r\nBonjour.\r\n", from, i, i)
		h.mustSend("citoyen@exemple.test", []byte(raw))
	}
	if n := len(h.letters()); n != 4 {
		t.Fatalf("%d letters, want 4", n)
	}
	for _, l := range h.letters() {
		for _, m := range h.messages(l.ID) {
			if m.Kind == "ack" && m.To != "citoyen@exemple.test" {
				t.Errorf("%s: acknowledgement to %q", l.Subject, m.To)
			}
		}
	}
	h.waitSent()
	if got := h.sunk("cible.test"); len(got) != 0 {
		t.Fatalf("the relay got %d messages naming the victim:\n%s", len(got), got[0])
	}
}

// Vacation replies marked only with X-Autoreply or X-Autorespond get no
// acknowledgement (they would answer each other for ever).
func TestXAutoreplyIsAnAutoReply(t *testing.T) {
	t.Parallel()
	ours := func(string) bool { return false }
	for _, hdr := range []string{"X-Autoreply: yes", "X-Autorespond: Absent du bureau", "X-Autoreply: 1"} {
		m := Parse([]byte("From: a@exemple.test\r\n" + hdr + "\r\nSubject: Absent\r\n\r\nJe suis absent.\r\n"))
		if got := noAckReason(m, Envelope{From: "a@exemple.test"}, ours); !strings.Contains(got, "automatique") {
			t.Errorf("%s: reason %q, want an automatic reply", hdr, got)
		}
	}
	m := Parse([]byte("From: a@exemple.test\r\nX-Autoreply: no\r\nSubject: x\r\n\r\ny\r\n"))
	if got := noAckReason(m, Envelope{From: "a@exemple.test"}, ours); got != "" {
		t.Errorf("X-Autoreply: no: reason %q", got)
	}
}

// An acknowledgement quotes nothing an unauthenticated sender wrote (not
// the subject, not the display name): a forged sender cannot make the town
// write their text to someone; and acknowledgements to all senders
// together are capped per hour, beyond which letters are still registered.
func TestAcknowledgementQuotesNothingAndIsCapped(t *testing.T) {
	t.Parallel()
	opt := fastOptions()
	opt.AckPerHourTotal = 3
	h := newHarness(t, "", opt)
	const spam = "Gagnez 1000 euros sur casino-louche.test"
	for i := 0; i < 5; i++ {
		raw := fmt.Sprintf("From: =?utf-8?q?Offre_exclusive_casino-louche=2Etest?= <cible%d@exemple.test>\r\nTo: mairie@ville.test\r\nSubject: %s\r\nMessage-ID: <spam%d@exemple.test>\r\n\r\nTexte.\r\n", i, spam, i)
		h.mustSend(fmt.Sprintf("cible%d@exemple.test", i), []byte(raw))
	}
	if n := len(h.letters()); n != 5 {
		t.Fatalf("%d letters, want 5: the cap must not drop mail", n)
	}
	h.waitSent()
	var sent [][]byte
	for _, m := range h.sink.Messages(t) {
		if strings.HasPrefix(Parse(m).MessageID, "ack.") {
			sent = append(sent, m)
		}
	}
	if len(sent) != 3 {
		t.Fatalf("%d acknowledgements sent, want 3 (the hourly cap)", len(sent))
	}
	for _, m := range sent {
		if strings.Contains(string(m), "casino") || strings.Contains(string(m), "Gagnez") {
			t.Fatalf("an acknowledgement quotes the sender:\n%s", m)
		}
		ack := Parse(m)
		if !numberRe.MatchString(ack.Subject) || !strings.Contains(ack.Text, drafts.FrenchDate(time.Now().In(domain.Paris))) {
			t.Errorf("acknowledgement without its number and date:\n%s", ack.Text)
		}
	}
	capped := 0
	for _, l := range h.letters() {
		for _, m := range h.messages(l.ID) {
			if m.Direction == "in" && strings.Contains(m.NoAck, "plafond") {
				capped++
			}
		}
	}
	if capped != 2 {
		t.Fatalf("%d letters say the cap held their acknowledgement, want 2", capped)
	}
}
