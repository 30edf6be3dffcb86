//go:build !bench

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMailCommands: the mail settings commands, on a stopped data dir
// (opened directly) and through a running server's control socket, with
// their refusals.
func TestMailCommands(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	startMissive(t, data).stop()

	out := mustMissive(t, "", "mail", "address", "add", "--data", data, "--tenant", "default", "mairie@ville.test")
	if !strings.Contains(out, "mairie@ville.test") {
		t.Errorf("address add said %q", out)
	}
	if r := runMissive(t, "", "mail", "address", "add", "--data", data, "mairie@ville.test"); r.code != 4 {
		t.Errorf("a second add of one address: exit %d, want 4 (conflict)\n%s", r.code, r.stderr)
	}
	if r := runMissive(t, "", "mail", "address", "add", "--data", data, "pas-une-adresse"); r.code != 2 {
		t.Errorf("an invalid address: exit %d, want 2\n%s", r.code, r.stderr)
	}
	mustMissive(t, "motdepasse-relais\n", "mail", "relay", "set", "--data", data, "--tenant", "default", "--host", "smtp.ville.test", "--port", "587",
		"--starttls", "--user", "missive", "--password-stdin", "--from", "mairie@ville.test")
	if r := runMissive(t, "", "mail", "relay", "set", "--data", data, "--host", "smtp.ville.test", "--port", "0"); r.code != 2 {
		t.Errorf("port 0: exit %d, want 2", r.code)
	}
	if r := runMissive(t, "", "mail", "mailbox", "add", "--data", data, "--host", "imap.ville.test", "--user", "courrier"); r.code != 2 {
		t.Errorf("a mailbox without --password-stdin: exit %d, want 2", r.code)
	}

	mustMissive(t, "", "mail", "rule", "add", "--data", data, "--keywords", "cantine, école", "--doctype", "RECLAMATION")
	if r := runMissive(t, "", "mail", "rule", "add", "--data", data, "--keywords", "x", "--entity", "NOPE"); r.code != 3 {
		t.Errorf("a rule to an unknown entity: exit %d, want 3", r.code)
	}
	mustMissive(t, "", "mail", "ack", "set", "--data", data, "--policy", "qualified")
	mustMissive(t, "", "mail", "ack", "set", "--data", data, "--doctype", "RECLAMATION", "--policy", "never")
	if r := runMissive(t, "", "mail", "ack", "set", "--data", data, "--policy", "parfois"); r.code != 2 {
		t.Errorf("an unknown policy: exit %d, want 2", r.code)
	}

	s := startMissive(t, data)
	mustMissive(t, "motdepasse-imap\n", "mail", "mailbox", "add", "--data", data, "--tenant", "default", "--host", "imap.ville.test", "--port", "993",
		"--tls", "--user", "courrier", "--password-stdin", "--folder", "INBOX", "--done", "Traités")
	status := mustMissive(t, "", "mail", "status", "--data", data)
	for _, want := range []string{"mairie@ville.test", "smtp.ville.test:587 (starttls)", "courrier@imap.ville.test:993 INBOX → Traités (tls)"} {
		if !strings.Contains(status, want) {
			t.Errorf("mail status lacks %q:\n%s", want, status)
		}
	}
	if strings.Contains(status, "motdepasse") {
		t.Errorf("mail status shows a password:\n%s", status)
	}
	// At rest the passwords are sealed: no file of the data dir (database,
	// WAL, raft log, snapshots) holds them; the key is the service's alone.
	if fi, err := os.Stat(filepath.Join(data, "secrets.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("secrets.key: %v %v", fi, err)
	}
	filepath.Walk(data, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || fi.Mode()&os.ModeSocket != 0 {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil && (bytes.Contains(b, []byte("motdepasse-imap")) || bytes.Contains(b, []byte("motdepasse-relais"))) {
			t.Errorf("%s holds a mail password in clear", p)
		}
		return nil
	})
	admin := s.token("admin")
	var hist []struct{ Kind, Payload string }
	s.must(200, "GET", "/api/v1/history?per_page=500", admin, nil, &hist)
	if len(hist) == 0 {
		t.Fatal("no history")
	}
	for _, e := range hist {
		if strings.Contains(e.Payload, "motdepasse") {
			t.Errorf("history entry %s keeps a password: %s", e.Kind, e.Payload)
		}
	}
	s.stop()
}
