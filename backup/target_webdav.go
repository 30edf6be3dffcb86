package backup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/studio-b12/gowebdav"
)

// webdavTarget is a WebDAV folder: the town's Nextcloud, or any WebDAV
// server.
type webdavTarget struct {
	c    *gowebdav.Client
	base string // shown in messages: without a password
}

func openWebDAV(ctx context.Context, u *url.URL, spec TargetSpec) (*webdavTarget, error) {
	user := ""
	if u.User != nil {
		user = u.User.Username()
	}
	root := *u
	root.Scheme = strings.TrimPrefix(u.Scheme, "webdav+")
	root.User = nil
	root.Path = strings.TrimSuffix(u.Path, "/") + "/"
	c := gowebdav.NewClient(root.String(), user, spec.Password)
	// gowebdav takes no context: the transport gives each request the
	// operation's, so that a stop or a timeout ends a slow upload.
	c.SetTransport(ctxTransport{ctx: ctx, base: http.DefaultTransport})
	c.SetTimeout(10 * time.Minute)
	t := &webdavTarget{c: c, base: u.String()}
	// The folder is created, its parent never: a mistyped address must
	// fail, not grow a tree of folders somewhere else on the server.
	if _, err := c.Stat("/"); err != nil {
		if !gowebdav.IsErrNotFound(err) {
			return nil, t.explain("ouvrir le dossier", err)
		}
		if err := c.Mkdir("/", 0o700); err != nil {
			return nil, t.explain("créer le dossier (son dossier parent existe-t-il?)", err)
		}
	}
	return t, nil
}

type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

func (t *webdavTarget) String() string { return t.base }

func (t *webdavTarget) Close() error { return nil }

func (t *webdavTarget) Put(ctx context.Context, name string, data []byte) error {
	name, err := cleanName(name)
	if err != nil {
		return err
	}
	var r [6]byte
	rand.Read(r[:])
	tmp := path.Join(path.Dir(name), ".tmp-"+hex.EncodeToString(r[:]))
	// Write creates the missing folders on a 409.
	if err := t.c.Write(tmp, data, 0o600); err != nil {
		return t.explain("écrire "+name, err)
	}
	if err := t.c.Rename(tmp, name, true); err != nil {
		t.c.Remove(tmp)
		return t.explain("écrire "+name, err)
	}
	return nil
}

func (t *webdavTarget) Get(ctx context.Context, name string) ([]byte, error) {
	name, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	b, err := t.c.Read(name)
	if err != nil {
		return nil, t.explain("lire "+name, err)
	}
	return b, nil
}

func (t *webdavTarget) List(ctx context.Context, dir string) ([]Entry, error) {
	dir, err := cleanDir(dir)
	if err != nil {
		return nil, err
	}
	infos, err := t.c.ReadDir("/" + dir)
	if gowebdav.IsErrNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, t.explain("lister "+dir, err)
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

func (t *webdavTarget) Delete(ctx context.Context, name string) error {
	name, err := cleanName(name)
	if err != nil {
		return err
	}
	if err := t.c.Remove(name); err != nil && !gowebdav.IsErrNotFound(err) {
		return t.explain("supprimer "+name, err)
	}
	return nil
}

// explain turns a WebDAV status into words the IT person can act on.
func (t *webdavTarget) explain(what string, err error) error {
	switch {
	case gowebdav.IsErrNotFound(err):
		return fmt.Errorf("%s: %w", what, fs.ErrNotExist)
	case gowebdav.IsErrCode(err, http.StatusUnauthorized), gowebdav.IsErrCode(err, http.StatusForbidden):
		return fmt.Errorf("%s sur %s: accès refusé: vérifiez le compte et le mot de passe (--target-password-stdin ou password_file): %v", what, t.base, err)
	case gowebdav.IsErrCode(err, http.StatusInsufficientStorage):
		return fmt.Errorf("%s sur %s: %w", what, t.base, ErrFull)
	}
	return fmt.Errorf("%s sur %s: %w", what, t.base, err)
}
