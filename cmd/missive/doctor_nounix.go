//go:build !unix

package main

import (
	"os"
	"runtime"
)

func fileOwner(os.FileInfo) (int, bool) { return 0, false }

// diskSpace is not measured here: as much room as asked.
func diskSpace(string) (free, total uint64, err error) { return ^uint64(0), ^uint64(0), nil }

func (d *doctor) checkDisk(dir string) { d.ok("Espace disque non vérifié sur %s.", runtime.GOOS) }
