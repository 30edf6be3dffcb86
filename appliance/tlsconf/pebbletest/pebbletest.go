// Package pebbletest runs Pebble, Let's Encrypt's test ACME CA, inside a
// test process, on loopback, with a DNS resolver of its own so that the CA
// validates challenges against this machine's listeners for a made-up
// hostname. Pebble's nonce rejection stays at its default (a share of good
// nonces refused as bad), so clients must retry as they would against a
// real CA. Only tests import it.
package pebbletest

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"
)

// Options of one CA.
type Options struct {
	// Hostname resolves to 127.0.0.1 for the CA's validation.
	Hostname string
	// HTTPPort and TLSPort are where the CA sends HTTP-01 and TLS-ALPN-01
	// validation requests.
	HTTPPort, TLSPort int
	// AlwaysValid skips challenge validation (PEBBLE_VA_ALWAYS_VALID), for
	// black-box tests whose listener ports are not known in advance.
	AlwaysValid bool
	// Validity of issued certificates in seconds (0: Pebble's default).
	Validity uint64
}

// CA is a running Pebble.
type CA struct {
	// Directory is the ACME directory URL.
	Directory string
	// DirectoryRootsPEM signs the directory's HTTPS certificate.
	DirectoryRootsPEM []byte
	// DirectoryRoots is the same as a pool.
	DirectoryRoots *x509.CertPool
	ca             *ca.CAImpl
	orders         *atomic.Int64
}

// envMu serialises the environment Pebble's VA reads when it is created.
var envMu sync.Mutex

// Start runs a CA until the test ends; its log is printed if the test fails.
func Start(t testing.TB, o Options) *CA {
	t.Helper()
	logs := &syncBuffer{}
	logger := log.New(logs, "pebble ", log.Lmicroseconds)
	resolver := startDNS(t, o.Hostname)

	store := db.NewMemoryStore()
	profiles := map[string]ca.Profile{"default": {Description: "test", ValidityPeriod: o.Validity}}
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, profiles)

	envMu.Lock()
	// Pebble sleeps up to 5 s before each validation to mimic a real CA's
	// latency; that only slows tests down.
	os.Setenv("PEBBLE_VA_NOSLEEP", "1")
	if o.AlwaysValid {
		os.Setenv("PEBBLE_VA_ALWAYS_VALID", "1")
	}
	validator := va.New(logger, o.HTTPPort, o.TLSPort, false, resolver, store)
	os.Unsetenv("PEBBLE_VA_ALWAYS_VALID")
	envMu.Unlock()

	front := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 3, 5)
	orders := &atomic.Int64{}
	srv := httptest.NewTLSServer(countOrders(front.Handler(), orders))
	t.Cleanup(func() {
		srv.Close()
		if t.Failed() {
			t.Logf("Pebble log:\n%s", logs.String())
		}
	})
	rootPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return &CA{Directory: srv.URL + wfe.DirectoryPath, DirectoryRootsPEM: rootPEM, DirectoryRoots: pool, ca: authority, orders: orders}
}

// Orders is how many ACME orders the CA created.
func (c *CA) Orders() int64 { return c.orders.Load() }

// countOrders counts the orders created: a new order is answered 201 with
// its URL under /my-order/ (a request retried after a bad nonce is not
// counted twice).
func countOrders(h http.Handler, n *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&orderWriter{ResponseWriter: w, n: n}, r)
	})
}

type orderWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w *orderWriter) WriteHeader(code int) {
	if code == http.StatusCreated && strings.Contains(w.Header().Get("Location"), "/my-order/") {
		w.n.Add(1)
	}
	w.ResponseWriter.WriteHeader(code)
}

// Roots is the pool of Pebble's issuing root, to verify the chains it signs.
func (c *CA) Roots() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c.ca.GetRootCert(0).Cert)
	return p
}

// startDNS answers A queries for hostname with 127.0.0.1 (and nothing for
// other names) over TCP, as Pebble's VA asks.
func startDNS(t testing.TB, hostname string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	want := dns.Fqdn(hostname)
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		for _, q := range r.Question {
			if q.Qtype == dns.TypeA && dns.CanonicalName(q.Name) == dns.CanonicalName(want) {
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(127, 0, 0, 1)})
			}
		}
		w.WriteMsg(m)
	})
	srv := &dns.Server{Listener: ln, Handler: h}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return ln.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
