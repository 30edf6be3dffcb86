package cluster

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"missive/appliance"
)

// nopApplier applies nothing; the mux tests need a running node only.
type nopApplier struct{}

func (nopApplier) Apply(uint64, []byte) any { return nil }
func (nopApplier) SnapshotTo() (func(io.Writer) error, func(), error) {
	return func(io.Writer) error { return nil }, func() {}, nil
}
func (nopApplier) Restore(io.Reader) error { return nil }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startNode(t *testing.T) *Node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	n, err := Open(Config{DataDir: t.TempDir(), Applier: nopApplier{}, Log: quiet(), Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := n.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	return n
}

// foreignCert is a node certificate of another cluster's CA.
func foreignCert(t *testing.T) tls.Certificate {
	t.Helper()
	caDER, caKey, err := newCA()
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := (&pki{ca: ca, caKey: caKey}).issue("intrus", key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key}
}

// try opens a service as a client with these certificates (none, or
// foreign, or the cluster's), sends one request line, and returns the
// first reply line or the error that ended the connection.
func try(t *testing.T, addr string, certs []tls.Certificate, s service, line string) (string, error) {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
		&tls.Config{InsecureSkipVerify: true, Certificates: certs, MinVersion: tls.VersionTLS13})
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(append([]byte{byte(s)}, line+"\n"...)); err != nil {
		return "", err
	}
	b := make([]byte, 4096)
	k, err := c.Read(b)
	if k > 0 {
		return string(b[:k]), nil
	}
	return "", err
}

// Nothing is accepted on the cluster port without a certificate of the
// cluster's CA, but a join; a foreign certificate gets nothing at all.
func TestClusterPortWantsTheClusterCertificate(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	status := `{"op":"status"}`
	join := `{"token":"x","node":"nouveau","address":"127.0.0.1:1","public_key":""}`

	// The control: a certificate of the cluster opens the rpc service.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := n.pki.issue("ami", key.Public())
	if err != nil {
		t.Fatal(err)
	}
	own := []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}
	got, err := try(t, n.addr, own, serviceRPC, status)
	var r reply
	if err != nil || json.Unmarshal([]byte(got), &r) != nil || r.Status == nil || r.Status.ID != n.ID() {
		t.Fatalf("status with the cluster's certificate: %q %v", got, err)
	}

	for _, s := range []service{serviceRaft, serviceRPC, serviceBlob, 99} {
		if got, err := try(t, n.addr, nil, s, status); err == nil || got != "" {
			t.Errorf("service %d without certificate answered %q (err %v), want the connection closed", s, got, err)
		}
	}
	got, err = try(t, n.addr, nil, serviceJoin, join)
	if err != nil || !strings.Contains(got, `"err"`) {
		t.Fatalf("join without certificate: %q %v, want a join reply (refused on its merits)", got, err)
	}

	foreign := []tls.Certificate{foreignCert(t)}
	for _, s := range []service{serviceRaft, serviceRPC, serviceJoin, serviceBlob} {
		if got, err := try(t, n.addr, foreign, s, status); err == nil || got != "" {
			t.Errorf("service %d with a foreign certificate answered %q (err %v), want the handshake refused", s, got, err)
		}
	}

	// And a node does not talk to a server of another CA.
	srv, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: foreign})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	go func() {
		if c, err := srv.Accept(); err == nil {
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	d := &dialer{tls: n.pki.clientTLS(), dial: netDial}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var uae x509.UnknownAuthorityError
	if _, err := d.open(ctx, srv.Addr().String(), serviceRPC); !errors.As(err, &uae) {
		t.Fatalf("dial to a server of another CA: %v, want an unknown authority", err)
	}
}

// The CA key is sealed with secrets.key and every key file is 0600.
func TestClusterKeysAtRest(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	dir := n.clusterDir()
	for _, f := range []string{caKeyFile, keyFile, stateFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, caKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if !appliance.IsSealed(strings.TrimSpace(string(b))) || strings.Contains(string(b), "PRIVATE KEY") {
		t.Fatalf("CA key stored unsealed: %.40q", b)
	}
	// Another secrets.key cannot open it.
	other, err := appliance.NewSecretBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loadPKI(dir, other); !errors.Is(err, appliance.ErrSecretKey) {
		t.Fatalf("CA key opened with another secrets.key: %v", err)
	}
}
