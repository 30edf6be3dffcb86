package backup

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"missive/backup/backuptest"
	"missive/cluster"
)

// Every kind of target, against the real server behind it: rclone's
// WebDAV server stands for the town's Nextcloud, OpenSSH for an off-site
// SFTP server.
func peerTargets(t *testing.T) map[string]TargetSpec {
	dav := backuptest.StartWebDAV(t)
	ssh := backuptest.StartSSH(t)
	return map[string]TargetSpec{
		"file":   {URL: "file://" + filepath.Join(t.TempDir(), "nas")},
		"webdav": {URL: dav.URL + "sauvegardes", Password: dav.Password},
		"sftp":   {URL: ssh.URL, KeyFile: ssh.KeyFile, KnownHosts: ssh.KnownHosts},
	}
}

func TestTargetOperations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for kind, spec := range peerTargets(t) {
		t.Run(kind, func(t *testing.T) {
			tg, err := OpenTarget(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			if es, err := tg.List(ctx, "data"); err != nil || len(es) != 0 {
				t.Fatalf("a missing folder lists %v, %v", es, err)
			}
			big := bytes.Repeat([]byte("0123456789"), 300_000)
			if err := tg.Put(ctx, "data/abc", big); err != nil {
				t.Fatal(err)
			}
			if err := tg.Put(ctx, "data/abc", []byte("remplacé")); err != nil {
				t.Fatal(err)
			}
			got, err := tg.Get(ctx, "data/abc")
			if err != nil || string(got) != "remplacé" {
				t.Fatalf("get: %q %v", got, err)
			}
			es, err := tg.List(ctx, "data")
			if err != nil || len(es) != 1 || es[0].Name != "abc" || es[0].Size != int64(len("remplacé")) {
				t.Fatalf("list: %+v %v (temporary files must not show)", es, err)
			}
			if _, err := tg.Get(ctx, "data/absent"); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("get of a missing file: %v", err)
			}
			if err := tg.Delete(ctx, "data/abc"); err != nil {
				t.Fatal(err)
			}
			if err := tg.Delete(ctx, "data/abc"); err != nil {
				t.Fatalf("deleting a missing file: %v", err)
			}
			if _, err := tg.Get(ctx, "../echappe"); err == nil {
				t.Fatal("a name out of the target was accepted")
			}
		})
	}
}

func TestBackupToEveryTarget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 6)
	for kind, spec := range peerTargets(t) {
		t.Run(kind, func(t *testing.T) {
			tg, err := OpenTarget(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			defer tg.Close()
			r, _, err := OpenOrInit(ctx, tg, testKey)
			if err != nil {
				t.Fatal(err)
			}
			m1, err := Run(ctx, r, f.src, Options{})
			if err != nil {
				t.Fatal(err)
			}
			m2, err := Run(ctx, r, f.src, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if m2.Sent > m1.Sent/4 {
				t.Fatalf("second run sent %d bytes, first %d", m2.Sent, m1.Sent)
			}
			rep, err := Verify(ctx, r, VerifyOptions{ReadData: true}, Options{})
			if err != nil || len(rep.Damaged) > 0 {
				t.Fatalf("verify: %v %v", err, rep.Damaged)
			}
			to := filepath.Join(t.TempDir(), "restauré")
			if err := Restore(ctx, r, m2, RestoreOptions{To: to, Seed: cluster.Seed}, Options{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSFTPRefusesAnUnknownHost(t *testing.T) {
	t.Parallel()
	ssh := backuptest.StartSSH(t)
	other := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(other, []byte("[127.0.0.1]:1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"), 0o600)
	_, err := OpenTarget(context.Background(), TargetSpec{URL: ssh.URL, KeyFile: ssh.KeyFile, KnownHosts: other})
	if err == nil || !strings.Contains(err.Error(), "n'est pas dans") || !strings.Contains(err.Error(), "ssh-keyscan") {
		t.Fatalf("unknown host key: %v", err)
	}
}

func TestWebDAVWrongPassword(t *testing.T) {
	t.Parallel()
	dav := backuptest.StartWebDAV(t)
	_, err := OpenTarget(context.Background(), TargetSpec{URL: dav.URL + "x", Password: "faux"})
	if err == nil || !strings.Contains(err.Error(), "accès refusé") {
		t.Fatalf("wrong WebDAV password: %v", err)
	}
}
