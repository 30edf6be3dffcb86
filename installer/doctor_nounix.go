//go:build !unix

package installer

import (
	"os"
	"runtime"
)

// FileOwner is not known here.
func FileOwner(os.FileInfo) (int, bool) { return 0, false }

// DiskSpace is not measured here: as much room as asked.
func DiskSpace(string) (free, total uint64, err error) { return ^uint64(0), ^uint64(0), nil }

func (d *doctor) checkDisk(dir string) { d.ok("Espace disque non vérifié sur %s.", runtime.GOOS) }
