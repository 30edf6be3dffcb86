package mailbridge

import (
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// BenchmarkSMTPIntake measures durably accepted messages per second:
// Postfix's smtp-source sends b.N messages over 20 sessions to Missive's
// listener, each answered 250 only once its letter is committed (SQLite,
// without raft: the raft log's fsync adds to this in `missive serve`).
// Each message has its own Message-ID (smtp-source numbers them), so each
// is a letter; acknowledgements are not sent (no relay).
//
//	go test ./mailbridge -run '^$' -bench SMTPIntake -benchtime 2000x
func BenchmarkSMTPIntake(b *testing.B) {
	h := newHarness(b, "", fastOptions())
	bin, err := exec.LookPath("smtp-source")
	if err != nil {
		b.Fatal("smtp-source introuvable: installez le paquet postfix")
	}
	b.ResetTimer()
	start := time.Now()
	out, err := exec.Command(bin, "-s", "20", "-m", strconv.Itoa(b.N), "-l", "20000", "-f", "citoyen@exemple.test", "-t", "mairie@ville.test", h.smtp.Addr().String()).CombinedOutput()
	if err != nil {
		b.Fatalf("smtp-source: %v\n%s", err, out)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	n, err := h.env.Store.Reader().CountMailSeen(h.ctx, "default", "")
	if err != nil {
		b.Fatal(err)
	}
	if n == 0 {
		b.Fatal("nothing taken in")
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
}
