package mailbridge

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"missive/appliance/store"
	"missive/mailbridge/internal/peers"
)

// mailLoad is the size of each half (SMTP and IMAP) of the crash test's
// load. make test runs a small one; the 1,000 mails by each road is
// `go test ./mailbridge -run TestKill9 -mailload 1000`.
var mailLoad = flag.Int("mailload", 60, "messages sent by SMTP, and as many preloaded in IMAP, in TestKill9DuringLoad")

// missiveBinary builds cmd/missive once per test binary.
var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

func missiveBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "missive-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "missive")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/missive")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// server is a running `missive serve`.
type server struct {
	cmd      *exec.Cmd
	smtpAddr string
	httpAddr string
	stderr   *os.File
}

var (
	readyRe = regexp.MustCompile(`Missive est prêt: http://([^/]+)/`)
	smtpRe  = regexp.MustCompile(`courrier SMTP sur (\S+)`)
)

// startServer starts `missive serve` on data; conf are extra lines of its
// configuration file.
func startServer(t testing.TB, bin, data string, conf ...string) *server {
	t.Helper()
	return startServerWith(t, bin, data, conf, nil)
}

// startServerArgs is startServer with more flags for missive serve (a
// cluster port, a join).
func startServerArgs(t testing.TB, bin, data string, extra ...string) *server {
	t.Helper()
	return startServerWith(t, bin, data, nil, extra)
}

func startServerWith(t testing.TB, bin, data string, conf, extra []string) *server {
	t.Helper()
	// The load is of 2 × mailload distinct senders within minutes: above
	// the hourly cap of acknowledgements a town needs, which this test is
	// not about.
	confPath := filepath.Join(filepath.Dir(data), "missive.toml")
	if err := os.WriteFile(confPath, []byte(strings.Join(append([]string{"mail_acks_per_hour = 100000"}, conf...), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"serve", "--config", confPath, "--data", data, "--listen", "127.0.0.1:0", "--smtp", "127.0.0.1:0"}, extra...)...)
	cmd.Env = append(os.Environ(), "MISSIVE_ADMIN_PASSWORD=motdepasse-admin-1")
	errf, err := os.CreateTemp("", "missive-stderr-")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = errf
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, stderr: errf}
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		errf.Close()
		os.Remove(errf.Name())
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, out)
	}()
	deadline := time.After(60 * time.Second)
	for s.smtpAddr == "" || s.httpAddr == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				b, _ := os.ReadFile(errf.Name())
				t.Fatalf("missive serve exited:\n%s", b)
			}
			if m := readyRe.FindStringSubmatch(l); m != nil {
				s.httpAddr = m[1]
			}
			if m := smtpRe.FindStringSubmatch(l); m != nil {
				s.smtpAddr = m[1]
			}
		case <-deadline:
			t.Fatal("missive serve did not start")
		}
	}
	go func() {
		for range lines {
		}
	}()
	return s
}

func (s *server) kill9(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.cmd.Wait()
}

func (s *server) stop(t testing.TB) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("missive serve did not stop on SIGTERM")
	}
}

// cli runs a missive subcommand on the data dir.
func cli(t testing.TB, bin, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("missive %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func loadMail(road string, i int) []byte {
	return []byte(fmt.Sprintf("From: Citoyen %[2]d <c%[1]s%[2]d@load.test>\r\nTo: mairie@ville.test\r\nSubject: Demande %[1]s %[2]d\r\nDate: Mon, 16 Nov 2026 09:12:00 +0100\r\nMessage-ID: <%[1]s%[2]d@load.test>\r\n\r\nTexte de la demande %[1]s %[2]d.\r\n", road, i))
}

// sendSMTP sends one message; nil means the server answered 250.
func sendSMTP(addr string, i int) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail(fmt.Sprintf("csmtp%d@load.test", i), []string{"mairie@ville.test"}, bytes.NewReader(loadMail("smtp", i))); err != nil {
		return err
	}
	return c.Quit()
}

