//go:build unix

package installer

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// FileOwner is the uid owning a file, when the system says.
func FileOwner(fi os.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// DiskSpace is the room left to this process on dir's disk, and its size.
func DiskSpace(dir string) (free, total uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	return st.Bavail * uint64(st.Bsize), st.Blocks * uint64(st.Bsize), nil
}

func (d *doctor) checkDisk(dir string) {
	free, total, err := DiskSpace(dir)
	if err != nil {
		d.warn("", "Espace disque de %s non vérifié: %v.", dir, err)
		return
	}
	pct := 100.0
	if total > 0 {
		pct = 100 * float64(free) / float64(total)
	}
	gib := float64(free) / (1 << 30)
	switch {
	case free < 512<<20:
		d.fail("libérez de la place ou agrandissez le disque: Missive refuse les écritures quand il est plein", "Disque de %s: %.1f Gio libres (%.0f %%).", dir, gib, pct)
	case free < 5<<30 || pct < 10:
		d.warn("prévoyez d'agrandir le disque (les documents numérisés s'accumulent)", "Disque de %s: %.1f Gio libres (%.0f %%).", dir, gib, pct)
	default:
		d.ok("Disque de %s: %.1f Gio libres (%.0f %%).", dir, gib, pct)
	}
}
