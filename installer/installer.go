// Package installer puts Missive on a server: the self-documented
// configuration file, the system account, the systemd service (installed
// and driven through github.com/kardianos/service), and the snapshot taken
// before an upgrade migrates the store. Quickstart chains these steps
// through a Journal, which logs each one to quickstart.log and undoes them
// in reverse order if a later one fails; Doctor checks an installation.
// cmd/missive keeps the flags, the printing and the exit code, and hands in
// the steps that need packages installer may not import (the node's first
// start, the raft and backup checks).
package installer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Journal records what an installation did, to undo it if a later step
// fails, and logs every step.
type Journal struct {
	mu   sync.Mutex
	log  io.Writer
	undo []undoStep
	now  func() time.Time
}

type undoStep struct {
	what string
	fn   func() error
}

// NewJournal logs to w (quickstart.log).
func NewJournal(w io.Writer) *Journal { return &Journal{log: w, now: time.Now} }

// Logf writes one timestamped line to the log.
func (j *Journal) Logf(format string, args ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	fmt.Fprintf(j.log, "%s %s\n", j.now().UTC().Format(time.RFC3339), fmt.Sprintf(format, args...))
}

// Did records a step done and how to undo it.
func (j *Journal) Did(what string, undo func() error) {
	j.Logf("fait: %s", what)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.undo = append(j.undo, undoStep{what, undo})
}

// Rollback undoes every recorded step, newest first, and reports the
// steps it could not undo.
func (j *Journal) Rollback() error {
	j.mu.Lock()
	steps := j.undo
	j.undo = nil
	j.mu.Unlock()
	var errs []error
	for i := len(steps) - 1; i >= 0; i-- {
		if err := steps[i].fn(); err != nil {
			j.Logf("annulation impossible: %s: %v", steps[i].what, err)
			errs = append(errs, fmt.Errorf("annuler « %s »: %w", steps[i].what, err))
			continue
		}
		j.Logf("annulé: %s", steps[i].what)
	}
	return errors.Join(errs...)
}

// MkdirAll creates dir and its missing parents; undoing removes the
// topmost folder it created, with everything later written inside.
func (j *Journal) MkdirAll(dir string, mode os.FileMode) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	top := ""
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		top = d
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, mode); err != nil {
		return err
	}
	if top != "" {
		j.Did("créer "+top, func() error { return os.RemoveAll(top) })
	}
	return nil
}

// WriteFile writes a file (through a temporary file and a rename); undoing
// puts back what was there before, or removes it.
func (j *Journal) WriteFile(path string, data []byte, mode os.FileMode) error {
	old, err := os.ReadFile(path)
	existed := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var oldMode os.FileMode
	if fi, err := os.Stat(path); err == nil {
		oldMode = fi.Mode().Perm()
	}
	if err := writeAtomic(path, data, mode); err != nil {
		return err
	}
	if existed {
		j.Did("remplacer "+path, func() error { return writeAtomic(path, old, oldMode) })
	} else {
		j.Did("écrire "+path, func() error { return os.Remove(path) })
	}
	return nil
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
