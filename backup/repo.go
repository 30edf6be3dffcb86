package backup

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"filippo.io/age"
	"github.com/restic/chunker"
)

// Layout of a repository on its target (see DESIGN.md):
//
//	missive-backup.txt   what this folder is and how to restore it (clear text)
//	keys/<id>            the repository's X25519 identity, sealed with the passphrase (age scrypt)
//	config               repository settings, chunker polynomial (sealed to the repository key)
//	data/<sha256>        packs of compressed chunks (sealed); the name is the hash of the file
//	index/<sha256>       where each chunk lives (sealed)
//	snapshots/<id>       one complete, verified backup each (sealed), written last
//	locks/<id>           who is writing or pruning (sealed)
const (
	markerFile   = "missive-backup.txt"
	configFile   = "config"
	keysDir      = "keys"
	dataDir      = "data"
	indexDir     = "index"
	snapshotsDir = "snapshots"
	locksDir     = "locks"

	repoFormat  = "missive-backup"
	repoVersion = 1
)

// ErrNoRepo means the target holds no repository yet.
var ErrNoRepo = errors.New("aucune sauvegarde Missive à cet endroit")

// ErrPassphrase means no key of the repository opens with the passphrase.
var ErrPassphrase = errors.New("phrase de passe incorrecte pour cette sauvegarde")

// Key unlocks a repository: the passphrase the IT person printed and keeps
// apart from the server. It is never written to the target.
type Key struct {
	Passphrase string
	// WorkFactor is scrypt's log2(N) for a new key file; 0 is age's
	// default (18, about a second). Tests lower it.
	WorkFactor int
}

type repoConfig struct {
	Format     string      `json:"format"`
	Version    int         `json:"version"`
	ID         string      `json:"id"`
	Created    time.Time   `json:"created"`
	Polynomial chunker.Pol `json:"chunker_polynomial"`
	ChunkMin   uint        `json:"chunk_min"`
	ChunkMax   uint        `json:"chunk_max"`
	ChunkBits  int         `json:"chunk_bits"`
	PackSize   int         `json:"pack_size"`
}

type keyFile struct {
	Created  time.Time `json:"created"`
	Host     string    `json:"host"`
	Identity string    `json:"identity"`
}

// Repo is an open repository.
type Repo struct {
	t     Target
	ident *age.X25519Identity
	rcpt  *age.X25519Recipient
	cfg   repoConfig
	// indexEach is how long sent packs may wait for an index file (0:
	// indexEvery); tests that stop a run at an index file set it long.
	indexEach time.Duration
}

// Target is where the repository lives.
func (r *Repo) Target() Target { return r.t }

// ID is the repository's id, chosen at init.
func (r *Repo) ID() string { return r.cfg.ID }

// Open unlocks the repository of t. It writes nothing: a wrong passphrase
// is ErrPassphrase with the target untouched.
func Open(ctx context.Context, t Target, key Key) (*Repo, error) {
	keys, err := t.List(ctx, keysDir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: %w", t, ErrNoRepo)
	}
	if key.Passphrase == "" {
		return nil, fmt.Errorf("%s: phrase de passe vide", t)
	}
	sid, err := age.NewScryptIdentity(key.Passphrase)
	if err != nil {
		return nil, err
	}
	var ident *age.X25519Identity
	var damaged []error
	for _, k := range keys {
		b, err := t.Get(ctx, keysDir+"/"+k.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
		pr, err := age.Decrypt(bytes.NewReader(b), sid)
		freeScrypt()
		if err != nil {
			// Another passphrase's key, or a wrong passphrase; anything
			// else is a key file that was altered.
			var nm *age.NoIdentityMatchError
			if !errors.As(err, &nm) {
				damaged = append(damaged, &DamageError{File: keysDir + "/" + k.Name, Reason: "altéré: " + err.Error()})
			}
			continue
		}
		var kf keyFile
		if err := json.NewDecoder(pr).Decode(&kf); err != nil {
			return nil, fmt.Errorf("%s: %w", t, &DamageError{File: keysDir + "/" + k.Name, Reason: "altéré ou tronqué: " + err.Error()})
		}
		if ident, err = age.ParseX25519Identity(kf.Identity); err != nil {
			return nil, fmt.Errorf("%s: %w", t, &DamageError{File: keysDir + "/" + k.Name, Reason: "illisible: " + err.Error()})
		}
		break
	}
	if ident == nil {
		if len(damaged) > 0 {
			return nil, fmt.Errorf("%s: %w", t, errors.Join(damaged...))
		}
		return nil, fmt.Errorf("%s: %w", t, ErrPassphrase)
	}
	r := &Repo{t: t, ident: ident, rcpt: ident.Recipient()}
	b, err := r.get(ctx, configFile)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &r.cfg); err != nil {
		return nil, fmt.Errorf("%s: configuration illisible: %w", t, err)
	}
	if r.cfg.Format != repoFormat {
		return nil, fmt.Errorf("%s: pas une sauvegarde Missive (format %q)", t, r.cfg.Format)
	}
	if r.cfg.Version > repoVersion {
		return nil, fmt.Errorf("%s: sauvegarde au format %d, plus récent que ce Missive (format %d): mettez Missive à jour", t, r.cfg.Version, repoVersion)
	}
	return r, nil
}

