//go:build !linux

package mailbridge

import "os"

// mapFile reads the message into memory where mapping it is not done
// (mapfile_linux.go).
func mapFile(f *os.File, size int64) (b []byte, unmap func(), err error) {
	return readFile(f, size)
}
