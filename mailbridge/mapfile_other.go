//go:build !linux

package mailbridge

import (
	"fmt"
	"os"
)

// mapFile reads the message into memory where mapping it is not done
// (mapfile_linux.go).
func mapFile(f *os.File, size int64) (b []byte, unmap func(), err error) {
	b = make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, nil, fmt.Errorf("read spooled message: %w", err)
	}
	return b, func() {}, nil
}
