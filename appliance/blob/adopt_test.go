package blob

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// spooled writes data to a file of dir and returns it open, with its hash.
func spooled(t *testing.T, dir string, data []byte) (*os.File, string) {
	t.Helper()
	f, err := os.CreateTemp(dir, "spool-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return f, hex.EncodeToString(sum[:])
}

func readBlob(t *testing.T, s *Store, sum string) []byte {
	t.Helper()
	f, err := s.Open(sum)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAdoptMovesTheFile: the file becomes the blob (renamed, not
// copied: the spool no longer has it), read-only; adopting the same
// content again leaves the second file alone; over the limit nothing moves.
func TestAdoptMovesTheFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	spool := filepath.Join(dir, "spool")
	if err := os.Mkdir(spool, 0o700); err != nil {
		t.Fatal(err)
	}
	data := []byte("Received: from x\r\nSubject: test\r\n\r\ncorps\r\n")
	f, sum := spooled(t, spool, data)
	before, _ := f.Stat()
	size, err := s.Adopt(f, sum, 1<<20)
	if err != nil || size != int64(len(data)) {
		t.Fatalf("Adopt: %d, %v", size, err)
	}
	if _, err := os.Stat(f.Name()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the spool file is still there: %v", err)
	}
	st, err := os.Stat(s.path(sum))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, st) {
		t.Error("the blob is a copy, not the spooled file")
	}
	if st.Mode().Perm() != 0o440 {
		t.Errorf("blob mode %v, want 0440", st.Mode().Perm())
	}
	if got := readBlob(t, s, sum); !bytes.Equal(got, data) {
		t.Fatalf("blob %q, want %q", got, data)
	}

	again, _ := spooled(t, spool, data)
	if _, err := s.Adopt(again, sum, 1<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(again.Name()); err != nil {
		t.Errorf("a second copy of a stored blob was moved: %v", err)
	}

	big, bigSum := spooled(t, spool, bytes.Repeat([]byte("x"), 2048))
	if _, err := s.Adopt(big, bigSum, 1024); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the limit: %v, want ErrTooLarge", err)
	}
	if _, err := os.Stat(s.path(bigSum)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a blob over the limit was stored: %v", err)
	}
}

// TestAdoptAcrossFileSystems: a spool on another file system (tmpfs) is
// copied in, and its hash checked: a hash that does not match stores
// nothing.
func TestAdoptAcrossFileSystems(t *testing.T) {
	t.Parallel()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	shm, err := os.MkdirTemp("/dev/shm", "missive-spool-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	data := []byte("Subject: ailleurs\r\n\r\nautre disque\r\n")
	f, sum := spooled(t, shm, data)
	if _, err := s.Adopt(f, sum, 0); err != nil {
		t.Fatal(err)
	}
	if got := readBlob(t, s, sum); !bytes.Equal(got, data) {
		t.Fatalf("blob %q, want %q", got, data)
	}
	g, _ := spooled(t, shm, []byte("autre contenu"))
	if _, err := s.Adopt(g, "0000000000000000000000000000000000000000000000000000000000000000", 0); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a wrong hash across file systems: %v, want ErrCorrupt", err)
	}
}
