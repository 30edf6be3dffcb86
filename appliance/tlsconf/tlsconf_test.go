package tlsconf_test

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
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"missive/appliance/tlsconf"
	"missive/appliance/tlsconf/pebbletest"
)

const host = "courrier.test"

// frontend is what missive serve puts in front of the manager: HTTPS on
// one loopback port, HTTP (challenges, else a redirect) on another.
type frontend struct {
	https, http net.Listener
	host        string
}

func listen(t *testing.T) frontend {
	t.Helper()
	f := frontend{host: host}
	var err error
	if f.https, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if f.http, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	return f
}

func port(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }

func (f frontend) serve(t *testing.T, m *tlsconf.Manager) {
	t.Helper()
	site := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "site") })
	hs := &http.Server{Handler: site, TLSConfig: m.TLSConfig()}
	redirect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://"+f.host+r.URL.RequestURI(), http.StatusMovedPermanently)
	})
	h := &http.Server{Handler: m.HTTPHandler(redirect)}
	go hs.ServeTLS(f.https, "", "")
	go h.Serve(f.http)
	t.Cleanup(func() { hs.Close(); h.Close() })
}

// served is the leaf the HTTPS listener presents, verified with roots as a
// browser that trusts them would.
func served(t *testing.T, addr string, roots *x509.CertPool) (*x509.Certificate, error) {
	t.Helper()
	return servedAs(t, addr, host, roots)
}

