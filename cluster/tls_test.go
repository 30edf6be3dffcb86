package cluster_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"testing"
	"time"

	"missive/appliance/apptest"
	"missive/appliance/tlsconf"
	"missive/appliance/tlsconf/pebbletest"
)

// TestOneACMEOrderForTheCluster: two nodes of one cluster, each with the
// replicated TLS storage, start managing the same hostname at the same
// moment against Pebble. The ACME order is made once, cluster-wide (the
// lock certmagic takes around it is one lock through the log), and both
// nodes serve the one certificate it gave. With a storage per node
// (FileStorage), each orders its own: two orders.
func TestOneACMEOrderForTheCluster(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 2)
	h.startAll()
	const name = "cluster.courrier.test"
	type site struct {
		https, http net.Listener
		m           *tlsconf.Manager
	}
	sites := make([]*site, len(h.nodes))
	for i := range sites {
		s := &site{}
		var err error
		if s.https, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if s.http, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		sites[i] = s
	}
	httpPort := func(s *site) int { return s.http.Addr().(*net.TCPAddr).Port }
	// The CA validates at the first node's HTTP port, whichever node
	// ordered: the challenge is where every node finds it.
	ca := pebbletest.Start(t, pebbletest.Options{Hostname: name, HTTPPort: httpPort(sites[0])})
	for i, s := range sites {
		tn := h.nodes[i]
		m, err := tlsconf.New(tlsconf.Options{
			Mode: tlsconf.ModeACME, Hostname: name, Email: "dsi@ville.test",
			Storage:    tlsconf.Replicated(tn.svc, tn.name, apptest.Logger()),
			ListenHost: "127.0.0.1", HTTPPort: httpPort(s),
			Directory: ca.Directory, Roots: ca.DirectoryRoots, Log: apptest.Logger().With("node", tn.name),
		})
		if err != nil {
			t.Fatal(err)
		}
		s.m = m
		t.Cleanup(m.Close)
		hs := &http.Server{Handler: http.NotFoundHandler(), TLSConfig: m.TLSConfig()}
		hc := &http.Server{Handler: m.HTTPHandler(http.NotFoundHandler())}
		go hs.ServeTLS(s.https, "", "")
		go hc.Serve(s.http)
		t.Cleanup(func() { hs.Close(); hc.Close() })
	}
	start := make(chan struct{})
	errs := make(chan error, len(sites))
	for _, s := range sites {
		go func() { <-start; errs <- s.m.Start(context.Background()) }()
	}
	close(start)
	for range sites {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range sites {
		apptest.Eventually(t, 90*time.Second, "a certificate on every node", func() bool { return s.m.Leaf() != nil })
	}
	if n := ca.Orders(); n != 1 {
		t.Fatalf("%d ACME orders for one name in one cluster, want 1", n)
	}
	var serials []string
	for i, s := range sites {
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.https.Addr().String(), &tls.Config{ServerName: name, RootCAs: ca.Roots()})
		if err != nil {
			t.Fatalf("%s: the served chain is not Pebble's: %v", h.nodes[i].name, err)
		}
		leaf := conn.ConnectionState().PeerCertificates[0]
		conn.Close()
		if !leaf.Equal(s.m.Leaf()) {
			t.Fatalf("%s serves another certificate than its manager's", h.nodes[i].name)
		}
		serials = append(serials, leaf.SerialNumber.String())
	}
	if serials[0] != serials[1] {
		t.Fatalf("the nodes serve two certificates: serials %v", serials)
	}
}
