//go:build unix

package backup

import (
	"errors"
	"syscall"
)

// processAlive says whether a process of this machine still runs: the
// lock of a backup killed with -9 is then stale at once.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