// Init creates a repository on t, which must be empty or hold only an
// unfinished init.
func Init(ctx context.Context, t Target, key Key) (*Repo, error) {
	if len(key.Passphrase) < 12 {
		return nil, fmt.Errorf("phrase de passe trop courte (12 caractères au moins): elle seule protège les sauvegardes hors du serveur")
	}
	root, err := t.List(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t, err)
	}
	for _, e := range root {
		if e.Name != configFile && e.Name != markerFile {
			return nil, fmt.Errorf("%s: le dossier contient déjà %s et n'est pas une sauvegarde Missive: choisissez un dossier vide", t, e.Name)
		}
	}
	if keys, err := t.List(ctx, keysDir); err != nil || len(keys) > 0 {
		if err == nil {
			err = fmt.Errorf("une sauvegarde existe déjà")
		}
		return nil, fmt.Errorf("%s: %w", t, err)
	}
	ident, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	pol, err := chunker.RandomPolynomial()
	if err != nil {
		return nil, err
	}
	r := &Repo{t: t, ident: ident, rcpt: ident.Recipient(), cfg: repoConfig{
		Format: repoFormat, Version: repoVersion, ID: randomHex(8), Created: time.Now().UTC(), Polynomial: pol,
		ChunkMin: 64 << 10, ChunkMax: 4 << 20, ChunkBits: 18, PackSize: 16 << 20,
	}}
	b, err := json.Marshal(r.cfg)
	if err != nil {
		return nil, err
	}
	// The config first, the key last: a repository exists once it has a
	// key, so an init cut short is started again from scratch.
	if err := r.put(ctx, configFile, b); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	kb, err := json.Marshal(keyFile{Created: r.cfg.Created, Host: host, Identity: ident.String()})
	if err != nil {
		return nil, err
	}
	sr, err := age.NewScryptRecipient(key.Passphrase)
	if err != nil {
		return nil, err
	}
	if key.WorkFactor > 0 {
		sr.SetWorkFactor(key.WorkFactor)
	}
	var sealed bytes.Buffer
	w, err := age.Encrypt(&sealed, sr)
	if err != nil {
		return nil, err
	}
	freeScrypt()
	w.Write(kb)
	if err := w.Close(); err != nil {
		return nil, err
	}
	if err := t.Put(ctx, keysDir+"/"+randomHex(16), sealed.Bytes()); err != nil {
		return nil, fmt.Errorf("%s: %w", t, err)
	}
	if err := t.Put(ctx, markerFile, []byte(markerText)); err != nil {
		return nil, fmt.Errorf("%s: %w", t, err)
	}
	return r, nil
}

const markerText = `Sauvegarde Missive (format 1).

Ce dossier contient des sauvegardes chiffrées d'un serveur Missive: rien n'y est
lisible sans la phrase de passe, qui n'est jamais enregistrée ici.

Pour restaurer sur un nouveau serveur, installez Missive puis:
  missive backup list    --target <adresse de ce dossier> --passphrase-stdin
  missive backup restore --target <adresse de ce dossier> --passphrase-stdin --to /var/lib/missive
  missive serve --data /var/lib/missive

Ne modifiez ni ne déplacez aucun fichier de ce dossier.
`

// OpenOrInit opens the repository of t, creating it when the target holds
// none yet.
func OpenOrInit(ctx context.Context, t Target, key Key) (r *Repo, created bool, err error) {
	r, err = Open(ctx, t, key)
	if errors.Is(err, ErrNoRepo) {
		r, err = Init(ctx, t, key)
		return r, err == nil, err
	}
	return r, false, err
}

// seal encrypts b to the repository key.
func (r *Repo) seal(b []byte) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(b) + 256)
	if err := r.sealTo(&out, b); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// sealTo encrypts b into out (a recycled buffer).
func (r *Repo) sealTo(out *bytes.Buffer, b []byte) error {
	w, err := age.Encrypt(out, r.rcpt)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	return w.Close()
}

// unseal decrypts a file of the repository; a file altered or cut short
// fails here, named.
func (r *Repo) unseal(name string, b []byte) ([]byte, error) {
	pr, err := age.Decrypt(bytes.NewReader(b), r.ident)
	if err != nil {
		return nil, &DamageError{File: name, Reason: "illisible (en-tête altéré): " + err.Error()}
	}
	// The plain text is shorter than the sealed file: one allocation.
	out := bytes.NewBuffer(make([]byte, 0, len(b)+bytes.MinRead))
	if _, err := out.ReadFrom(pr); err != nil {
		return nil, &DamageError{File: name, Reason: "altéré ou tronqué (déchiffrement refusé)"}
	}
	return out.Bytes(), nil
}

func (r *Repo) put(ctx context.Context, name string, plain []byte) error {
	b, err := r.seal(plain)
	if err != nil {
		return err
	}
	if err := r.t.Put(ctx, name, b); err != nil {
		return fmt.Errorf("%s: %w", r.t, err)
	}
	return nil
}

func (r *Repo) get(ctx context.Context, name string) ([]byte, error) {
	b, err := r.t.Get(ctx, name)
	if err != nil {
		if isNotExist(err) {
			return nil, &DamageError{File: name, Reason: "absent", err: err}
		}
		return nil, fmt.Errorf("%s: %w", r.t, err)
	}
	return r.unseal(name, b)
}

// DamageError names a file of the target that is missing or altered.
type DamageError struct {
	File   string
	Reason string
	err    error
}

func (e *DamageError) Error() string { return e.File + ": " + e.Reason }
func (e *DamageError) Unwrap() error { return e.err }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// shortID is how a person reads an id.
func shortID(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// freeScrypt gives back the 256 MB that age's scrypt (work factor 18)
// just used: left to the garbage collector, the heap's next target would
// stay twice that, and a run would hold half a gigabyte for nothing.
func freeScrypt() { debug.FreeOSMemory() }
