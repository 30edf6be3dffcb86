//go:build bench

package mailbridge

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"missive/mailbridge/internal/peers"
)

// TestBenchSMTPIntakeVsPostfix is the benchmark: durably accepted
// messages per second with `smtp-source -s 20 -m 5000 -l 20000` against
// Missive's listener (250 once each letter is committed) and, in the same
// run on the same machine, against a real Postfix accepting into its
// queue. It logs both rates and their ratio. Not in `make test`:
//
//	go test -tags bench -run TestBench -v ./mailbridge/
func TestBenchSMTPIntakeVsPostfix(t *testing.T) {
	const sessions, messages, size = "20", 5000, "20000"
	bin, err := exec.LookPath("smtp-source")
	if err != nil {
		t.Fatal("smtp-source introuvable: installez le paquet postfix")
	}
	run := func(addr string) time.Duration {
		start := time.Now()
		out, err := exec.Command(bin, "-s", sessions, "-m", "5000", "-l", size, "-f", "citoyen@exemple.test", "-t", "mairie@ville.test", addr).CombinedOutput()
		if err != nil {
			t.Fatalf("smtp-source %s: %v\n%s", addr, err, out)
		}
		return time.Since(start)
	}

	pf := peers.StartPostfix(t)
	postfix := run(pf.Addr)
	// Postfix may queue a notice or two of its own beside the load.
	if n := pf.Queued(t); n < messages {
		t.Fatalf("Postfix queued %d messages, want %d", n, messages)
	}

	h := newHarness(t, "", fastOptions())
	missive := run(h.smtp.Addr().String())
	n, err := h.env.Store.Reader().CountMailSeen(h.ctx, "default", "")
	if err != nil {
		t.Fatal(err)
	}
	if n != messages {
		t.Fatalf("Missive took in %d messages, want %d", n, messages)
	}
	pr, mr := float64(messages)/postfix.Seconds(), float64(messages)/missive.Seconds()
	t.Logf("smtp-source -s %s -m %d -l %s: Postfix %.0f msgs/s (%.1f s), Missive %.0f msgs/s (%.1f s), Missive/Postfix = %.2f",
		sessions, messages, size, pr, postfix.Seconds(), mr, missive.Seconds(), mr/pr)
}

// TestBenchIMAPIntake10000 is the other benchmark: seconds to turn
// 10,000 messages waiting in a Dovecot folder into letters (each fetched,
// committed, then moved to the done folder).
//
//	go test -tags bench -run TestBenchIMAPIntake10000 -v ./mailbridge/
func TestBenchIMAPIntake10000(t *testing.T) {
	const n = 10000
	dov := peers.Dovecot(t)
	dov.AddUser(t, "courrier", "secret")
	raws := make([][]byte, n)
	body := strings.Repeat("Madame, Monsieur, je vous écris au sujet de l'éclairage public de ma rue. ", 25)
	for i := range raws {
		raws[i] = []byte(fmt.Sprintf("From: Citoyen <citoyen@exemple.test>\r\nTo: mairie@ville.test\r\nSubject: Demande %d\r\nMessage-ID: <bench%d@exemple.test>\r\n"+
			"Date: Mon, 23 Nov 2026 10:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", i, i, body))
	}
	start := time.Now()
	dov.AppendMany(t, "courrier", "secret", "INBOX", raws)
	t.Logf("preloaded %d messages in Dovecot in %.1f s", n, time.Since(start).Seconds())

	h := newHarness(t, "", fastOptions())
	start = time.Now()
	h.addMailbox(dov, dov.Addr(), "courrier", "INBOX", "Traités")
	waitFor(t, "10,000 letters", 60*time.Minute, func() bool {
		c, err := h.env.Store.Reader().CountMailSeen(h.ctx, "default", "")
		return err == nil && c == n
	})
	letters := time.Since(start)
	waitFor(t, "the folder emptied", 10*time.Minute, func() bool { return dov.Count(t, "courrier", "secret", "INBOX") == 0 })
	t.Logf("Dovecot → Missive: %d messages became letters in %.1f s (%.0f msgs/s); folder emptied after %.1f s",
		n, letters.Seconds(), n/letters.Seconds(), time.Since(start).Seconds())
	if done := dov.Count(t, "courrier", "secret", "Traités"); done != n {
		t.Fatalf("%d messages in Traités, want %d", done, n)
	}
}
