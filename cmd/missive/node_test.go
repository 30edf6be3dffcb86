//go:build !bench

package main

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"missive/appliance/apptest"
	"missive/appliance/config"
)

// silentPostgres accepts connections and never answers, like a database
// server that hangs: a store open on it fails after connect_timeout.
func silentPostgres(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	return "postgres://missive@" + ln.Addr().String() + "/missive?sslmode=disable&connect_timeout=3"
}

// The store opening fails after raft has entries to replay (here: a
// database that hangs then times out, with a data dir whose log holds the
// bootstrap). Raft used to start before the store and wait for it forever
// once it had replayed an entry, so the start hung in Close instead of
// failing; now the store opens before raft starts and its error is the
// start's, the data dir released.
func TestOpenNodeFailsWhenStoreFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := config.Default()
	cfg.Data = newDataDir(t)
	n, err := openNode(ctx, cfg, apptest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	if err := n.svc.Bootstrap(ctx, "Commune", apptest.AdminPassword); err != nil {
		t.Fatal(err)
	}
	n.close()

	bad := cfg
	bad.DB = silentPostgres(t)
	type result struct {
		n   *node
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := openNode(ctx, bad, apptest.Logger())
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		if r.err == nil {
			r.n.close()
			t.Fatal("openNode succeeded on a database that never answers")
		}
		var ee *exitError
		if errors.As(r.err, &ee) {
			t.Fatalf("store failure reported as %q, want the store's error", ee.msg)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("openNode still running 90 s after a store that fails in 3 s: it hangs")
	}
	// Nothing is left holding the data dir.
	n, err = openNode(ctx, cfg, apptest.Logger())
	if err != nil {
		t.Fatalf("reopen after the failed start: %v", err)
	}
	n.close()
}
