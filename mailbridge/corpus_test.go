package mailbridge

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"missive/appliance/domain"
	"missive/appliance/store/pgtest"
)

// manifest reads MANIFEST.tsv: file → expected outcome.
func manifest(t testing.TB) [][2]string {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(corpus(t, "MANIFEST.tsv")))
	var out [][2]string
	for sc.Scan() {
		f, exp, ok := strings.Cut(sc.Text(), "\t")
		if !ok || f == "file" {
			continue
		}
		out = append(out, [2]string{f, strings.Fields(exp)[0]})
	}
	if len(out) < 9 {
		t.Fatalf("MANIFEST.tsv lists %d files", len(out))
	}
	return out
}

// acksTo decodes the acknowledgements the relay received for a number.
func (h *harness) acks(number string) []*Message {
	var out []*Message
	for _, raw := range h.sink.Messages(h.t) {
		m := Parse(raw)
		if strings.Contains(m.Subject, number) && strings.HasPrefix(m.MessageID, "ack.") {
			out = append(out, m)
		}
	}
	return out
}

// TestCorpus sends every message of the shared corpus through SMTP, as a
// citizen's client would, and checks what MANIFEST.tsv says of it.
func TestCorpus(t *testing.T) {
	t.Parallel()
	runCorpus(t, "")
}

// TestCorpusPostgres runs the corpus on PostgreSQL: the mail tables and
// their queries exist in both dialects.
func TestCorpusPostgres(t *testing.T) {
	t.Parallel()
	runCorpus(t, pgtest.DSN(t))
}

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	// The missive binary the crash tests built (37 MB) goes with the run.
	if buildPath != "" {
		os.RemoveAll(filepath.Dir(buildPath))
	}
	os.Exit(code)
}

