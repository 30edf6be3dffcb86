//go:build !bench

package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinaryClusterKeepsACMECertificateInTheStore: a node run as a cluster
// (--cluster-listen) obtains its ACME certificate into the replicated
// store, the private key sealed, and nothing into DATA/tls, where a single
// node keeps it (TestQuickstartACMEPebble).
func TestBinaryClusterKeepsACMECertificateInTheStore(t *testing.T) {
	t.Parallel()
	dir := instDir(t)
	serveACMEPebble(t, dir, "--cluster-listen", freeAddr(t)).stop(t)
	data := filepath.Join(dir, "data")
	if _, err := os.Stat(filepath.Join(data, "tls", "certificates")); err == nil || !os.IsNotExist(err) {
		t.Fatalf("a cluster node wrote its certificate to DATA/tls: %v", err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "missive.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT key, value FROM tls_assets`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
		if !strings.HasPrefix(v, "sealed:") || strings.Contains(v, "PRIVATE KEY") {
			t.Fatalf("%s is not sealed in the store: %.40q", k, v)
		}
	}
	var cert, key bool
	for _, k := range keys {
		cert = cert || strings.HasSuffix(k, "/"+testHost+".crt")
		key = key || strings.HasSuffix(k, "/"+testHost+".key")
	}
	if !cert || !key {
		t.Fatalf("the certificate and its key are not in the replicated store: %v", keys)
	}
}
