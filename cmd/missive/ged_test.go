//go:build !bench

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGEDExportThroughControlSocket: `missive ged set` reaches the running
// server through its control socket (the password on stdin), a letter
// closed through the API arrives in the GED (rclone's WebDAV server, the
// real peer), and the letter's exports say where it went.
func TestGEDExportThroughControlSocket(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("rclone"); err != nil {
		t.Fatal("rclone introuvable: installez le paquet Debian rclone (voir scripts/deps, lancé par make test)")
	}
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "Courrier"), 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	rc := exec.Command("rclone", "serve", "webdav", root, "--addr", addr, "--user", "ged", "--pass", "motdepasse-ged-1", "--config", filepath.Join(root, "rclone.conf"))
	if err := rc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Process.Kill(); rc.Wait() })

	data := newDataDir(t)
	s := startMissive(t, data)
	gedURL := "http://" + addr + "/Courrier/"
	out := mustMissive(t, "motdepasse-ged-1\n", "ged", "set", "--data", data, "--tenant", "default", "--url", gedURL, "--user", "ged", "--password-stdin")
	if !strings.Contains(out, gedURL) {
		t.Errorf("ged set said %q", out)
	}
	if r := runMissive(t, "", "ged", "set", "--data", data, "--url", "ftp://ged/"); r.code != 2 {
		t.Errorf("an ftp URL: exit %d, want 2\n%s", r.code, r.stderr)
	}
	if st := mustMissive(t, "", "ged", "status", "--data", data); !strings.Contains(st, gedURL) || strings.Contains(st, "motdepasse") {
		t.Errorf("ged status: %q", st)
	}

	tok := s.token("admin")
	var l apiLetter
	s.must(201, "POST", "/api/v1/letters", tok, map[string]any{"category": "incoming", "subject": "Demande de banc public"}, &l)
	scan := []byte("%PDF-1.4 scan du courrier\n")
	req, _ := http.NewRequest("POST", s.url+"/api/v1/letters/"+l.ID+"/documents?name=scan.pdf&role=main", bytes.NewReader(scan))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := apiClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("upload: %v %v", resp, err)
	}
	resp.Body.Close()
	s.must(200, "POST", "/api/v1/letters/"+l.ID+"/actions/close", tok, map[string]any{"note": "Traité"}, nil)

	folder := filepath.Join(root, "Courrier", l.Number[:4], strings.ReplaceAll(l.Number, "/", "-"))
	deadline := time.Now().Add(30 * time.Second)
	for {
		var exports []struct{ Status, Location, LastError string }
		s.must(200, "GET", "/api/v1/letters/"+l.ID+"/exports", tok, nil, &exports)
		if len(exports) == 1 && exports[0].Status == "done" {
			if want := gedURL + l.Number[:4] + "/" + strings.ReplaceAll(l.Number, "/", "-") + "/"; exports[0].Location != want {
				t.Errorf("location %q, want %q", exports[0].Location, want)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not exported after 30 s: %+v\nstderr: %s", exports, s.stderr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got, err := os.ReadFile(filepath.Join(folder, "scan.pdf")); err != nil || !bytes.Equal(got, scan) {
		t.Fatalf("scan.pdf in the GED: %q, %v", got, err)
	}
	var meta struct {
		NumeroChrono string `json:"numero_chrono"`
	}
	b, err := os.ReadFile(filepath.Join(folder, "metadata.json"))
	if err != nil || json.Unmarshal(b, &meta) != nil || meta.NumeroChrono != l.Number {
		t.Fatalf("metadata.json: %s, %v", b, err)
	}
	_, hist, err := s.call("GET", "/api/v1/history?per_page=500", tok, nil)
	if err != nil || !bytes.Contains(hist, []byte("ged.target.set")) || bytes.Contains(hist, []byte("motdepasse-ged-1")) {
		t.Errorf("history: %v\n%s", err, hist)
	}
	if strings.Contains(fmt.Sprint(s.stderr), "motdepasse-ged-1") {
		t.Error("the GED password is in the server's log")
	}
	s.stop()
}
