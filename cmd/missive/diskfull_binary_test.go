//go:build !bench

package main

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// smallDisk mounts a tmpfs of size (e.g. "64m") for the test: a disk that
// fills quickly.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	mnt, err := os.MkdirTemp("", "mvdisk-")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs (the test runs as root): %v\n%s", err, out)
	}
	t.Cleanup(func() {
		exec.Command("umount", "-l", mnt).Run()
		os.Remove(mnt)
	})
	return mnt
}

// fill writes a file until the disk refuses.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = io.Copy(f, io.LimitReader(zeros{}, 1<<40))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filling the disk: %v, want ENOSPC", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// After a clean stop on a full disk the server would not start again
// (recording the version file failed). It starts read-only: reads served,
// writes refused with the reason (API 503 with Retry-After, the pages),
// /readyz not ready; with room again, a restart takes writes.
func TestBinaryStartsReadOnlyOnAFullDisk(t *testing.T) {
	t.Parallel()
	mnt := smallDisk(t, "64m")
	data := filepath.Join(mnt, "data")
	s := startMissive(t, data)
	tok := s.token("admin")
	s.registerLetters(tok, 3, "Avant")
	s.stop()
	filler := filepath.Join(mnt, "remplissage")
	fill(t, filler)

	s = startMissive(t, data)
	if !strings.Contains(s.stdout.String(), "en lecture seule") || !strings.Contains(s.stdout.String(), "Disque plein") {
		t.Fatalf("a start on a full disk does not say it is read-only:\n%s", s.stdout)
	}
	if n := len(s.allLetters(tok)); n != 3 {
		t.Fatalf("read-only node lists %d letters, want 3", n)
	}
	code, body, hdr, err := s.callHeader("POST", "/api/v1/letters", tok, "", map[string]any{"category": "incoming", "subject": "Pendant"})
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Error string }
	json.Unmarshal(body, &e)
	if code != 503 || hdr.Get("Retry-After") == "" || !strings.Contains(e.Error, "Disque plein") || !strings.Contains(e.Error, "redémarrez") {
		t.Fatalf("write on a read-only node: %d Retry-After %q %s; want 503 saying why", code, hdr.Get("Retry-After"), body)
	}
	if code := s.readyz(); code == 200 {
		t.Fatalf("/readyz of a read-only node: %d, want not ready", code)
	}
	resp, err := apiClient.Get(s.url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `id="read-only"`) || !strings.Contains(string(page), "Disque plein") {
		t.Fatalf("the login page does not say why writes are refused:\n%s", page)
	}
	s.stop()

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	s = startMissive(t, data)
	if strings.Contains(s.stdout.String(), "lecture seule") {
		t.Fatalf("with room again the server still starts read-only:\n%s", s.stdout)
	}
	s.registerLetters(tok, 1, "Après")
	if n := len(s.allLetters(tok)); n != 4 {
		t.Fatalf("after the restart: %d letters, want 4", n)
	}
	s.stop()
}
