package cluster_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"missive/appliance"
	"missive/appliance/blob"
	"missive/appliance/domain"
	"missive/cluster"
)

// blobPath is where a node keeps a blob (blob.Store's layout).
func blobPath(tn *tnode, sum string) string {
	return filepath.Join(tn.dir, "blobs", sum[:2], sum)
}

// hasBlob says whether the node has the blob on its disk, without
// fetching it.
func hasBlob(tn *tnode, sum string) bool {
	_, err := os.Stat(blobPath(tn, sum))
	return err == nil
}

// attach registers a letter on tn and attaches content to it.
func (tn *tnode) attach(t *testing.T, content []byte) (*domain.Document, error) {
	t.Helper()
	num := tn.mustRegister(t, "document")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a := tn.admin(t)
	l, err := tn.svc.LetterByNumber(ctx, a, num)
	if err != nil {
		t.Fatalf("%s: letter %s: %v", tn.name, num, err)
	}
	return tn.svc.Attach(ctx, a, l.ID, "", appliance.Upload{Name: "scan.pdf", Body: bytes.NewReader(content)})
}

// read reads a document's content on tn, as the API would.
func (tn *tnode) read(t *testing.T, docID string) ([]byte, error) {
	t.Helper()
	_, _, f, err := tn.svc.OpenDocument(context.Background(), tn.admin(t), docID, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// A document taken on a follower is on a majority of the voters before
// the command referencing it is proposed: with one voter cut off, the
// leader has it the moment the upload returns; with two cut off, the
// upload fails and no document row is written.
func TestBlobIsOnAMajorityBeforeItsCommand(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3)
	h.startAll()
	l := h.leader()
	var up, off *tnode
	for _, tn := range h.nodes {
		switch {
		case tn == l:
		case up == nil:
			up = tn
		default:
			off = tn
		}
	}
	h.isolate(off.i, true)
	content := []byte("scan of a letter " + strings.Repeat("x", 100_000))
	d, err := up.attach(t, content)
	if err != nil {
		t.Fatalf("attach on %s with one voter cut off: %v", up.name, err)
	}
	s := d.Versions[0].SHA256
	if s != sum(content) {
		t.Fatalf("document hash %s, want %s", s, sum(content))
	}
	// Not "eventually": Put returned only once a majority had it.
	if !hasBlob(l, s) {
		t.Fatalf("leader %s lacks the document when the upload on %s returned", l.name, up.name)
	}
	if hasBlob(off, s) {
		t.Fatalf("%s was cut off but has the document", off.name)
	}

	// The leader cut off too: no majority can hold a new document.
	num := up.mustRegister(t, "before the cut")
	h.isolate(l.i, true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a := up.admin(t)
	lt, err := up.svc.LetterByNumber(ctx, a, num)
	if err != nil {
		t.Fatal(err)
	}
	other := []byte("a second document nobody else can take")
	if _, err := up.svc.Attach(ctx, a, lt.ID, "", appliance.Upload{Name: "b.pdf", Body: bytes.NewReader(other)}); !isUnavailable(err) {
		t.Fatalf("attach without a majority: %v, want unavailable", err)
	}
	h.isolate(l.i, false)
	h.isolate(off.i, false)
	h.converge()
	docs, err := up.st.Reader().Documents(context.Background(), lt.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 0 {
		t.Fatalf("letter %s has %d documents after a refused upload", num, len(docs))
	}
}

// A node that missed a document fetches it from a peer on read, and
// refuses content whose hash is not the document's.
func TestMissingBlobIsFetchedOnReadAndChecked(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3)
	h.startAll()
	l := h.leader()
	var off *tnode
	for _, tn := range h.nodes {
		if tn != l {
			off = tn
		}
	}
	h.isolate(off.i, true)
	content := []byte("the original e-mail " + strings.Repeat("y", 50_000))
	d, err := l.attach(t, content)
	if err != nil {
		t.Fatal(err)
	}
	s := d.Versions[0].SHA256
	h.isolate(off.i, false)
	h.converge()
	if hasBlob(off, s) {
		t.Fatalf("%s has the document before any read or pass", off.name)
	}
	// Every other copy altered: the fetch must refuse them all.
	for _, tn := range h.nodes {
		if tn != off {
			corrupt(t, tn, s)
		}
	}
	if _, err := off.read(t, d.ID); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("read with only altered copies elsewhere: %v, want not found", err)
	}
	if hasBlob(off, s) {
		t.Fatalf("%s kept an altered copy", off.name)
	}
	// One good copy back: the read fetches it.
	restore(t, l, s, content)
	got, err := off.read(t, d.ID)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("read on %s: %d bytes, %v", off.name, len(got), err)
	}
	if !hasBlob(off, s) {
		t.Fatalf("%s did not keep the fetched document", off.name)
	}
}

