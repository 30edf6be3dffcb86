package backup

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"missive/backup/backuptest"
)

// damaged runs verify and returns what it names.
func damaged(t *testing.T, r *Repo, readData bool) string {
	t.Helper()
	rep, err := Verify(context.Background(), r, VerifyOptions{ReadData: readData}, Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range rep.Damaged {
		out = append(out, d.Error())
	}
	return strings.Join(out, "\n")
}

func packsBySize(t *testing.T, dir string) []string {
	t.Helper()
	packs, _ := filepath.Glob(filepath.Join(dir, "data", "*"))
	sort.Slice(packs, func(i, j int) bool { return fileSize(packs[i]) > fileSize(packs[j]) })
	if len(packs) == 0 {
		t.Fatal("no pack")
	}
	return packs
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

// Each damage on the target is named by verify, the file first; the
// repository is otherwise untouched.
func TestVerifyNamesEachDamage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 6)
	for _, c := range []struct {
		name     string
		readData bool // needed to see it
		damage   func(t *testing.T, dir string) string
		says     string
	}{
		{"a chunk truncated", false, func(t *testing.T, dir string) string {
			p := packsBySize(t, dir)[0]
			os.Truncate(p, fileSize(p)-100)
			return "data/" + filepath.Base(p)
		}, "tronqué"},
		{"a document's byte flipped", true, func(t *testing.T, dir string) string {
			p := packsBySize(t, dir)[0]
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 0x20
			os.WriteFile(p, b, 0o600)
			return "data/" + filepath.Base(p)
		}, "altéré"},
		{"a pack removed", false, func(t *testing.T, dir string) string {
			p := packsBySize(t, dir)[0]
			os.Remove(p)
			return "data/" + filepath.Base(p)
		}, "absent"},
		{"the index deleted", false, func(t *testing.T, dir string) string {
			idx, _ := filepath.Glob(filepath.Join(dir, "index", "*"))
			os.Remove(idx[0])
			return "index/" + filepath.Base(idx[0])
		}, "absent (nécessaire aux sauvegardes"},
		{"the clear-text notice altered", false, func(t *testing.T, dir string) string {
			b, _ := os.ReadFile(filepath.Join(dir, markerFile))
			os.WriteFile(filepath.Join(dir, markerFile), append(b, '!'), 0o600)
			return markerFile
		}, "modifié"},
		{"a backup's manifest altered", false, func(t *testing.T, dir string) string {
			ms, _ := filepath.Glob(filepath.Join(dir, "snapshots", "*"))
			b, _ := os.ReadFile(ms[0])
			b[len(b)-20] ^= 1
			os.WriteFile(ms[0], b, 0o600)
			return "snapshots/" + filepath.Base(ms[0])
		}, "altéré"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, dir := fileRepo(t)
			if _, err := Run(ctx, r, f.src, Options{}); err != nil {
				t.Fatal(err)
			}
			if got := damaged(t, r, true); got != "" {
				t.Fatalf("a sound repository: %s", got)
			}
			file := c.damage(t, dir)
			got := damaged(t, r, c.readData)
			if !strings.Contains(got, file+": ") || !strings.Contains(got, c.says) {
				t.Fatalf("verify said:\n%s\nwant %s named, %q", got, file, c.says)
			}
		})
	}
}

// A key file altered is named, not taken for a wrong passphrase.
func TestAlteredKeyIsNamed(t *testing.T) {
	t.Parallel()
	r, dir := fileRepo(t)
	keys, _ := filepath.Glob(filepath.Join(dir, keysDir, "*"))
	b, _ := os.ReadFile(keys[0])
	b[len(b)-5] ^= 1
	os.WriteFile(keys[0], b, 0o600)
	_, err := Open(context.Background(), r.t, testKey)
	if err == nil || errors.Is(err, ErrPassphrase) || !strings.Contains(err.Error(), keysDir+"/"+filepath.Base(keys[0])) {
		t.Fatalf("altered key: %v", err)
	}
}

