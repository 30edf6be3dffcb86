//go:build !unix

package main

import (
	"os"
	"runtime"
)

func fileOwner(os.FileInfo) (int, bool) { return 0, false }

func (d *doctor) checkDisk(dir string) { d.ok("Espace disque non vérifié sur %s.", runtime.GOOS) }
