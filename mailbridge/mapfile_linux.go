package mailbridge

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the first size bytes of f read-only: the message is read
// by the parser where it lies in the page cache, and the heap does not
// hold a copy of it. The bytes are valid until unmap; nothing that
// outlives the intake may keep a slice of them (Parse's parts do, and are
// stored before the intake returns). A file system that cannot map the
// file has it read into memory instead.
func mapFile(f *os.File, size int64) (b []byte, unmap func(), err error) {
	if size == 0 {
		return nil, func() {}, nil
	}
	b, err = unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return readFile(f, size)
	}
	return b, func() { unix.Munmap(b) }, nil
}