func runCorpus(t *testing.T, dsn string) {
	h := newHarness(t, dsn, fastOptions())
	byFile := map[string]*domain.Letter{}
	var ackOf01 string
	for _, row := range manifest(t) {
		file, want := row[0], row[1]
		raw := corpus(t, file)
		m := Parse(raw)
		from := m.FromAddr
		if file == "06-bounce.eml" {
			from = "<>"
		}
		if want == "thread" {
			if ackOf01 == "" {
				t.Fatal("08 needs the acknowledgement of 01 first")
			}
			raw = bytes.ReplaceAll(raw, []byte("<ACK-OF-s01>"), []byte("<"+ackOf01+">"))
		}
		before := len(h.letters())
		h.mustSend(from, raw)
		after := h.letters()
		switch want {
		case "letter+ack", "letter-noack":
			if len(after) != before+1 {
				t.Fatalf("%s: %d letters after, want %d", file, len(after), before+1)
			}
			l := h.letterBySubject(m.Subject)
			if l == nil {
				t.Fatalf("%s: no letter with subject %q", file, m.Subject)
			}
			if l.Channel != domain.ChannelEmail {
				t.Errorf("%s: channel %q", file, l.Channel)
			}
			byFile[file] = l
			ms := h.messages(l.ID)
			acks := 0
			for _, x := range ms {
				if x.Kind == "ack" {
					acks++
					if file == "01-plain-utf8.eml" {
						ackOf01 = x.MessageID
					}
				}
			}
			if wantAcks := map[bool]int{true: 1, false: 0}[want == "letter+ack"]; acks != wantAcks {
				t.Errorf("%s: %d acknowledgements queued, want %d (%+v)", file, acks, wantAcks, ms)
			}
		case "bounce":
			if len(after) != before {
				t.Errorf("%s: a bounce made a letter", file)
			}
		case "thread":
			if len(after) != before {
				t.Fatalf("%s: a reply made a new letter", file)
			}
			l := byFile["01-plain-utf8.eml"]
			ms := h.messages(l.ID)
			found := false
			for _, x := range ms {
				found = found || (x.Direction == "in" && x.Kind == "reply" && x.MessageID == "s08@exemple.test")
			}
			if !found {
				t.Errorf("%s: the reply is not among the messages of letter 01: %+v", file, ms)
			}
			v, err := h.svc.View(h.ctx, h.env.Admin, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			noted := false
			for _, n := range v.Notes {
				noted = noted || strings.Contains(n.Text, "clignote")
			}
			if !noted {
				t.Errorf("%s: the reply's text is not on letter 01", file)
			}
		default:
			t.Fatalf("%s: unknown expectation %q", file, want)
		}
	}

	// Contents: subject decoding, HTML sanitised to text, Latin-1 body,
	// attachments and the original as documents, malformed part kept raw.
	checks := []struct {
		file, subject, body string
		docs                []string
	}{
		{"01-plain-utf8.eml", "Lampadaire en panne rue des Écoles", "depuis trois semaines", []string{".eml", ".eml"}}, // the original, then the reply
		{"02-alternative.eml", "Demande d'acte de naissance", "copie intégrale", []string{".eml"}},
		{"03-latin1.eml", "Réclamation cantine", "menu non respecté", []string{".eml"}},
		{"04-attachments.eml", "Demande de subvention 2027", "notre dossier", []string{".eml", "dossier subvention é.pdf", "photo.png"}},
		{"09-malformed.eml", "pieces jointes", "Voir piece jointe", []string{".eml", "a.pdf.raw"}},
	}
	for _, c := range checks {
		l := byFile[c.file]
		if l == nil {
			t.Fatalf("%s: no letter", c.file)
		}
		if l.Subject != c.subject {
			t.Errorf("%s: subject %q, want %q", c.file, l.Subject, c.subject)
		}
		if !strings.Contains(l.Body, c.body) {
			t.Errorf("%s: body %q lacks %q", c.file, l.Body, c.body)
		}
		if strings.Contains(l.Body, "<script") || strings.Contains(l.Body, "alert(1)") {
			t.Errorf("%s: body keeps the HTML script: %q", c.file, l.Body)
		}
		v, err := h.svc.View(h.ctx, h.env.Admin, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Documents) != len(c.docs) {
			t.Errorf("%s: %d documents, want %d: %+v", c.file, len(v.Documents), len(c.docs), v.Documents)
			continue
		}
		mains := 0
		for _, d := range v.Documents {
			if d.Role == domain.DocMain {
				mains++
				if !strings.HasSuffix(d.Name, ".eml") || d.Versions[0].MIME != "message/rfc822" {
					t.Errorf("%s: the main document is %q (%s), want the original .eml", c.file, d.Name, d.Versions[0].MIME)
				}
			}
		}
		if mains != 1 {
			t.Errorf("%s: %d main documents, want the original alone", c.file, mains)
		}
		for _, want := range c.docs[1:] {
			found := false
			for _, d := range v.Documents {
				found = found || (d.Role == domain.DocAttachment && strings.HasSuffix(d.Name, want))
			}
			if !found {
				t.Errorf("%s: no attachment named …%q in %+v", c.file, want, v.Documents)
			}
		}
	}
	if l := byFile["09-malformed.eml"]; l != nil {
		v, _ := h.svc.View(h.ctx, h.env.Admin, l.ID)
		raw := ""
		for _, d := range v.Documents {
			if d.Name == "a.pdf.raw" {
				raw = d.ID
			}
		}
		_, _, f, err := h.svc.OpenDocument(h.ctx, h.env.Admin, raw, 0)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(f)
		f.Close()
		if !strings.Contains(buf.String(), "!!!not-base64") {
			t.Errorf("malformed part not kept raw: %q", buf.String())
		}
	}

	// Every letter+ack got exactly one acknowledgement through the relay,
	// with its number; nothing went to the senders of 05, 06 and 07.
	for file, l := range byFile {
		want := 0
		for _, row := range manifest(t) {
			if row[0] == file && row[1] == "letter+ack" {
				want = 1
			}
		}
		var got []*Message
		waitFor(t, "acknowledgement of "+file, 10*time.Second, func() bool {
			got = h.acks(l.Number)
			return len(got) >= want
		})
		if len(got) != want {
			t.Errorf("%s: relay received %d acknowledgements for %s, want %d", file, len(got), l.Number, want)
		}
		for _, a := range got {
			if !strings.Contains(a.Text, l.Number) || a.Header.Get("Auto-Submitted") != "auto-replied" {
				t.Errorf("%s: acknowledgement lacks the number or Auto-Submitted:\n%s", file, a.Text)
			}
		}
	}
	for _, addr := range []string{"newsletter@editeur.test", "MAILER-DAEMON@relay.test"} {
		if n := len(h.sunk("To: <" + addr)); n != 0 {
			t.Errorf("%d messages sent to %s", n, addr)
		}
	}
	// The acknowledgement of 01 was sent exactly once, and the reply to it
	// caused no second one.
	if n := len(h.acks(byFile["01-plain-utf8.eml"].Number)); n != 1 {
		t.Errorf("letter 01: %d acknowledgements", n)
	}
}