// TestKill9DuringLoad: mail arrives by SMTP and sits in an IMAP folder;
// Missive is killed with SIGKILL in the middle and restarted. Every message
// that got a 250 or sat in the folder is then exactly one letter, and every
// acknowledgement reached the relay — at most one twice, the one that may
// have been on the wire at the kill (DESIGN.md).
func TestKill9DuringLoad(t *testing.T) {
	t.Parallel()
	n := *mailLoad
	bin := missiveBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	dv := peers.Dovecot(t)
	dv.AddUser(t, "mairie", "secret")
	sink := peers.SMTPSink(t)
	// Ten SMTP messages also sit in the mailbox: the same message by both
	// roads must stay one letter.
	for i := 0; i < n; i++ {
		dv.Append(t, "mairie", "secret", "INBOX", loadMail("imap", i))
	}
	for i := 0; i < 10 && i < n; i++ {
		dv.Append(t, "mairie", "secret", "INBOX", loadMail("smtp", i))
	}

	s := startServer(t, bin, data)
	cli(t, bin, "", "mail", "address", "add", "--data", data, "--tenant", "default", "mairie@ville.test")
	sinkHost, sinkPort := splitHostPort(t, sink.Addr)
	cli(t, bin, "", "mail", "relay", "set", "--data", data, "--tenant", "default", "--host", sinkHost, "--port", strconv.Itoa(sinkPort), "--from", "mairie@ville.test")

	// SMTP load from four clients; the kill comes once a third of it is in.
	var accepted sync.Map
	var nAccepted atomic.Int64
	sendAll := func(addr string) {
		var wg sync.WaitGroup
		next := atomic.Int64{}
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= n {
						return
					}
					if _, ok := accepted.Load(i); ok {
						continue
					}
					if sendSMTP(addr, i) == nil {
						accepted.Store(i, true)
						nAccepted.Add(1)
					}
				}
			}()
		}
		wg.Wait()
	}
	loadDone := make(chan struct{})
	go func() { defer close(loadDone); sendAll(s.smtpAddr) }()
	dvHost, dvPort := splitHostPort(t, dv.Addr())
	cli(t, bin, "secret\n", "mail", "mailbox", "add", "--data", data, "--tenant", "default", "--host", dvHost, "--port", strconv.Itoa(dvPort),
		"--plain", "--user", "mairie", "--password-stdin", "--folder", "INBOX", "--done", "Traités")
	waitFor(t, "a third of the SMTP load", 60*time.Second, func() bool { return nAccepted.Load() >= int64(n/3) })
	s.kill9(t)
	t.Logf("killed with %d of %d SMTP messages accepted", nAccepted.Load(), n)
	<-loadDone
	if nAccepted.Load() == int64(n) {
		t.Log("every SMTP message was in before the kill; the IMAP half still ran through it")
	}

	// Restart; the clients send again what got no 250, and a few that did
	// (a 250 lost on the way back makes a real MTA resend).
	s = startServer(t, bin, data)
	for i := 0; i < 5 && i < n; i++ {
		if err := sendSMTP(s.smtpAddr, i); err != nil {
			t.Fatalf("resend %d: %v", i, err)
		}
	}
	sendAll(s.smtpAddr)
	if got := nAccepted.Load(); got != int64(n) {
		t.Fatalf("%d of %d SMTP messages accepted after the restart", got, n)
	}
	want := 2 * n
	ackIDs := func() (map[string]int, int) {
		ids := map[string]int{}
		total := 0
		for _, raw := range sink.Messages(t) {
			m := Parse(raw)
			if strings.HasPrefix(m.MessageID, "ack.") {
				ids[m.MessageID]++
				total++
			}
		}
		return ids, total
	}
	waitFor(t, "every acknowledgement at the relay", 120*time.Second, func() bool {
		ids, _ := ackIDs()
		return len(ids) >= want && dv.Count(t, "mairie", "secret", "INBOX") == 0
	})
	s.stop(t)

	st, err := store.Open(context.Background(), "", data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := st.Reader()
	ctx := context.Background()
	_, letters, err := r.Letters(ctx, store.Perimeter{TenantID: "default", All: true}, store.LetterFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	seen, err := r.CountMailSeen(ctx, "default", "")
	if err != nil {
		t.Fatal(err)
	}
	sent, err := r.CountOutbox(ctx, "ack", "sent")
	if err != nil {
		t.Fatal(err)
	}
	all, err := r.CountOutbox(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	other := all - sent
	if letters != want || seen != want {
		t.Errorf("%d letters and %d messages seen, want %d", letters, seen, want)
	}
	if sent != want || other != 0 {
		t.Errorf("%d acknowledgements sent and %d not, want %d and 0", sent, other, want)
	}
	for _, road := range []string{"smtp", "imap"} {
		for i := 0; i < n; i++ {
			if _, err := r.MailSeen(ctx, "default", fmt.Sprintf("mid:%s%d@load.test", road, i)); err != nil {
				t.Errorf("%s message %d: %v", road, i, err)
			}
		}
	}
	ids, total := ackIDs()
	if len(ids) != want || total-len(ids) > 1 {
		t.Errorf("relay got %d acknowledgements for %d letters (%d distinct): more than the one duplicate a kill may cause", total, want, len(ids))
	}
	if got := dv.Count(t, "mairie", "secret", "Traités"); got < n+min(n, 10) {
		t.Errorf("Traités holds %d, want at least %d", got, n+min(n, 10))
	}
}
