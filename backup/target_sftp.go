package backup

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sftpTarget is a folder on an SSH server (the intercommunality's server,
// a NAS off site). The server's host key must be in a known_hosts file:
// an unknown or changed key is refused, never accepted on first use.
type sftpTarget struct {
	ssh  *ssh.Client
	c    *sftp.Client
	root string
	addr string // shown in messages
}

func openSFTP(ctx context.Context, u *url.URL, spec TargetSpec) (*sftpTarget, error) {
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "22")
	}
	shown := u.String()
	known := spec.KnownHosts
	if known == "" {
		home, _ := os.UserHomeDir()
		known = filepath.Join(home, ".ssh", "known_hosts")
	}
	check, err := knownhosts.New(known)
	if err != nil {
		return nil, fmt.Errorf("cible %s: fichier des clés d'hôtes connues %s illisible (%v); ajoutez-y la clé du serveur: ssh-keyscan -p %s %s >> %s",
			shown, known, err, portOf(host), u.Hostname(), known)
	}
	var auth []ssh.AuthMethod
	if spec.KeyFile != "" {
		pem, err := os.ReadFile(spec.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("cible %s: clé SSH: %w", shown, err)
		}
		signer, err := ssh.ParsePrivateKey(pem)
		if err != nil {
			return nil, fmt.Errorf("cible %s: clé SSH %s illisible (une clé sans phrase de passe est attendue): %w", shown, spec.KeyFile, err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if spec.Password != "" {
		auth = append(auth, ssh.Password(spec.Password))
	}
	if len(auth) == 0 {
		return nil, fmt.Errorf("cible %s: ni clé SSH (--ssh-key ou key_file) ni mot de passe (--target-password-stdin ou password_file)", shown)
	}
	cfg := &ssh.ClientConfig{User: u.User.Username(), Auth: auth, HostKeyCallback: check, Timeout: 20 * time.Second}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, fmt.Errorf("cible %s: serveur injoignable: %w", shown, err)
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, host, cfg)
	if err != nil {
		conn.Close()
		var ke *knownhosts.KeyError
		if errors.As(err, &ke) {
			if len(ke.Want) == 0 {
				return nil, fmt.Errorf("cible %s: la clé du serveur n'est pas dans %s; vérifiez-la puis ajoutez-la: ssh-keyscan -p %s %s >> %s", shown, known, portOf(host), u.Hostname(), known)
			}
			return nil, fmt.Errorf("cible %s: la clé du serveur a CHANGÉ par rapport à %s: connexion refusée (serveur remplacé, ou interception?)", shown, known)
		}
		return nil, fmt.Errorf("cible %s: connexion SSH: %w", shown, err)
	}
	client := ssh.NewClient(sc, chans, reqs)
	// Closing the connection when the operation ends unblocks a transfer
	// stuck on a dead link.
	stop := context.AfterFunc(ctx, func() { client.Close() })
	c, err := sftp.NewClient(client, sftp.UseConcurrentWrites(true), sftp.UseConcurrentReads(true))
	if err != nil {
		stop()
		client.Close()
		return nil, fmt.Errorf("cible %s: le serveur n'offre pas SFTP: %w", shown, err)
	}
	t := &sftpTarget{ssh: client, c: c, root: u.Path, addr: shown}
	if t.root == "" {
		t.root = "."
	}
	if _, err := c.Stat(t.root); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			t.Close()
			return nil, fmt.Errorf("cible %s: %w", shown, err)
		}
		if err := c.Mkdir(t.root); err != nil {
			t.Close()
			return nil, fmt.Errorf("cible %s: créer le dossier (son dossier parent existe-t-il?): %w", shown, err)
		}
	}
	return t, nil
}

func portOf(hostport string) string {
	_, p, _ := net.SplitHostPort(hostport)
	return p
}

func (t *sftpTarget) String() string { return t.addr }

func (t *sftpTarget) Close() error {
	t.c.Close()
	return t.ssh.Close()
}

func (t *sftpTarget) path(name string) (string, error) {
	c, err := cleanName(name)
	if err != nil {
		return "", err
	}
	return path.Join(t.root, c), nil
}

func (t *sftpTarget) Put(ctx context.Context, name string, data []byte) error {
	p, err := t.path(name)
	if err != nil {
		return err
	}
	dir := path.Dir(p)
	if err := t.c.MkdirAll(dir); err != nil {
		return t.explain("écrire "+name, dir, err)
	}
	var r [6]byte
	rand.Read(r[:])
	tmp := path.Join(dir, ".tmp-"+hex.EncodeToString(r[:]))
	f, err := t.c.Create(tmp)
	if err != nil {
		return t.explain("écrire "+name, dir, err)
	}
	_, err = f.ReadFrom(bytes.NewReader(data))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = t.c.PosixRename(tmp, p)
	}
	if err != nil {
		// Asked before the partial file goes: it is what filled the disk.
		err = t.explain("écrire "+name, dir, err)
		t.c.Remove(tmp)
		return err
	}
	return nil
}

func (t *sftpTarget) Get(ctx context.Context, name string) ([]byte, error) {
	p, err := t.path(name)
	if err != nil {
		return nil, err
	}
	f, err := t.c.Open(p)
	if err != nil {
		return nil, fmt.Errorf("lire %s: %w", name, err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("lire %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

func (t *sftpTarget) List(ctx context.Context, dir string) ([]Entry, error) {
	dir, err := cleanDir(dir)
	if err != nil {
		return nil, err
	}
	p := path.Join(t.root, dir)
	infos, err := t.c.ReadDir(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lister %s: %w", dir, err)
	}
	var out []Entry
	for _, fi := range infos {
		if fi.IsDir() || strings.HasPrefix(fi.Name(), ".tmp-") {
			continue
		}
		out = append(out, Entry{Name: fi.Name(), Size: fi.Size()})
	}
	return out, nil
}

func (t *sftpTarget) Delete(ctx context.Context, name string) error {
	p, err := t.path(name)
	if err != nil {
		return err
	}
	if err := t.c.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("supprimer %s: %w", name, err)
	}
	return nil
}

// explain names a full disk: OpenSSH's sftp-server answers a bare
// "failure" to a write on a full disk, so the free space is asked.
func (t *sftpTarget) explain(what, dir string, err error) error {
	if vfs, serr := t.c.StatVFS(dir); serr == nil && vfs.FreeSpace() < 1<<20 {
		return fmt.Errorf("%s sur %s: %w (%v)", what, t.addr, ErrFull, err)
	}
	return fmt.Errorf("%s sur %s: %w", what, t.addr, err)
}
