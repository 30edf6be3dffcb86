package share_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/apptest"
)

// The share side by side with rclone's WebDAV server serving the same
// files from a plain directory (make bench): a PROPFIND of depth 1 on a
// folder of 1,000 documents, and the GET and PUT of a 1 MB document.
// Compare the missive/… and rclone/… lines: ns/op of one over the other is
// the ratio.

const benchFiles = 1000

type benchTarget struct {
	name  string
	base  string // URL of the folder, with a trailing slash
	login string
	pw    string
}

func benchTargets(b *testing.B) []benchTarget {
	b.Helper()
	ctx := context.Background()
	f := newFixture(b)
	t, err := f.env.Svc.DavUserSpace(f.alice, "alice")
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	big := make([]byte, 1<<20)
	rand.Read(big)
	if err := f.env.Svc.DavMkcol(ctx, f.alice, t, "/dossier", nil); err != nil {
		b.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "dossier"), 0o755)
	for i := range benchFiles {
		name := fmt.Sprintf("courrier-%04d.odt", i)
		content := []byte(fmt.Sprintf("projet de réponse n° %d", i))
		blob, err := f.env.Svc.DavStore(name, bytes.NewReader(content))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.env.Svc.DavPut(ctx, f.alice, t, appliance.DavPutInput{Path: "/dossier/" + name, Blob: blob}); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "dossier", name), content, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	blob, err := f.env.Svc.DavStore("gros.odt", bytes.NewReader(big))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.env.Svc.DavPut(ctx, f.alice, t, appliance.DavPutInput{Path: "/gros.odt", Blob: blob}); err != nil {
		b.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "gros.odt"), big, 0o644)
	return []benchTarget{
		{name: "missive", base: f.srv.URL + "/dav/default/~alice/", login: "alice", pw: userPassword},
		{name: "rclone", base: startRclone(b, dir)},
	}
}

// startRclone serves dir with `rclone serve webdav` on a free loopback port.
func startRclone(b *testing.B, dir string) string {
	b.Helper()
	bin, err := exec.LookPath("rclone")
	if err != nil {
		b.Fatalf("rclone is not installed (apt-get install rclone): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "webdav", dir, "--addr", addr, "--config", filepath.Join(b.TempDir(), "rclone.conf"))
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "http://" + addr + "/"
	for range 100 {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return url
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatal("rclone serve webdav did not start")
	return ""
}

func (t benchTarget) do(b *testing.B, method, path string, body []byte, hdr ...string) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, t.base+path, rd)
	if err != nil {
		b.Fatal(err)
	}
	if t.login != "" {
		req.SetBasicAuth(t.login, t.pw)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		b.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
	b.SetBytes(max(n, int64(len(body))))
}

func BenchmarkShare(b *testing.B) {
	targets := benchTargets(b)
	big := make([]byte, 1<<20)
	rand.Read(big)
	for _, t := range targets {
		b.Run("PropfindDepth1-1000/"+t.name, func(b *testing.B) {
			for b.Loop() {
				t.do(b, "PROPFIND", "dossier/", nil, "Depth", "1")
			}
		})
		b.Run("Get1MB/"+t.name, func(b *testing.B) {
			for b.Loop() {
				t.do(b, "GET", "gros.odt", nil)
			}
		})
		b.Run("Put1MB/"+t.name, func(b *testing.B) {
			for b.Loop() {
				// A new content each time: each PUT is a new version.
				big[0]++
				t.do(b, "PUT", "gros.odt", big)
			}
		})
	}
}

// BenchmarkRootListing is the PROPFIND of depth 1 a file manager sends on
// opening the share: one folder per open letter the user may act on.
func BenchmarkRootListing(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	for i := range 300 {
		if _, err := f.env.Svc.RegisterLetter(ctx, f.env.Admin, appliance.RegisterInput{Category: "incoming", Subject: fmt.Sprintf("Demande %d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	t := benchTarget{name: "missive", base: f.srv.URL + "/dav/default/", login: "admin", pw: apptest.AdminPassword}
	for b.Loop() {
		t.do(b, "PROPFIND", "", nil, "Depth", "1")
	}
}
