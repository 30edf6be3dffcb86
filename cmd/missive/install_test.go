//go:build !bench

package main

// Black-box tests of installing and running Missive as a service: the
// quickstart contract, TLS in front of serve, systemd notifications,
// privilege dropping, doctor. They run the binary TestMain built.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"missive/appliance/config"
	"missive/appliance/tlsconf/pebbletest"
	"missive/installer"
)

const testHost = "courrier.test"

// instDir is a fresh folder with a short path (unix sockets live in data
// dirs, and their paths are limited to about 100 bytes).
func instDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "mvi-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

type instResult struct {
	stdout, stderr string
	code           int
}

func instRun(t *testing.T, env []string, args ...string) instResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, missiveBin, args...)
	cmd.Env = append(instEnv(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("missive %s: %v", strings.Join(args, " "), err)
	}
	return instResult{out.String(), errb.String(), cmd.ProcessState.ExitCode()}
}

func instEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MISSIVE_") && !strings.HasPrefix(kv, "NOTIFY_SOCKET=") && !strings.HasPrefix(kv, "WATCHDOG_") {
			env = append(env, kv)
		}
	}
	return env
}

// quickstart runs the contract command, which must succeed, and returns the
// config path and what it printed.
func runQuickstartT(t *testing.T, dir string, extra ...string) (string, instResult) {
	t.Helper()
	cfg := filepath.Join(dir, "etc", "missive.toml")
	args := append([]string{"quickstart", "--hostname", testHost, "--tls", "internal", "--data", filepath.Join(dir, "data"), "--config", cfg, "--no-service",
		"--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"}, extra...)
	r := instRun(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("quickstart: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	return cfg, r
}

// lines collects output and lets a test wait for a line.
type lines struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	more chan struct{}
}

func newLines() *lines { return &lines{more: make(chan struct{})} }

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	close(l.more)
	l.more = make(chan struct{})
	return len(p), nil
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *lines) wait(re *regexp.Regexp, d time.Duration) []string {
	deadline := time.After(d)
	for {
		l.mu.Lock()
		m := re.FindStringSubmatch(l.buf.String())
		more := l.more
		l.mu.Unlock()
		if m != nil {
			return m
		}
		select {
		case <-more:
		case <-deadline:
			return nil
		}
	}
}

type instServer struct {
	cmd            *exec.Cmd
	stdout, stderr *lines
	url            string
	done           chan struct{}
}

var readyRe = regexp.MustCompile(`(?m)^Missive est prêt: (\S+)$`)

func instServe(t *testing.T, env []string, args ...string) *instServer {
	t.Helper()
	s := &instServer{stdout: newLines(), stderr: newLines(), done: make(chan struct{})}
	s.cmd = exec.Command(missiveBin, append([]string{"serve"}, args...)...)
	s.cmd.Env = append(instEnv(), env...)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() { s.cmd.Process.Kill(); <-s.done })
	m := s.stdout.wait(readyRe, 60*time.Second)
	if m == nil {
		t.Fatalf("serve did not get ready\nstdout: %s\nstderr: %s", s.stdout, s.stderr)
	}
	s.url = m[1]
	return s
}

func (s *instServer) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("serve exited %d after SIGTERM\n%s", code, s.stderr)
	}
}

// addr is host:port of the HTTPS URL, on loopback.
func (s *instServer) addr(t *testing.T) string {
	m := regexp.MustCompile(`^https://` + regexp.QuoteMeta(testHost) + `:(\d+)/$`).FindStringSubmatch(s.url)
	if m == nil {
		t.Fatalf("ready URL %q, want https://%s:PORT/", s.url, testHost)
	}
	return "127.0.0.1:" + m[1]
}

func (s *instServer) redirectAddr(t *testing.T) string {
	m := s.stderr.wait(regexp.MustCompile(`msg="HTTP redirected to HTTPS" addr=(\S+)`), 10*time.Second)
	if m == nil {
		t.Fatalf("no redirect listener logged\n%s", s.stderr)
	}
	return m[1]
}

