package kernel

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Passwords Missive must replay to other servers (the tenant's SMTP relay,
// the IMAP mailboxes it polls) cannot be hashed like user passwords. They
// are sealed with AES-256-GCM before they are proposed, so that the raft
// log, the snapshots, the backups and a dump of the database hold only
// ciphertext; the key lives in a file of the data directory, readable by
// the service account alone, and never in the database.

// SecretKeyFile is the name of the key file in the data directory.
const SecretKeyFile = "secrets.key"

// sealedPrefix marks a sealed value; a value without it is a password
// stored in clear by an older version, still usable as it is.
const sealedPrefix = "sealed:v1:"

// ErrSecretKey means a sealed secret cannot be opened on this node: the key
// file is missing or is not the one that sealed it.
var ErrSecretKey = errors.New("clé de chiffrement des mots de passe absente ou différente (" + SecretKeyFile + ")")

// SecretBox seals and opens stored passwords, and derives the other keys
// that must stay outside the database (session signing, history signing).
type SecretBox struct {
	aead cipher.AEAD
	key  []byte
}

// OpenSecretBox loads the key file of dir, creating it (0600) on first use.
// In a cluster every node must hold the same file: copy it from the first
// node to the others before they join.
func OpenSecretBox(dir string) (*SecretBox, error) {
	path := filepath.Join(dir, SecretKeyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, 32)
		rand.Read(key)
		// O_EXCL: two processes starting at once must not each write a
		// different key; the loser reads the winner's.
		f, cerr := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if cerr == nil {
			_, cerr = f.Write(key)
			if err := f.Close(); cerr == nil {
				cerr = err
			}
			if cerr != nil {
				os.Remove(path)
				return nil, fmt.Errorf("write secret key %s: %w", path, cerr)
			}
			err = nil
		} else if errors.Is(cerr, fs.ErrExist) {
			key, err = os.ReadFile(path)
		} else {
			return nil, fmt.Errorf("create secret key %s: %w", path, cerr)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read secret key %s: %w", path, err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("secret key %s: %d bytes, want 32", path, len(key))
	}
	return NewSecretBox(key)
}

// ReadSecretBox loads the key file of dir without creating it: a command
// that only checks (history verify) must not make a key that signs
// nothing.
func ReadSecretBox(dir string) (*SecretBox, error) {
	key, err := os.ReadFile(filepath.Join(dir, SecretKeyFile))
	if err != nil {
		return nil, fmt.Errorf("read secret key: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("secret key %s: %d bytes, want 32", filepath.Join(dir, SecretKeyFile), len(key))
	}
	return NewSecretBox(key)
}

// NewSecretBox seals with a 32-byte key.
func NewSecretBox(key []byte) (*SecretBox, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return &SecretBox{aead: aead, key: append([]byte(nil), key...)}, nil
}

// Derive returns a 32-byte key for one use, derived from the data dir's
// key with HKDF-SHA256: a key for signing web sessions or history
// checkpoints lives nowhere but in secrets.key, and two uses never share
// a key. label names the use ("web-session", "history-signing").
func (b *SecretBox) Derive(label string) ([]byte, error) {
	if b == nil {
		return nil, ErrSecretKey
	}
	k, err := hkdf.Key(sha256.New, b.key, nil, "missive "+label, 32)
	if err != nil {
		return nil, fmt.Errorf("derive %s key: %w", label, err)
	}
	return k, nil
}

// secretAD binds a sealed value to its use, so that a relay password
// copied into a mailbox row does not open.
func secretAD(purpose string) []byte { return []byte("missive secret " + purpose) }

// Seal encrypts plain for purpose ("relay", "mailbox"); "" stays "".
func (b *SecretBox) Seal(purpose, plain string) string {
	if plain == "" || b == nil {
		return plain
	}
	nonce := make([]byte, b.aead.NonceSize())
	rand.Read(nonce)
	ct := b.aead.Seal(nonce, nonce, []byte(plain), secretAD(purpose))
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(ct)
}

// Open decrypts a value Seal made; a value stored in clear is returned as
// it is.
func (b *SecretBox) Open(purpose, stored string) (string, error) {
	enc, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return stored, nil
	}
	if b == nil {
		return "", ErrSecretKey
	}
	ct, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(ct) < b.aead.NonceSize() {
		return "", fmt.Errorf("sealed secret: malformed")
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, ct[:n], ct[n:], secretAD(purpose))
	if err != nil {
		return "", ErrSecretKey
	}
	return string(plain), nil
}

// IsSealed says whether a stored value is sealed.
func IsSealed(stored string) bool { return strings.HasPrefix(stored, sealedPrefix) }
