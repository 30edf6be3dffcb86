package main

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"missive/appliance/store"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

// TestDevSeed seeds an empty data dir through the real raft node, as a
// developer would, then checks that a second seeding adds to it and that
// the history chain holds.
func TestDevSeed(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"MISSIVE_ADMIN_PASSWORD": "motdepasse-admin-1"}
	code, out, errs := runCLI(t, env, "dev", "seed", "--data", data, "--letters", "40", "--workers", "2")
	if code != 0 || !strings.Contains(out, "40 courriers enregistrés") || !strings.Contains(out, "Comptes de démonstration créés") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "40/40 courriers (100 %)") {
		t.Errorf("no final progress line:\n%s", errs)
	}
	code, out, errs = runCLI(t, env, "dev", "seed", "--data", data, "--letters", "20", "--seed", "2")
	if code != 0 || !strings.Contains(out, "20 courriers enregistrés") || strings.Contains(out, "mot de passe") {
		t.Fatalf("second seeding: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	code, out, errs = runCLI(t, nil, "history", "verify", "--data", data)
	if code != 0 || !strings.Contains(out, "Historique intègre") {
		t.Fatalf("history verify: exit %d\n%s%s", code, out, errs)
	}
}

// TestDevSeedBatch seeds with the commands applied in batches without
// raft, then through raft again: the second seeding is only applied if
// the raft state was made again after the store (an entry at an index the
// store already applied would be skipped), and the history chain of both
// holds.
func TestDevSeedBatch(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"MISSIVE_ADMIN_PASSWORD": "motdepasse-admin-1"}
	code, out, errs := runCLI(t, env, "dev", "seed", "--data", data, "--letters", "150", "--batch", "100")
	if code != 0 || !strings.Contains(out, "150 courriers enregistrés") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	code, out, errs = runCLI(t, env, "dev", "seed", "--data", data, "--letters", "20", "--seed", "2")
	if code != 0 || !strings.Contains(out, "20 courriers enregistrés") {
		t.Fatalf("seeding through raft after the batches: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	st, err := store.Open(context.Background(), "", data)
	if err != nil {
		t.Fatal(err)
	}
	_, n, err := st.Reader().Letters(context.Background(), store.Perimeter{TenantID: "default", All: true}, store.LetterFilter{Limit: 1})
	st.Close()
	if err != nil || n != 170 {
		t.Fatalf("%d letters (%v), want 170", n, err)
	}
	code, out, errs = runCLI(t, nil, "history", "verify", "--data", data)
	if code != 0 || !strings.Contains(out, "Historique intègre") {
		t.Fatalf("history verify: exit %d\n%s%s", code, out, errs)
	}
}

func TestDevSeedRefusesARunningServer(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	// A listener on the control socket is what a running server looks like.
	ln, err := net.Listen("unix", filepath.Join(data, "control.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, errs := runCLI(t, nil, "dev", "seed", "--data", data, "--letters", "10")
	if code != 1 || !strings.Contains(errs, "un serveur missive utilise le dossier") {
		t.Fatalf("exit %d, stderr:\n%s", code, errs)
	}
	if matches, _ := filepath.Glob(filepath.Join(data, "raft")); len(matches) != 0 {
		t.Error("the refused seeding touched the data dir")
	}
}

func TestDevArguments(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"dev", "seed", "--data", t.TempDir()}, 2, "--letters est obligatoire"},
		{[]string{"dev", "seed", "--data", t.TempDir(), "--letters", "5", "--workers", "0"}, 2, "--workers"},
		{[]string{"dev", "seed", "--data", t.TempDir(), "--letters", "5", "--batch", "10"}, 2, "--batch doit être entre 100 et 2000"},
		{[]string{"dev", "bench", "--url", "http://127.0.0.1:1"}, 2, "--token"},
		{[]string{"dev", "bench", "--url", "http://192.0.2.1:8080", "--token", "x"}, 2, "n'est pas une adresse locale"},
		{[]string{"dev", "bench", "--url", "http://127.0.0.1:1", "--token", "x", "--duration", "1h"}, 2, "--duration"},
	} {
		code, _, errs := runCLI(t, nil, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) {
			t.Errorf("missive %s: exit %d, stderr %q; want %d and %q", strings.Join(tc.args, " "), code, errs, tc.code, tc.msg)
		}
	}
}
