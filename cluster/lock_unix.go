//go:build unix

package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockDir takes an exclusive lock on DIR/LOCK so that a second missive on
// the same data dir (a CLI command while the server runs) is told so at
// once instead of waiting on the raft log. The holder writes its PID in the
// file, for the message of the one that is refused.
func lockDir(dir string) (func(), error) {
	p := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, &LockedError{Dir: filepath.Dir(dir), PID: lockHolder(p)}
	}
	// The PID is a courtesy to the next process: failing to write it
	// changes nothing to the lock.
	if f.Truncate(0) == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// lockHolder reads the PID the lock's holder wrote, 0 if unknown (a holder
// from before PIDs were written, or one that has not written it yet).
func lockHolder(p string) int {
	b, err := os.ReadFile(p)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
