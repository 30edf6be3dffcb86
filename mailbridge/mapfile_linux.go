package mailbridge

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapAbove is the size from which a spooled message is mapped rather than
// read: below it, a copy costs less than a mapping (its munmap was 1 % of
// the intake's CPU for 20 kB messages), and the budget bounds the copies.
const mapAbove = 256 << 10

// mapFile gives the first size bytes of f to the parser: a large message
// is mapped read-only, read where it lies in the page cache, and the heap
// does not hold a copy of it. The bytes are valid until unmap; nothing
// that outlives the intake may keep a slice of them (Parse's parts do,
// and are stored before the intake returns). A file system that cannot
// map the file has it read into memory instead.
func mapFile(f *os.File, size int64) (b []byte, unmap func(), err error) {
	if size <= mapAbove {
		return readFile(f, size)
	}
	b, err = unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return readFile(f, size)
	}
	return b, func() { unix.Munmap(b) }, nil
}
