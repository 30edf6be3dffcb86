//go:build bench

package main

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"missive/backup/backuptest"
)

const (
	davFiles = 1000
	davTime  = 3 * time.Second
)

// davTarget is a WebDAV server measured: the folder's URL (with its
// trailing slash) and the basic credentials.
type davTarget struct {
	base, login, pw string
}

// benchPeersDAV is the share of the built binary (an agent's working
// folder, over raft) against `rclone serve webdav` serving the same files
// from a plain folder, both with basic authentication, one client: a
// PROPFIND of depth 1 on a folder of 1,000 documents, the GET and the PUT
// of a 1 MB document (a new content each time, so each PUT is a new
// version on Missive's side), interleaved round by round.
func benchPeersDAV(t *testing.T, bin string, rounds int) []peerRow {
	data := t.TempDir()
	srv := startServer(t, bin, data, "")
	m := davTarget{srv.url + "/dav/default/~admin/", "admin", benchPassword}
	w := backuptest.StartWebDAV(t)
	login, addr, _ := strings.Cut(strings.TrimPrefix(w.URL, "webdav+http://"), "@")
	r := davTarget{"http://" + addr, login, w.Password}

	big := make([]byte, 1<<20)
	rand.Read(big)
	m.must(t, "MKCOL", "dossier/", nil)
	if err := os.Mkdir(filepath.Join(w.Dir, "dossier"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range files {
				name, content := fmt.Sprintf("dossier/courrier-%04d.odt", i), []byte(fmt.Sprintf("projet de réponse n° %d", i))
				m.must(t, "PUT", name, content)
				if err := os.WriteFile(filepath.Join(w.Dir, name), content, 0o644); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for i := range davFiles {
		files <- i
	}
	close(files)
	wg.Wait()
	m.must(t, "PUT", "gros.odt", big)
	if err := os.WriteFile(filepath.Join(w.Dir, "gros.odt"), big, 0o644); err != nil {
		t.Fatal(err)
	}

	ops := []struct {
		name string
		do   func(d davTarget)
	}{
		{fmt.Sprintf("WebDAV PROPFIND profondeur 1, %d fichiers, requêtes/s (rclone serve webdav)", davFiles),
			func(d davTarget) { d.must(t, "PROPFIND", "dossier/", nil, "Depth", "1") }},
		{"WebDAV GET 1 Mo, requêtes/s (rclone serve webdav)", func(d davTarget) { d.must(t, "GET", "gros.odt", nil) }},
		{"WebDAV PUT 1 Mo, requêtes/s (rclone serve webdav)", func(d davTarget) { big[0]++; d.must(t, "PUT", "gros.odt", big) }},
	}
	rates := make([][2][]float64, len(ops))
	for round := range rounds {
		for i, op := range ops {
			for j, d := range []davTarget{m, r} {
				n, start := 0, time.Now()
				for time.Since(start) < davTime {
					op.do(d)
					n++
				}
				rates[i][j] = append(rates[i][j], float64(n)/time.Since(start).Seconds())
			}
			t.Logf("tour %d, %s: Missive %.1f/s, rclone %.1f/s", round+1, op.name, rates[i][0][round], rates[i][1][round])
		}
	}
	var rows []peerRow
	for i, op := range ops {
		rows = append(rows, peerRow{op.name, benchMedian(rates[i][0]), benchMedian(rates[i][1]), "%.1f", true})
	}
	return rows
}

// must sends one request and fails the test on an error status.
func (d davTarget) must(t *testing.T, method, path string, body []byte, hdr ...string) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, d.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(d.login, d.pw)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, d.base+path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %s", method, d.base+path, resp.Status)
	}
}
