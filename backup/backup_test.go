package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"missive/appliance"
	"missive/appliance/apptest"
	"missive/appliance/blob"
	"missive/appliance/domain"
	"missive/appliance/store"
	"missive/cluster"
)

var testKey = Key{Passphrase: "une phrase de passe de test", WorkFactor: 10}

// fixture is an appliance with letters and documents of every size: small
// ones (one chunk) and scans of several chunks.
type fixture struct {
	env *apptest.Env
	src Source
}

func newFixture(t *testing.T, letters int) *fixture {
	t.Helper()
	env := apptest.New(t, "")
	bs, err := blob.Open(env.Dir)
	if err != nil {
		t.Fatal(err)
	}
	// The data dir's key is the one the history is signed with.
	if err := env.WriteSecretKey(); err != nil {
		t.Fatal(err)
	}
	f := &fixture{env: env, src: Source{Store: env.Store, Blobs: bs, DataDir: env.Dir, Node: "test", Version: "test"}}
	f.addLetters(t, letters, 1)
	return f
}

// addLetters registers n letters, each with a document: every third one a
// 700 kB scan that the chunker cuts into several chunks.
func (f *fixture) addLetters(t *testing.T, n int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := range n {
		size := 2000 + rng.IntN(20000)
		if i%3 == 0 {
			size = 700_000
		}
		doc := make([]byte, size)
		for j := range doc {
			doc[j] = byte(rng.IntN(256))
		}
		_, err := f.env.Svc.RegisterLetter(context.Background(), f.env.Admin,
			appliance.RegisterInput{Category: domain.Incoming, Subject: fmt.Sprintf("Demande n° %d de la série %d", i, seed)},
			appliance.Upload{Name: fmt.Sprintf("scan-%d.pdf", i), Role: domain.DocMain, Body: bytes.NewReader(doc)})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func fileRepo(t *testing.T) (*Repo, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cible")
	tg, err := OpenTarget(context.Background(), TargetSpec{URL: "file://" + dir})
	if err != nil {
		t.Fatal(err)
	}
	r, created, err := OpenOrInit(context.Background(), tg, testKey)
	if err != nil || !created {
		t.Fatalf("init: %v (created %v)", err, created)
	}
	return r, dir
}

func TestRunVerifyRestore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 12)
	r, _ := fileRepo(t)
	m, err := Run(ctx, r, f.src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Verified || m.BlobCount != 12 || m.AppliedIndex == 0 {
		t.Fatalf("manifest: %+v", m)
	}
	applied, _ := f.env.Store.AppliedIndex(ctx)
	if m.AppliedIndex != applied {
		t.Fatalf("applied index %d, store at %d", m.AppliedIndex, applied)
	}
	// A second run with nothing new sends only the changed database chunks
	// and the index: far less than the documents.
	m2, err := Run(ctx, r, f.src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m2.Sent > m.Sent/4 {
		t.Fatalf("second run sent %d bytes, first %d", m2.Sent, m.Sent)
	}
	rep, err := Verify(ctx, r, VerifyOptions{ReadData: true}, Options{})
	if err != nil || len(rep.Damaged) > 0 || rep.Backups != 2 {
		t.Fatalf("verify: %v %+v", err, rep)
	}

	to := filepath.Join(t.TempDir(), "restauré")
	if err := Restore(ctx, r, m2, RestoreOptions{To: to, Seed: cluster.Seed}, Options{}); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, "", to)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var a, b bytes.Buffer
	if err := f.env.Store.Dump(ctx, &a); err != nil {
		t.Fatal(err)
	}
	if err := st.Dump(ctx, &b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the restored store differs from the original")
	}
	bs, _ := blob.Open(to)
	n := 0
	if err := st.BlobRefs(ctx, func(sum string) error {
		n++
		want, _ := os.ReadFile(filepath.Join(f.env.Dir, "blobs", sum[:2], sum))
		got, err := os.ReadFile(filepath.Join(to, "blobs", sum[:2], sum))
		if err != nil || !bytes.Equal(want, got) || !bs.Has(sum) {
			return fmt.Errorf("document %s not restored: %v", sum, err)
		}
		return nil
	}); err != nil || n != 12 {
		t.Fatalf("documents: %v (%d)", err, n)
	}
	k1, _ := os.ReadFile(filepath.Join(f.env.Dir, appliance.SecretKeyFile))
	k2, _ := os.ReadFile(filepath.Join(to, appliance.SecretKeyFile))
	if len(k1) != 32 || !bytes.Equal(k1, k2) {
		t.Fatal("secrets.key not restored")
	}
	if _, err := os.Stat(filepath.Join(to, "raft", "raft.db")); err != nil {
		t.Fatalf("no raft state: %v", err)
	}
	// Restoring over data is refused, with nothing changed.
	if err := Restore(ctx, r, m2, RestoreOptions{To: to, Seed: cluster.Seed}, Options{}); err == nil || !strings.Contains(err.Error(), "n'est pas vide") {
		t.Fatalf("restore over a data dir: %v", err)
	}
}

func TestWrongPassphraseWritesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r, dir := fileRepo(t)
	before := listTree(t, dir)
	_, err := Open(ctx, r.t, Key{Passphrase: "ce n'est pas la bonne phrase"})
	if !errors.Is(err, ErrPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if after := listTree(t, dir); after != before {
		t.Fatalf("the target changed:\n%s\n---\n%s", before, after)
	}
}

func listTree(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil {
			fmt.Fprintf(&b, "%s %d\n", p, info.Size())
		}
		return nil
	})
	return b.String()
}

// Writes go on during a backup: it holds the state of one applied index,
// with every document that state references, and restores.
func TestBackupWhileWriting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, 9)
	r, _ := fileRepo(t)
	stop := make(chan struct{})
	written := make(chan int)
	go func() {
		n := 0
		defer func() { written <- n }()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			f.addLetters(t, 1, uint64(100+i))
			n++
		}
	}()
	m, err := Run(ctx, r, f.src, Options{})
	close(stop)
	n := <-written
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no write happened during the backup")
	}
	to := filepath.Join(t.TempDir(), "restauré")
	if err := Restore(ctx, r, m, RestoreOptions{To: to, Seed: cluster.Seed}, Options{}); err != nil {
		t.Fatalf("restore of a backup taken during %d writes: %v", n, err)
	}
	st, err := store.Open(ctx, "", to)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if applied, _ := st.AppliedIndex(ctx); applied != m.AppliedIndex {
		t.Fatalf("restored at %d, backed up at %d", applied, m.AppliedIndex)
	}
	refs := 0
	st.BlobRefs(ctx, func(string) error { refs++; return nil })
	if refs != m.BlobCount || refs < 9 {
		t.Fatalf("restored store references %d documents, the backup holds %d", refs, m.BlobCount)
	}
}