func servedAs(t *testing.T, addr, name string, roots *x509.CertPool) (*x509.Certificate, error) {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{ServerName: name, RootCAs: roots})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0], nil
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(&tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tlogWriter struct{ t *testing.T }

func (w *tlogWriter) Write(p []byte) (int, error) {
	defer func() { recover() }() // certmagic may log after the test ended
	w.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

// TestACMEPebble obtains a certificate from Pebble with each challenge
// type, answered by the frontend's own listeners, verifies the served chain
// from Pebble's root, then waits for the automatic renewal of the
// short-lived certificate and checks the new one is served.
func TestACMEPebble(t *testing.T) {
	t.Parallel()
	for _, challenge := range []string{"http-01", "tls-alpn-01"} {
		t.Run(challenge, func(t *testing.T) {
			t.Parallel()
			// certmagic keeps the challenges being solved in a map global to
			// the process, keyed by name: the parallel subtests need their own.
			name := map[string]string{"http-01": "http01." + host, "tls-alpn-01": "alpn." + host}[challenge]
			f := listen(t)
			f.host = name
			o := pebbletest.Options{Hostname: name, Validity: 30}
			opts := tlsconf.Options{
				Mode: tlsconf.ModeACME, Hostname: name, Email: "dsi@ville.test",
				Storage: tlsconf.FileStorage(t.TempDir()), ListenHost: "127.0.0.1",
				RenewCheck: 200 * time.Millisecond, RenewalWindowRatio: 0.7, Log: testLog(t),
			}
			// Only one challenge is offered a way in, so the test proves that one.
			if challenge == "http-01" {
				o.HTTPPort, opts.HTTPPort = port(f.http), port(f.http)
			} else {
				o.TLSPort, opts.TLSPort = port(f.https), port(f.https)
			}
			ca := pebbletest.Start(t, o)
			opts.Directory, opts.Roots = ca.Directory, ca.DirectoryRoots
			m, err := tlsconf.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(m.Close)
			f.serve(t, m)
			if err := m.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the first certificate", 60*time.Second, func() bool { return m.Leaf() != nil })
			first, err := servedAs(t, f.https.Addr().String(), name, ca.Roots())
			if err != nil {
				t.Fatalf("chain not verified from Pebble's root: %v", err)
			}
			if first.Issuer.String() == first.Subject.String() || first.NotAfter.Sub(first.NotBefore) > time.Minute {
				t.Fatalf("unexpected certificate: issuer %s, valid %s", first.Issuer, first.NotAfter.Sub(first.NotBefore))
			}
			// The HTTP listener sends everything else to HTTPS.
			resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get("http://" + f.http.Addr().String() + "/letters?x=1")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "https://"+name+"/letters?x=1" {
				t.Fatalf("HTTP: %d %q, want a redirect to HTTPS", resp.StatusCode, resp.Header.Get("Location"))
			}
			waitFor(t, "the renewed certificate to be served", 60*time.Second, func() bool {
				c, err := servedAs(t, f.https.Addr().String(), name, ca.Roots())
				return err == nil && c.SerialNumber.Cmp(first.SerialNumber) != 0
			})
		})
	}
}

// TestInternalCA makes the local CA, serves a certificate it signed that
// verifies from the exported root, and renews it before it expires.
func TestInternalCA(t *testing.T) {
	t.Parallel()
	st := tlsconf.FileStorage(t.TempDir())
	ctx := context.Background()
	if _, err := tlsconf.CARoot(ctx, st); !errors.Is(err, tlsconf.ErrNoCA) {
		t.Fatalf("CARoot before InitCA: %v, want ErrNoCA", err)
	}
	if err := tlsconf.InitCA(ctx, st, host); err != nil {
		t.Fatal(err)
	}
	rootPEM, err := tlsconf.CARoot(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	// A second InitCA keeps the root the workstations already trust.
	if err := tlsconf.InitCA(ctx, st, host); err != nil {
		t.Fatal(err)
	}
	if again, _ := tlsconf.CARoot(ctx, st); !bytes.Equal(again, rootPEM) {
		t.Fatal("InitCA replaced an existing root")
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootPEM) {
		t.Fatal("exported root is not PEM")
	}
	f := listen(t)
	m, err := tlsconf.New(tlsconf.Options{Mode: tlsconf.ModeInternal, Hostname: host, Storage: st, Log: testLog(t),
		Lifetime: 6 * time.Second, RenewCheck: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	f.serve(t, m)
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	first, err := served(t, f.https.Addr().String(), roots)
	if err != nil {
		t.Fatalf("chain not verified from the exported root: %v", err)
	}
	if first.Subject.CommonName != host || len(first.DNSNames) != 1 || first.DNSNames[0] != host {
		t.Fatalf("leaf for %s %v, want %s only", first.Subject.CommonName, first.DNSNames, host)
	}
	// A client without the root refuses the certificate.
	if _, err := served(t, f.https.Addr().String(), x509.NewCertPool()); err == nil {
		t.Fatal("a client that does not trust the local root accepted its certificate")
	}
	root, _ := pem.Decode(rootPEM)
	rc, err := x509.ParseCertificate(root.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !rc.IsCA || len(rc.PermittedDNSDomains) != 1 || rc.PermittedDNSDomains[0] != host {
		t.Fatalf("root: CA %v, permitted %v: want a CA limited to %s", rc.IsCA, rc.PermittedDNSDomains, host)
	}
	waitFor(t, "the renewed certificate", 20*time.Second, func() bool {
		c, err := served(t, f.https.Addr().String(), roots)
		return err == nil && c.SerialNumber.Cmp(first.SerialNumber) != 0
	})
}

// TestFilesReload serves given files, picks up replaced ones, and keeps the
// previous certificate while the new pair does not load.
func TestFilesReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	roots := x509.NewCertPool()
	write := func(serial int64) {
		c, k := selfSigned(t, serial)
		roots.AddCert(c)
		writeFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
		writeFile(t, keyFile, k)
	}
	write(1)
	f := listen(t)
	logs := &captured{}
	m, err := tlsconf.New(tlsconf.Options{Mode: tlsconf.ModeFiles, Hostname: host, CertFile: certFile, KeyFile: keyFile, ReloadEvery: 20 * time.Millisecond, Log: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	f.serve(t, m)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	serialIs := func(n int64) func() bool {
		return func() bool {
			c, err := served(t, f.https.Addr().String(), roots)
			return err == nil && c.SerialNumber.Int64() == n
		}
	}
	if !serialIs(1)() {
		t.Fatal("the certificate file is not served")
	}
	write(2)
	waitFor(t, "the replaced certificate", 10*time.Second, serialIs(2))
	// A certificate without its key: the previous pair stays in service.
	c3, _ := selfSigned(t, 3)
	writeFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c3.Raw}))
	waitFor(t, "the failed reload to be logged", 10*time.Second, func() bool { return logs.has("do not load") })
	if !serialIs(2)() {
		t.Fatal("a half-replaced pair took the served certificate down")
	}
	write(4)
	waitFor(t, "the completed replacement", 10*time.Second, serialIs(4))
}

func TestFilesRefusesBadPair(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c1, _ := selfSigned(t, 1)
	_, k2 := selfSigned(t, 2)
	writeFile(t, filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c1.Raw}))
	writeFile(t, filepath.Join(dir, "key.pem"), k2)
	m, err := tlsconf.New(tlsconf.Options{Mode: tlsconf.ModeFiles, Hostname: host, CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem")})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Start(context.Background()); err == nil {
		t.Fatal("a certificate with another certificate's key was accepted")
	}
}

// captured keeps the messages logged, to wait for an event.
type captured struct {
	mu   sync.Mutex
	msgs []string
}

func (c *captured) Enabled(context.Context, slog.Level) bool { return true }
func (c *captured) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *captured) WithGroup(string) slog.Handler            { return c }
func (c *captured) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, r.Message)
	return nil
}

func (c *captured) has(sub string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.msgs {
		if strings.Contains(m, sub) {
			return true
		}
	}
	return false
}

func selfSigned(t *testing.T, serial int64) (*x509.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: host + " " + strconv.FormatInt(serial, 10)},
		DNSNames: []string{host}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	kb, _ := x509.MarshalPKCS8PrivateKey(key)
	return c, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})
}

// writeFile replaces a file with a new modification time even within the
// file system's timestamp granularity.
func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