// A full disk (a 6 MB tmpfs, 5 MB taken) fails the run plainly, with no backup listed;
// once there is room, the next run succeeds. The same through SFTP, where
// the server only answers "failure".
func TestFullTarget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 12) // about 3 MB of scans
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs (the tests run as root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })
	ssh := backuptest.StartSSH(t)
	for kind, spec := range map[string]TargetSpec{
		"file": {URL: "file://" + filepath.Join(mnt, "nas")},
		"sftp": {URL: "sftp://" + strings.SplitN(strings.TrimPrefix(ssh.URL, "sftp://"), "/", 2)[0] + filepath.Join(mnt, "sftp"), KeyFile: ssh.KeyFile, KnownHosts: ssh.KnownHosts},
	} {
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
			ballast := filepath.Join(mnt, kind+"-ballast")
			os.WriteFile(ballast, make([]byte, 5<<20), 0o600) // leaves too little room
			_, err = Run(ctx, r, f.src, Options{})
			if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "pleine") {
				t.Fatalf("backup to a full target: %v", err)
			}
			if ms, _, _ := r.List(ctx); len(ms) != 0 {
				t.Fatalf("a failed backup is listed: %v", ms)
			}
			os.Remove(ballast)
		})
	}
	// With room again (one target at a time), a run succeeds.
	tg, _ := OpenTarget(ctx, TargetSpec{URL: "file://" + filepath.Join(mnt, "nas")})
	os.RemoveAll(filepath.Join(mnt, "sftp"))
	r, err := Open(ctx, tg, testKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, r, f.src, Options{}); err != nil {
		t.Fatalf("the run after the disk was freed: %v", err)
	}
}

// A server that does not answer is named plainly (the binary's test
// follows a failed run with its alert and the next run that succeeds).
func TestUnreachableTarget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ssh := backuptest.StartSSH(t)
	_, err := OpenTarget(ctx, TargetSpec{URL: "sftp://sauvegarde@127.0.0.1:1/missive", KeyFile: ssh.KeyFile, KnownHosts: ssh.KnownHosts})
	if err == nil || !strings.Contains(err.Error(), "injoignable") {
		t.Fatalf("an unreachable server: %v", err)
	}
	dav := backuptest.StartWebDAV(t)
	dav2 := dav.URL[:strings.LastIndex(strings.TrimSuffix(dav.URL, "/"), ":")] + ":1/"
	if _, err := OpenTarget(ctx, TargetSpec{URL: dav2 + "x", Password: "p"}); err == nil || !strings.Contains(err.Error(), "refused") && !strings.Contains(err.Error(), "injoignable") {
		t.Fatalf("an unreachable WebDAV server: %v", err)
	}
}

// lossyTarget gives back the documents' packs (the large ones: the
// database's, read again by the throw-away load, are small here) with one
// byte flipped: a target that does not keep what it was given.
type lossyTarget struct{ Target }

func (l lossyTarget) Get(ctx context.Context, name string) ([]byte, error) {
	b, err := l.Target.Get(ctx, name)
	if err == nil && strings.HasPrefix(name, dataDir+"/") && len(b) > 100_000 {
		b[len(b)/2] ^= 1
	}
	return b, err
}

// Every pack is read back right after it is stored: a run on a target that
// does not give back what it stored fails, names the pack, lists nothing.
func TestReadBackAfterWrite(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 4)
	r, _ := fileRepo(t)
	r.t = lossyTarget{r.t}
	_, err := Run(context.Background(), r, f.src, Options{})
	var de *DamageError
	if err == nil || !errors.As(err, &de) || !strings.HasPrefix(de.File, dataDir+"/") {
		t.Fatalf("run on a lossy target: %v", err)
	}
	if ms, _, _ := r.List(context.Background()); len(ms) != 0 {
		t.Fatalf("a backup that did not read back is listed: %v", ms)
	}
}
