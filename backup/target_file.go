package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// fileTarget is a local or mounted directory (the town's NAS).
type fileTarget struct{ dir string }

func openFileTarget(dir string) (*fileTarget, error) {
	dir = filepath.Clean(dir)
	// The folder is created, its parent never: a NAS that is not mounted
	// must fail the backup, not have it written to the local disk under
	// the empty mount point's parent.
	if st, err := os.Stat(filepath.Dir(dir)); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("cible file://%s: le dossier %s n'existe pas (disque ou NAS non monté?)", dir, filepath.Dir(dir))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cible file://%s: %w", dir, fsError(err))
	}
	return &fileTarget{dir: dir}, nil
}

func (t *fileTarget) String() string { return "file://" + t.dir }

func (t *fileTarget) Close() error { return nil }

func (t *fileTarget) path(name string) (string, error) {
	c, err := cleanName(name)
	if err != nil {
		return "", err
	}
	return filepath.Join(t.dir, filepath.FromSlash(c)), nil
}

func (t *fileTarget) Put(ctx context.Context, name string, data []byte) error {
	p, err := t.path(name)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("écrire %s: %w", name, fsError(err))
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("écrire %s: %w", name, fsError(err))
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("écrire %s: %w", name, fsError(err))
	}
	// The rename is durable once the folder is synced.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func (t *fileTarget) Get(ctx context.Context, name string) ([]byte, error) {
	p, err := t.path(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("lire %s: %w", name, err)
	}
	return b, nil
}

func (t *fileTarget) List(ctx context.Context, dir string) ([]Entry, error) {
	dir, err := cleanDir(dir)
	if err != nil {
		return nil, err
	}
	p := filepath.Join(t.dir, filepath.FromSlash(dir))
	des, err := os.ReadDir(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lister %s: %w", dir, err)
	}
	var out []Entry
	for _, de := range des {
		if de.IsDir() || strings.HasPrefix(de.Name(), ".tmp-") {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, Entry{Name: de.Name(), Size: info.Size()})
	}
	return out, nil
}

func (t *fileTarget) Delete(ctx context.Context, name string) error {
	p, err := t.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("supprimer %s: %w", name, err)
	}
	return nil
}

// fsError names a full disk plainly.
func fsError(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %v", ErrFull, err)
	}
	return err
}
