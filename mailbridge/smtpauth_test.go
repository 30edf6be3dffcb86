package mailbridge

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"missive/appliance/apptest"
	"missive/mailbridge/internal/peers"
)

// TestSMTPStartTLSAndAuthWithSwaks: with the appliance's certificate the
// listener offers STARTTLS; AUTH (PLAIN, LOGIN) is offered only once the
// session is encrypted, takes Missive users, and opens no relay: an
// authenticated client is still refused any address but the tenant's.
func TestSMTPStartTLSAndAuthWithSwaks(t *testing.T) {
	t.Parallel()
	srvTLS, _ := testCert(t)
	opt := fastOptions()
	opt.TLS = srvTLS
	h := newHarness(t, "", opt)
	addr := h.smtp.Addr().String()
	msg := func(n int) string {
		f := filepath.Join(t.TempDir(), "m.eml")
		os.WriteFile(f, []byte(fmt.Sprintf("From: Jeanne <jeanne@exemple.test>\r\nTo: mairie@ville.test\r\nSubject: Chiffré %d\r\nMessage-ID: <tls%d@exemple.test>\r\n\r\nBonjour.\r\n", n, n)), 0o644)
		return "@" + f
	}
	swaks := func(n int, args ...string) (string, int) {
		return peers.Swaks(t, addr, append([]string{"--from", "jeanne@exemple.test", "--helo", "client.exemple.test", "--data", msg(n)}, args...)...)
	}

	// Plain text: STARTTLS offered, AUTH not.
	out, code := swaks(1, "--to", "mairie@ville.test", "--quit-after", "EHLO")
	if code != 0 || !strings.Contains(out, "250-STARTTLS") || strings.Contains(out, "AUTH") {
		t.Fatalf("EHLO before TLS (exit %d):\n%s", code, out)
	}
	// AUTH over plain text is refused: swaks cannot authenticate.
	if out, code := swaks(1, "--to", "mairie@ville.test", "--auth", "PLAIN", "--auth-user", "admin", "--auth-password", apptest.AdminPassword); code == 0 {
		t.Fatalf("AUTH accepted without TLS:\n%s", out)
	}
	// STARTTLS, anonymous: accepted, recorded as ESMTPS.
	if out, code := swaks(2, "--tls", "--to", "mairie@ville.test"); code != 0 || !strings.Contains(out, "TLS started") {
		t.Fatalf("STARTTLS (exit %d):\n%s", code, out)
	}
	// STARTTLS and AUTH PLAIN, then LOGIN, as a Missive user.
	for i, mech := range []string{"PLAIN", "LOGIN"} {
		out, code := swaks(3+i, "--tls", "--to", "mairie@ville.test", "--auth", mech, "--auth-user", "admin", "--auth-password", apptest.AdminPassword)
		if code != 0 || !strings.Contains(out, "235 ") {
			t.Fatalf("STARTTLS + AUTH %s (exit %d):\n%s", mech, code, out)
		}
	}
	// A wrong password is 535.
	if out, code := swaks(5, "--tls", "--to", "mairie@ville.test", "--auth", "PLAIN", "--auth-user", "admin", "--auth-password", "faux"); code == 0 || !strings.Contains(out, "535") {
		t.Fatalf("wrong password (exit %d):\n%s", code, out)
	}
	// Authenticated, still no relay.
	if out, code := swaks(6, "--tls", "--to", "quelquun@ailleurs.test", "--auth", "PLAIN", "--auth-user", "admin", "--auth-password", apptest.AdminPassword); code == 0 || !strings.Contains(out, "550") {
		t.Fatalf("relay after AUTH (exit %d):\n%s", code, out)
	}

	waitFor(t, "three letters", 10*time.Second, func() bool { return len(h.letters()) == 3 })
	for _, c := range []struct{ subject, with string }{{"Chiffré 2", "with ESMTPS;"}, {"Chiffré 3", "with ESMTPSA;"}, {"Chiffré 4", "with ESMTPSA;"}} {
		l := h.letterBySubject(c.subject)
		if l == nil {
			t.Fatalf("no letter %q", c.subject)
		}
		lv, err := h.svc.View(h.ctx, h.env.Admin, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		var eml []byte
		for _, d := range lv.Documents {
			if strings.HasSuffix(d.Name, ".eml") {
				f, err := h.env.Blobs.Open(d.Versions[len(d.Versions)-1].SHA256)
				if err != nil {
					t.Fatal(err)
				}
				eml = make([]byte, 600)
				n, _ := f.Read(eml)
				eml = eml[:n]
				f.Close()
			}
		}
		if !strings.Contains(string(eml), c.with) {
			t.Errorf("%s: Received line lacks %q:\n%s", c.subject, c.with, eml)
		}
	}
}

// Ten connections guessing three passwords each, at once: SMTP AUTH shares
// the login limiter of every password door, whose attempts are counted as
// they arrive, so at most five guesses reach a password check in all; the
// others are told to come back later (454) without a check.
func TestSMTPAuthBurst(t *testing.T) {
	t.Parallel()
	srvTLS, pool := testCert(t)
	opt := fastOptions()
	opt.TLS = srvTLS
	h := newHarness(t, "", opt)
	// A still clock: no wait lapses during the burst, whatever the load.
	now := time.Now()
	h.svc.Now = func() time.Time { return now }
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for c := 0; c < 10; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := smtp.DialStartTLS(h.smtp.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "missive.test"})
			if err != nil {
				t.Error(err)
				return
			}
			defer cl.Close()
			<-start
			for g := 0; g < 3; g++ {
				err := cl.Auth(sasl.NewPlainClient("", "admin", fmt.Sprintf("devine-%d-%d", c, g)))
				var se *smtp.SMTPError
				if !errors.As(err, &se) {
					t.Errorf("guess %d/%d: %v", c, g, err)
					return
				}
				mu.Lock()
				codes[se.Code]++
				mu.Unlock()
				if se.Code == 421 {
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	if codes[535] > 5 || codes[454] == 0 {
		t.Fatalf("30 guesses over 10 connections: %v; want at most 5 checked (535), the others 454", codes)
	}
	// The right password waits too.
	cl, err := smtp.DialStartTLS(h.smtp.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "missive.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var se *smtp.SMTPError
	if err := cl.Auth(sasl.NewPlainClient("", "admin", apptest.AdminPassword)); !errors.As(err, &se) || se.Code != 454 {
		t.Fatalf("right password after the burst: %v, want 454", err)
	}
}