func corrupt(t *testing.T, tn *tnode, s string) {
	t.Helper()
	p := blobPath(tn, s)
	os.Chmod(p, 0o640)
	if err := os.WriteFile(p, []byte("altered"), 0o440); err != nil {
		t.Fatal(err)
	}
}

func restore(t *testing.T, tn *tnode, s string, content []byte) {
	t.Helper()
	p := blobPath(tn, s)
	os.Chmod(p, 0o640)
	if err := os.WriteFile(p, content, 0o440); err != nil {
		t.Fatal(err)
	}
}

// A node that joins from a snapshot (the log before it was compacted)
// pulls every document the snapshot references, without any read.
func TestJoinFromSnapshotPullsEveryBlob(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 2)
	for _, tn := range h.nodes {
		tn.tune = func(c *cluster.Config) { c.TrailingLogs = 2 }
	}
	first := h.start(0, nil, true)
	var sums []string
	for i := range 5 {
		content := []byte(fmt.Sprintf("document %d %s", i, strings.Repeat("z", 10_000*i)))
		d, err := first.attach(t, content)
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, d.Versions[0].SHA256)
	}
	if err := first.node.Snapshot(); err != nil {
		t.Fatal(err)
	}
	second := h.start(1, first, false)
	h.converge()
	h.waitFor("every document on the joiner", func() bool {
		for _, s := range sums {
			if !hasBlob(second, s) {
				return false
			}
		}
		return true
	})
}

// missive cluster check lists what each node lacks or has altered, and
// --repair fetches them again.
func TestClusterCheckListsMissingAndCorruptBlobs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, 3)
	h.startAll()
	l := h.leader()
	content := []byte("checked " + strings.Repeat("c", 20_000))
	d, err := l.attach(t, content)
	if err != nil {
		t.Fatal(err)
	}
	s := d.Versions[0].SHA256
	h.converge()
	h.waitFor("the document everywhere", func() bool {
		for _, tn := range h.nodes {
			if !hasBlob(tn, s) {
				return false
			}
		}
		return true
	})
	a, b := h.nodes[1], h.nodes[2]
	os.Remove(blobPath(a, s))
	corrupt(t, b, s)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reps, err := l.node.CheckCluster(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	byNode := map[string]cluster.BlobReport{}
	for _, r := range reps {
		byNode[r.Node] = r
	}
	if r := byNode[a.name]; len(r.Missing) != 1 || r.Missing[0] != s || len(r.Corrupt) != 0 {
		t.Fatalf("%s: %+v, want %s missing", a.name, r, s)
	}
	if r := byNode[b.name]; len(r.Corrupt) != 1 || r.Corrupt[0] != s || len(r.Missing) != 0 {
		t.Fatalf("%s: %+v, want %s corrupt", b.name, r, s)
	}
	if r := byNode[l.name]; len(r.Corrupt)+len(r.Missing) != 0 || r.Referenced == 0 || r.Error != "" {
		t.Fatalf("leader %s: %+v, want clean", l.name, r)
	}
	if _, err := l.node.CheckCluster(ctx, true); err != nil {
		t.Fatal(err)
	}
	for _, tn := range h.nodes {
		if got, err := os.ReadFile(blobPath(tn, s)); err != nil || !bytes.Equal(got, content) {
			t.Fatalf("%s after repair: %v", tn.name, err)
		}
	}
}
