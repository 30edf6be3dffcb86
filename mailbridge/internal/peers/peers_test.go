package peers

import (
	"strings"
	"testing"
)

// TestPeersStart checks that every peer starts and answers here.
func TestPeersStart(t *testing.T) {
	t.Parallel()
	msg := []byte("From: a@exemple.test\nTo: b@ville.test\nSubject: essai\nMessage-ID: <p1@exemple.test>\n\ncorps\n")
	for _, start := range []func(testing.TB) *IMAP{Dovecot, Cyrus} {
		s := start(t)
		s.AddUser(t, "mairie", "secret")
		s.Append(t, "mairie", "secret", "INBOX", msg)
		if n := s.Count(t, "mairie", "secret", "INBOX"); n != 1 {
			t.Fatalf("%s: INBOX has %d messages, want 1", s.Name, n)
		}
		c := s.Dial(t, "mairie", "secret")
		caps := c.Caps()
		c.Close()
		for _, cp := range []string{"IDLE", "MOVE", "UIDPLUS"} {
			if !caps.Has(imapCap(cp)) {
				t.Errorf("%s does not advertise %s", s.Name, cp)
			}
		}
	}
	sink := SMTPSink(t)
	out, code := Swaks(t, sink.Addr, "--from", "a@exemple.test", "--to", "b@exemple.test", "--header", "Subject: essai-sink")
	if code != 0 {
		t.Fatalf("swaks to smtp-sink: exit %d\n%s", code, out)
	}
	ms := sink.Messages(t)
	if len(ms) != 1 || !strings.Contains(string(ms[0]), "essai-sink") {
		t.Fatalf("smtp-sink kept %d messages: %q", len(ms), ms)
	}
}

// TestPostfixQueues: the benchmark's Postfix takes a message for
// ville.test into its queue, and is gone after the test.
func TestPostfixQueues(t *testing.T) {
	t.Parallel()
	p := StartPostfix(t)
	out, code := Swaks(t, p.Addr, "--from", "a@exemple.test", "--to", "mairie@ville.test", "--header", "Subject: essai-postfix")
	if code != 0 {
		t.Fatalf("swaks to Postfix: exit %d\n%s", code, out)
	}
	if n := p.Queued(t); n < 1 {
		t.Fatalf("Postfix queued %d messages", n)
	}
}
