package mailbridge

import (
	"missive/appliance/domain"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHTMLToText(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{`<p>Bonjour <b>Madame</b>,</p><p>Merci&nbsp;!</p>`, "Bonjour Madame,\nMerci !"},
		{`<script>alert(1)</script>texte<style>p{}</style>`, "texte"},
		{`<!-- <script>x</script> -->a<br>b`, "a\nb"},
		{`&lt;script&gt;`, "<script>"},
		{`<head><title>T</title></head><div>x</div>`, "x"},
	} {
		if got := HTMLToText(c.in); got != c.want {
			t.Errorf("HTMLToText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestKeySameMessage: an SMTP copy (with our Received line, CRLF) and an
// IMAP copy (with Return-Path and Delivered-To) of a message without
// Message-ID have the same key; another message has another.
func TestKeySameMessage(t *testing.T) {
	t.Parallel()
	base := "From: a@exemple.test\nTo: mairie@ville.test\nSubject: Sans identifiant\nDate: Mon, 16 Nov 2026 09:12:00 +0100\n\nCorps.\n"
	smtpCopy := strings.ReplaceAll("Received: from x by missive; Mon, 16 Nov 2026 09:13:00 +0100\n"+base, "\n", "\r\n")
	imapCopy := "Return-Path: <a@exemple.test>\nDelivered-To: mairie@ville.test\n" + base
	k1, k2 := Key(Parse([]byte(smtpCopy)), []byte(smtpCopy)), Key(Parse([]byte(imapCopy)), []byte(imapCopy))
	if k1 != k2 || !strings.HasPrefix(k1, "sha256:") {
		t.Fatalf("keys differ: %s / %s", k1, k2)
	}
	other := strings.Replace(base, "Corps.", "Autre corps.", 1)
	if Key(Parse([]byte(other)), []byte(other)) == k1 {
		t.Fatal("two different messages share a key")
	}
	withID := "Message-ID: <x@exemple.test>\n" + base
	if k := Key(Parse([]byte(withID)), []byte(withID)); k != "mid:x@exemple.test" {
		t.Fatalf("key %q", k)
	}
}

func TestNoAckReason(t *testing.T) {
	t.Parallel()
	ours := func(a string) bool { return a == "mairie@ville.test" }
	for _, c := range []struct {
		hdr  string
		env  Envelope
		want string // substring of the reason; "" = acknowledge
	}{
		{"From: a@exemple.test", Envelope{From: "a@exemple.test"}, ""},
		{"From: a@exemple.test\nAuto-Submitted: no", Envelope{}, ""},
		{"From: a@exemple.test\nAuto-Submitted: auto-replied", Envelope{}, "Auto-Submitted"},
		{"From: a@exemple.test\nPrecedence: bulk", Envelope{}, "bulk"},
		{"From: a@exemple.test\nPrecedence: list", Envelope{}, "list"},
		{"From: a@exemple.test\nList-Id: <x.y>", Envelope{}, "List-Id"},
		{"From: a@exemple.test", Envelope{NullSender: true}, "nul"},
		{"From: a@exemple.test\nReturn-Path: <>", Envelope{}, "nul"},
		{"From: MAILER-DAEMON@relay.test", Envelope{From: "x@relay.test"}, "automatique"},
		{"From: postmaster@relay.test", Envelope{}, "automatique"},
		{"From: a@exemple.test", Envelope{From: "Postmaster@relay.test"}, "automatique"},
		{"From: mairie@ville.test", Envelope{}, "Missive"},
		{"From: a@exemple.test\nX-Auto-Response-Suppress: OOF, AutoReply", Envelope{}, "X-Auto-Response-Suppress"},
		{"Subject: sans expéditeur", Envelope{}, "expéditeur"},
	} {
		m := Parse([]byte(strings.ReplaceAll(c.hdr, "\n", "\r\n") + "\r\n\r\ncorps\r\n"))
		got := noAckReason(m, c.env, ours)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%q %+v: reason %q, want %q", c.hdr, c.env, got, c.want)
		}
	}
}

func TestRoute(t *testing.T) {
	t.Parallel()
	rules := []domain.MailRule{
		{Recipient: "urbanisme@ville.test", EntityID: "urba"},
		{Keywords: "école, cantine", EntityID: "scol", DoctypeID: "recl"},
		{Recipient: "mairie@ville.test", Keywords: "voirie", EntityID: "voirie"},
	}
	for _, c := range []struct {
		rcpts          []string
		text           string
		entity, dctype string
	}{
		{[]string{"urbanisme@ville.test"}, "cantine", "urba", ""},
		{[]string{"mairie@ville.test"}, "Réclamation CANTINE scolaire", "scol", "recl"},
		{[]string{"mairie@ville.test"}, "l'Ecole du centre", "scol", "recl"},
		{[]string{"mairie@ville.test"}, "les écoliers", "", ""},
		{[]string{"mairie@ville.test"}, "Voirie abîmée", "voirie", ""},
		{[]string{"autre@ville.test"}, "voirie", "", ""},
	} {
		e, d := route(rules, c.rcpts, c.text)
		if e != c.entity || d != c.dctype {
			t.Errorf("route(%v, %q) = %q, %q; want %q, %q", c.rcpts, c.text, e, d, c.entity, c.dctype)
		}
	}
}

// TestParseHardCases: cases beyond the corpus.
func TestParseHardCases(t *testing.T) {
	t.Parallel()
	fwd := "From: agent@ville.test\r\nTo: mairie@ville.test\r\nSubject: Fwd: courrier\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nVoir ci-dessous.\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\nFrom: citoyen@exemple.test\r\nSubject: =?utf-8?q?D=C3=A9neigement?=\r\nMessage-ID: <orig@exemple.test>\r\n\r\nLa rue n'est pas déneigée.\r\n--b1\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\nContent-ID: <img1>\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b1\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\nContent-Transfer-Encoding: base64\r\n\r\neJ8+IgAA\r\n--b1--\r\n"
	m := Parse([]byte(fwd))
	names := map[string]bool{}
	for _, p := range m.Parts {
		names[p.Name] = true
	}
	if !names["Déneigement.eml"] || !names["winmail.dat"] || len(m.Parts) != 3 || m.Text != "Voir ci-dessous." {
		t.Errorf("forwarded message: text %q parts %v", m.Text, names)
	}
	// Windows-1252 text without a charset, a subject in an unknown
	// charset, no From at all.
	odd := "Subject: =?x-unknown?q?abc?=\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\nCaf\xe9 cr\xe8me\r\n"
	m = Parse([]byte(odd))
	if m.Text != "Café crème" || !utf8.ValidString(m.Subject) || m.FromAddr != "" {
		t.Errorf("odd message: text %q subject %q from %q", m.Text, m.Subject, m.FromAddr)
	}
	// A header only, no body, no blank line.
	m = Parse([]byte("From: a@b.test\r\nSubject: vide"))
	if m.Subject != "vide" || m.FromAddr != "a@b.test" {
		t.Errorf("header-only message: %+v", m)
	}
}

// FuzzParse feeds the parser the corpus and mutations of it: it must never
// panic, and what it returns must be storable text.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\n--x--"))
	if b, err := os.ReadFile(tnefFixture); err == nil {
		f.Add(b) // an Outlook winmail.dat
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := Parse(raw)
		for _, s := range []string{m.Subject, m.Text, m.FromName} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 out of the parser: %q", s)
			}
		}
		if Key(m, raw) == "" {
			t.Fatal("empty key")
		}
	})
}
