package kernel

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretBox: the key file is made once, private to the service
// account; a sealed password opens with it, for its purpose only; another
// key does not open it; a password stored in clear by an older version is
// still used as it is.
func TestSecretBox(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b, err := OpenSecretBox(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, SecretKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 32 {
		t.Fatalf("key file %v %v", fi, err)
	}
	sealed := b.Seal("relay", "mot de passe SMTP")
	if !IsSealed(sealed) || strings.Contains(sealed, "passe") || sealed == b.Seal("relay", "mot de passe SMTP") {
		t.Fatalf("sealed %q", sealed)
	}
	again, err := OpenSecretBox(dir) // the same key, read back
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.Open("relay", sealed); err != nil || got != "mot de passe SMTP" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := again.Open("mailbox", sealed); !errors.Is(err, ErrSecretKey) {
		t.Fatalf("opened for another purpose: %v", err)
	}
	other, _ := OpenSecretBox(t.TempDir())
	if _, err := other.Open("relay", sealed); !errors.Is(err, ErrSecretKey) {
		t.Fatalf("opened with another key: %v", err)
	}
	var none *SecretBox
	if _, err := none.Open("relay", sealed); !errors.Is(err, ErrSecretKey) {
		t.Fatalf("opened without a key: %v", err)
	}
	if got, err := none.Open("relay", "en clair"); err != nil || got != "en clair" || none.Seal("relay", "x") != "x" || b.Seal("relay", "") != "" {
		t.Fatalf("clear passthrough: %q %v", got, err)
	}
	os.WriteFile(filepath.Join(dir, SecretKeyFile), []byte("court"), 0o600)
	if _, err := OpenSecretBox(dir); err == nil {
		t.Fatal("a short key file was accepted")
	}
}

func TestDeriveSeparatesUses(t *testing.T) {
	k1 := bytes.Repeat([]byte{1}, 32)
	k2 := bytes.Repeat([]byte{2}, 32)
	b1, _ := NewSecretBox(k1)
	b2, _ := NewSecretBox(k2)
	a, err := b1.Derive("web-session")
	if err != nil || len(a) != 32 {
		t.Fatalf("derive: %v, %d bytes", err, len(a))
	}
	again, _ := b1.Derive("web-session")
	other, _ := b1.Derive("history-signing")
	fromOtherKey, _ := b2.Derive("web-session")
	if !bytes.Equal(a, again) {
		t.Fatal("the same label must give the same key")
	}
	if bytes.Equal(a, other) || bytes.Equal(a, fromOtherKey) {
		t.Fatal("another label or another secrets.key must give another key")
	}
	if _, err := (*SecretBox)(nil).Derive("x"); err == nil {
		t.Fatal("no key file, no derived key")
	}
}