// httpsClient trusts only roots and reaches testHost on loopback.
func httpsClient(roots *x509.CertPool, addr string) *http.Client {
	return &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: testHost},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
		},
	}
}

// TestQuickstartServeDoctor is the contract: quickstart --tls internal
// --no-service writes a valid config and an initialised data dir; serve
// then answers over HTTPS with a certificate that verifies from the
// exported root, sends HSTS, redirects port 80; doctor sees all that, and
// sees it stopped.
func TestQuickstartServeDoctor(t *testing.T) {
	t.Parallel()
	dir := instDir(t)
	// A machine where the package was installed first: its untouched
	// default config is replaced.
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc", "missive.toml"), installer.PackagedConfig, 0o640); err != nil {
		t.Fatal(err)
	}
	cfgPath, r := runQuickstartT(t, dir, "--tenant-name", "Commune de Saint-Joseph")
	pw := regexp.MustCompile(`Mot de passe:\s+(\S{12,})`).FindStringSubmatch(r.stdout)
	if pw == nil || !strings.Contains(r.stdout, "missive tls export-ca") || !strings.Contains(r.stdout, "missive mail address add") {
		t.Fatalf("quickstart output lacks the password, the CA export or the mail settings:\n%s", r.stdout)
	}
	if c := instRun(t, nil, "config", "test", "--config", cfgPath); c.code != 0 {
		t.Fatalf("written config does not pass config test: %s", c.stderr)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLS != "internal" || cfg.Hostname != testHost || cfg.TenantName != "Commune de Saint-Joseph" {
		t.Fatalf("config: %+v", cfg)
	}
	// The backups' passphrase is shown once, to be printed, and kept for
	// the service in a file only it reads.
	phrase := regexp.MustCompile(`Phrase de passe:\s+(\S{30,})`).FindStringSubmatch(r.stdout)
	stored, err := os.ReadFile(cfg.Backup.PassphraseFile)
	if phrase == nil || !strings.Contains(r.stdout, "IMPRIMEZ-LA") || err != nil || strings.TrimSpace(string(stored)) != phrase[1] {
		t.Fatalf("quickstart did not give the backup passphrase (%v):\n%s", err, r.stdout)
	}
	if st, _ := os.Stat(cfg.Backup.PassphraseFile); st.Mode().Perm() != 0o600 {
		t.Fatalf("passphrase file mode %v", st.Mode().Perm())
	}
	logb, err := os.ReadFile(filepath.Join(dir, "data", "quickstart.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(logb), "terminé") || strings.Contains(string(logb), pw[1]) || strings.Contains(string(logb), phrase[1]) {
		t.Fatalf("quickstart.log incomplete, or holding the password or the passphrase:\n%s", logb)
	}
	// Run again: refused, nothing changed.
	before, _ := os.ReadFile(cfgPath)
	again := instRun(t, nil, "quickstart", "--hostname", testHost, "--tls", "internal", "--data", filepath.Join(dir, "data"), "--config", cfgPath, "--no-service")
	if after, _ := os.ReadFile(cfgPath); again.code == 0 || !strings.Contains(again.stderr, "déjà installé") || !bytes.Equal(before, after) {
		t.Fatalf("second quickstart: exit %d, %s", again.code, again.stderr)
	}

	ca := filepath.Join(dir, "ca.crt")
	if e := instRun(t, nil, "tls", "export-ca", "--config", cfgPath, "--out", ca); e.code != 0 {
		t.Fatalf("tls export-ca: %s", e.stderr)
	}
	roots := x509.NewCertPool()
	pemb, _ := os.ReadFile(ca)
	if !roots.AppendCertsFromPEM(pemb) {
		t.Fatalf("exported CA is not PEM: %q", pemb)
	}

	s := instServe(t, nil, "--config", cfgPath)
	addr := s.addr(t)
	client := httpsClient(roots, addr)
	resp, err := client.Get(s.url + "healthz")
	if err != nil {
		t.Fatalf("HTTPS with the exported root: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("healthz: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	if _, err := httpsClient(nil, addr).Get(s.url + "healthz"); err == nil {
		t.Fatal("a client without the local root accepted the certificate")
	}
	redir := s.redirectAddr(t)
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = plain.Get("http://" + redir + "/api/v1/letters?q=x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := strings.TrimSuffix(s.url, "/") + "/api/v1/letters?q=x"; resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
		t.Fatalf("port 80: %d → %q, want 301 → %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}

	doc := instRun(t, nil, "doctor", "--config", cfgPath, "--listen", addr, "--http-listen", redir)
	for _, want := range []string{
		"OK          Configuration " + cfgPath + " valide.",
		"OK          Missive répond en HTTPS sur " + addr,
		"OK          Le port " + redir + " renvoie vers HTTPS.",
		"OK          Certificat servi par Missive pour " + testHost,
		"À CORRIGER  DNS: " + testHost + " ne se résout pas.",
	} {
		if !strings.Contains(doc.stdout, want) {
			t.Errorf("doctor output lacks %q", want)
		}
	}
	if doc.code != 1 {
		t.Errorf("doctor exit %d, want 1 (a point to fix)", doc.code)
	}
	s.stop(t)
	doc = instRun(t, nil, "doctor", "--config", cfgPath, "--listen", addr)
	if !strings.Contains(doc.stdout, "Personne n'écoute sur "+addr+": Missive est arrêté.") || doc.code != 1 {
		t.Errorf("doctor on a stopped server: exit %d\n%s", doc.code, doc.stdout)
	}
	if t.Failed() {
		t.Logf("doctor:\n%s", doc.stdout)
	}
}

// TestQuickstartRollsBack fails half-way (the certificate files name
// another server) and checks that everything written was removed, the
// packaged config put back, and the journal kept.
func TestQuickstartRollsBack(t *testing.T) {
	t.Parallel()
	dir := instDir(t)
	certFile, keyFile := writeCert(t, dir, "www.autre-ville.test")
	etc := filepath.Join(dir, "etc")
	cfgPath := filepath.Join(etc, "missive.toml")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, installer.PackagedConfig, 0o640); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "var", "lib", "missive")
	r := instRun(t, nil, "quickstart", "--hostname", testHost, "--tls", "files", "--cert", certFile, "--key", keyFile,
		"--data", data, "--config", cfgPath, "--no-service", "--listen", "127.0.0.1:0")
	if r.code != 1 || !strings.Contains(r.stderr, "ne couvre pas "+testHost) || !strings.Contains(r.stderr, "Tout ce qu'elle avait écrit a été retiré") {
		t.Fatalf("quickstart: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "var")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the folders quickstart created are still there: %v", err)
	}
	if b, _ := os.ReadFile(cfgPath); !bytes.Equal(b, installer.PackagedConfig) {
		t.Fatalf("the packaged config was not put back:\n%s", b)
	}
	m := regexp.MustCompile(`Journal: (\S+)`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no journal path in:\n%s", r.stderr)
	}
	t.Cleanup(func() { os.Remove(m[1]) })
	logb, err := os.ReadFile(m[1])
	if err != nil || !strings.Contains(string(logb), "annulé: remplacer "+cfgPath) || !strings.Contains(string(logb), "annulé: créer "+filepath.Join(dir, "var")) {
		t.Fatalf("journal %s: %v\n%s", m[1], err, logb)
	}
	// Valid files for the right name: the same command succeeds.
	certFile, keyFile = writeCert(t, dir, testHost)
	r = instRun(t, nil, "quickstart", "--hostname", testHost, "--tls", "files", "--cert", certFile, "--key", keyFile,
		"--data", data, "--config", cfgPath, "--no-service", "--listen", "127.0.0.1:0")
	if r.code != 0 {
		t.Fatalf("quickstart with matching files: exit %d\n%s", r.code, r.stderr)
	}
}

func writeCert(t *testing.T, dir, host string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalPKCS8PrivateKey(key)
	c, k := filepath.Join(dir, host+".crt"), filepath.Join(dir, host+".key")
	os.WriteFile(c, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(k, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
	return c, k
}

// TestQuickstartACMEPebble installs with tls = acme against Pebble and
// checks that serve obtains its certificate and serves a chain that
// verifies from Pebble's root. (Challenges themselves are answered for
// real in appliance/tlsconf's tests; here the ports are only known once
// serve runs, so Pebble takes them as valid.)
func TestQuickstartACMEPebble(t *testing.T) {
	t.Parallel()
	dir := instDir(t)
	serveACMEPebble(t, dir).stop(t)
	// A single node keeps it in its data dir.
	if _, err := os.Stat(filepath.Join(dir, "data", "tls", "certificates")); err != nil {
		t.Fatalf("the certificate is not in DATA/tls: %v", err)
	}
}

// serveACMEPebble installs in dir with tls = acme against a Pebble of its
// own, runs serve (with serveArgs) and waits until it serves a chain that
// verifies from Pebble's root.
func serveACMEPebble(t *testing.T, dir string, serveArgs ...string) *instServer {
	t.Helper()
	pebble := pebbletest.Start(t, pebbletest.Options{Hostname: testHost, AlwaysValid: true})
	root := filepath.Join(dir, "acme-root.pem")
	if err := os.WriteFile(root, pebble.DirectoryRootsPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath, r := runQuickstartT(t, dir, "--tls", "acme", "--acme-directory", pebble.Directory, "--acme-root", root, "--acme-email", "dsi@ville.test")
	if strings.Contains(r.stdout, "injoignable") {
		t.Fatalf("quickstart did not reach Pebble's directory:\n%s", r.stdout)
	}
	s := instServe(t, nil, append([]string{"--config", cfgPath}, serveArgs...)...)
	client := httpsClient(pebble.Roots(), s.addr(t))
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := client.Get(s.url + "healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("healthz: %d", resp.StatusCode)
			}
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("no certificate from Pebble verified: %v\n%s", err, s.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestServeNotifiesSystemd gives serve a notification socket as systemd
// does for Type=notify with WatchdogSec=, and wants READY=1, regular
// WATCHDOG=1 and STOPPING=1 on SIGTERM.
func TestServeNotifiesSystemd(t *testing.T) {
	t.Parallel()
	dir := instDir(t)
	sock := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msgs := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	s := instServe(t, []string{"NOTIFY_SOCKET=" + sock, "WATCHDOG_USEC=200000"}, "--data", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0")
	if !strings.HasPrefix(s.url, "http://127.0.0.1:") {
		t.Fatalf("without TLS serve must stay plain HTTP on loopback, got %s", s.url)
	}
	want := func(prefix string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case m := <-msgs:
				if strings.HasPrefix(m, prefix) {
					return
				}
			case <-timeout:
				t.Fatalf("no %s notification", prefix)
			}
		}
	}
	want("READY=1\nSTATUS=" + s.url)
	want("WATCHDOG=1")
	want("WATCHDOG=1")
	s.cmd.Process.Signal(syscall.SIGTERM)
	want("STOPPING=1")
	<-s.done
}

// TestServeDropsPrivileges starts serve as root with user = nobody: it
// binds its port, then runs as nobody. CI runs as root.
func TestServeDropsPrivileges(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Fatal("this test starts missive as root and checks it drops to another account: run the tests as root (CI does)")
	}
	nobody, err := installer.LookupAccount("nobody")
	if err != nil {
		t.Fatalf("account nobody: %v", err)
	}
	dir := instDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(data, nobody.UID, nobody.GID); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "missive.toml")
	if err := os.WriteFile(cfgPath, []byte("data = \""+data+"\"\nlisten = \"127.0.0.1:0\"\nuser = \"nobody\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := instServe(t, nil, "--config", cfgPath)
	status, err := os.ReadFile(filepath.Join("/proc", itoa(s.cmd.Process.Pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	uid := regexp.MustCompile(`(?m)^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)`).FindStringSubmatch(string(status))
	if uid == nil || uid[1] != itoa(nobody.UID) || uid[2] != itoa(nobody.UID) || uid[3] != itoa(nobody.UID) {
		t.Fatalf("serve runs as %v, want every uid %d", uid, nobody.UID)
	}
	resp, err := http.Get(s.url + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz as nobody: %d", resp.StatusCode)
	}
	fi, err := os.Stat(filepath.Join(data, "missive.db"))
	if err != nil {
		t.Fatal(err)
	}
	if owner, _ := installer.FileOwner(fi); owner != nobody.UID {
		t.Fatalf("missive.db owned by %d, want %d", owner, nobody.UID)
	}
	s.stop(t)

	// A data dir the account does not own is refused with the fix.
	if err := os.Chown(data, 0, 0); err != nil {
		t.Fatal(err)
	}
	r := instRun(t, nil, "serve", "--config", cfgPath)
	if r.code != 1 || !strings.Contains(r.stderr, "chown -R nobody:") {
		t.Fatalf("serve on a root-owned data dir: exit %d\n%s", r.code, r.stderr)
	}
}

// TestServiceWithoutSystemd: CI has no systemd; the service commands say
// so plainly. Where systemd runs, status answers.
func TestServiceWithoutSystemd(t *testing.T) {
	t.Parallel()
	r := instRun(t, nil, "service", "status")
	if installer.SystemdRunning() {
		if r.code != 0 || !strings.HasPrefix(r.stdout, "Service missive: ") {
			t.Fatalf("service status: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		return
	}
	if r.code != 1 || !strings.Contains(r.stderr, "systemd ne tourne pas") {
		t.Fatalf("service status without systemd: exit %d\n%s", r.code, r.stderr)
	}
	r = instRun(t, nil, "quickstart", "--hostname", testHost, "--tls", "internal", "--data", filepath.Join(instDir(t), "d"), "--config", filepath.Join(instDir(t), "c.toml"))
	if os.Geteuid() == 0 && (r.code != 2 || !strings.Contains(r.stderr, "--no-service")) {
		t.Fatalf("quickstart without systemd: exit %d\n%s", r.code, r.stderr)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestDoctorMailConnections: doctor connects to the configured outgoing
// relay as the bridge will, and says when it cannot.
func TestDoctorMailConnections(t *testing.T) {
	t.Parallel()
	dir := instDir(t)
	cfgPath, _ := runQuickstartT(t, dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, "220 relais.test ESMTP\r\n")
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if r := instRun(t, nil, "mail", "relay", "set", "--config", cfgPath, "--host", "127.0.0.1", "--port", port); r.code != 0 {
		t.Fatalf("mail relay set: %s", r.stderr)
	}
	doc := instRun(t, nil, "doctor", "--config", cfgPath)
	if want := "OK          Relais SMTP de default joignable (127.0.0.1:" + port + ", plain)."; !strings.Contains(doc.stdout, want) {
		t.Fatalf("doctor lacks %q:\n%s", want, doc.stdout)
	}
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	_, closedPort, _ := net.SplitHostPort(closed.Addr().String())
	closed.Close()
	if r := instRun(t, nil, "mail", "relay", "set", "--config", cfgPath, "--host", "127.0.0.1", "--port", closedPort, "--starttls"); r.code != 0 {
		t.Fatalf("mail relay set: %s", r.stderr)
	}
	doc = instRun(t, nil, "doctor", "--config", cfgPath)
	if want := "À CORRIGER  Relais SMTP de default (127.0.0.1:" + closedPort + "):"; !strings.Contains(doc.stdout, want) || doc.code != 1 {
		t.Fatalf("doctor: exit %d, lacks %q:\n%s", doc.code, want, doc.stdout)
	}
}
